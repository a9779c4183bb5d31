#!/usr/bin/env bash
# Installs the Python peer of `make bench` (awslambdaric + boto3, pinned in
# bench/python/requirements.txt) into .tools/bench-venv, git-ignored. Skipped while
# the venv's stamp matches the Python version and the requirements file.
#
#   bench/setup-python.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.tools/bench-venv
REQUIREMENTS=bench/python/requirements.txt
PYTHON=${PYTHON:-python3}

mkdir -p .tools
exec 9>.tools/bench-venv.lock
flock 9
stamp=$VENV/.bookshelf.stamp
key="$("$PYTHON" --version 2>&1) $(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [[ ! -f $stamp || $(<"$stamp") != "$key" || ! -x $VENV/bin/python ]]; then
    printf 'bench: installing %s into %s\n' "$(grep -v '^#' "$REQUIREMENTS" | xargs)" "$VENV" >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install \
        --quiet --no-input --progress-bar off --only-binary=:all: --requirement "$REQUIREMENTS"
    "$VENV/bin/python" -c 'import awslambdaric, boto3'
    printf '%s\n' "$key" >"$stamp"
fi
