#!/usr/bin/env bash
# Checks the running API against its contract: schemathesis (pinned, in its
# own venv under .tools/) runs every check it has, in all of its phases
# (coverage, fuzzing, stateful; examples where the spec has them) with the
# fixed seed and example budget of schemathesis.toml, against the local runner
# serving template.yaml with the real function binaries and an in-memory
# DynamoDB Local. The runner is started here and stopped on exit.
#
#   scripts/schemathesis.sh    (needs `cargo build --workspace --bins` first)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.tools/schemathesis
REQUIREMENTS=scripts/requirements-schemathesis.txt
PYTHON=${PYTHON:-python3}
RUNNER=${CARGO_TARGET_DIR:-target}/debug/bookshelf-local
LOG=test-artifacts/schemathesis-runner.log

say() { printf 'schemathesis: %s\n' "$*" >&2; }

# ------------------------------------------------------------------ install
mkdir -p .tools test-artifacts
exec 9>.tools/schemathesis.lock
flock 9
stamp=$VENV/.bookshelf.stamp
key="$("$PYTHON" --version 2>&1) $(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [[ ! -f $stamp || $(<"$stamp") != "$key" || ! -x $VENV/bin/schemathesis ]]; then
    say "installing $(grep -v '^#' "$REQUIREMENTS" | xargs) into $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install \
        --quiet --no-input --progress-bar off --requirement "$REQUIREMENTS"
    "$VENV/bin/schemathesis" --version >/dev/null
    printf '%s\n' "$key" >"$stamp"
fi
flock -u 9

# ------------------------------------------------------------ start the API
[[ -x $RUNNER ]] || {
    say "$RUNNER not found: run cargo build --workspace --bins first"
    exit 1
}
"$RUNNER" serve --no-build --in-memory --port 0 --table-suffix "-schemathesis-$$" >"$LOG" 2>&1 &
runner=$!
trap 'kill -INT "$runner" 2>/dev/null; wait "$runner" 2>/dev/null || true' EXIT
url=
for _ in $(seq 1 300); do
    url=$(sed -n 's/^Bookshelf local API listening on \(http:[^ ]*\).*/\1/p' "$LOG" | head -n1)
    [[ -n $url ]] && break
    kill -0 "$runner" 2>/dev/null || break
    sleep 0.1
done
[[ -n $url ]] || {
    say "the local runner did not start; its log:"
    cat "$LOG" >&2
    exit 1
}

# Writes need a token: one with every scope from the runner's development identity
# provider (client credentials), sent on every request. The ignored_auth check
# still sends requests without it and expects API Gateway's 401.
token=$(curl -sSf -u bookshelf-local:bookshelf-local-secret -d grant_type=client_credentials \
    "$url/_local/idp/token" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') || {
    say "could not get a token from $url/_local/idp/token"
    exit 1
}

# ---------------------------------------------------------------- the run
say "checking $url against openapi.yaml"
# Every check but one: use-after-free (ST301) treats every URL under a deleted
# `/books/{id}` as deleted, but a book's history outlives the book by design
# (issue #4: it "still answers after the book is deleted"), and the stateful
# phase reaches the history from any operation that yields a book id, so the
# check cannot be confined to the book itself. That the book is 404 after its
# DELETE (GET, PUT, PATCH, DELETE, the tutorial's routes) is asserted by the
# end-to-end and handler tests (tests/api/books_api.rs, tests/api/tutorial.rs,
# functions/delete-book).
"$VENV/bin/schemathesis" --config-file schemathesis.toml run openapi.yaml --url "$url" \
    --header "Authorization: Bearer $token" \
    --checks all --exclude-checks use_after_free \
    --phases examples,coverage,fuzzing,stateful \
    --report junit --report-dir test-artifacts/schemathesis
