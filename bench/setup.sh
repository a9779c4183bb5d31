#!/usr/bin/env bash
# Installs what `make bench` needs besides the Rust toolchain and the Python peer:
# Debian's `linux-perf` (perf, for the CPU profiles of the report) and the system's CA
# bundle (`ca-certificates`: the trust store every benchmarked process loads, the size of
# Amazon Linux 2023's). apt-get, as root or through sudo, only when one is missing; a
# second run prints nothing. The benchmark itself needs root (cgroups for Lambda's CPU
# model, a mount namespace for DynamoDB's real host name).
#
#   bench/setup.sh
set -euo pipefail

missing=()
command -v perf >/dev/null 2>&1 && perf --version >/dev/null 2>&1 || missing+=(linux-perf)
[[ -s /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
((${#missing[@]})) || exit 0

as_root() {
    if [[ $(id -u) == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "bench: setup: ${missing[*]} missing; install as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
}
echo "bench: setup: apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
    as_root apt-get update -qq
    as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
