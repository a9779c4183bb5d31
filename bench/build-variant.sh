#!/usr/bin/env bash
# Builds get-book as of earlier commits, for the benchmark's "Cuts" table, and prints
# the `--variant` arguments that measure them beside this build in the same run:
#
#   bash bench/build-variant.sh REV [LABEL]   # one commit (LABEL: its short hash)
#   bash bench/build-variant.sh --cuts        # every commit of bench/cuts.txt
#
# Each build is that commit's own release profile and lockfile, in a worktree of its
# own, with a target folder shared by every variant (target/variants/target) so that
# dependencies compile once; the working tree's build is not touched. A variant
# already built is reused (target/variants/LABEL/get-book is named by its commit).
set -euo pipefail

root=$(git rev-parse --show-toplevel)
variants=$root/target/variants

build() {
    local commit label source binary
    if ! commit=$(git -C "$root" rev-parse --verify --quiet "$1^{commit}"); then
        echo "build-variant: $1 is not in this clone (shallow?): no '${2:-$1}' row" >&2
        return 0
    fi
    label=${2:-$(git -C "$root" rev-parse --short "$commit")}
    binary=$variants/$label-$commit/get-book
    if [ ! -x "$binary" ]; then
        source=$variants/src-$label
        git -C "$root" worktree remove --force "$source" 2>/dev/null || rm -rf "$source"
        git -C "$root" worktree prune
        git -C "$root" worktree add --quiet --detach "$source" "$commit"
        echo "build-variant: get-book at $(git -C "$root" log -1 --format='%h %s' "$commit")" >&2
        if ! cargo build --release --locked -p get-book \
            --manifest-path "$source/Cargo.toml" --target-dir "$variants/target" >&2; then
            git -C "$root" worktree remove --force "$source"
            return 1
        fi
        git -C "$root" worktree remove --force "$source"
        mkdir -p "$(dirname "$binary")"
        cp "$variants/target/release/get-book" "$binary"
    fi
    printf -- '--variant %s=%s ' "$label" "${binary#"$root"/}"
}

if [ "${1:-}" = "--cuts" ]; then
    # bench/cuts.txt: one "LABEL COMMIT" per line, oldest first; # starts a comment.
    while read -r label commit _; do
        case $label in '' | '#'*) continue ;; esac
        build "$commit" "$label"
    done < "$root/bench/cuts.txt"
    echo
else
    build "${1:?usage: bench/build-variant.sh REV [LABEL] | --cuts}" "${2:-}"
    echo
fi
