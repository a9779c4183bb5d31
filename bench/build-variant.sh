#!/usr/bin/env bash
# Builds get-book as of earlier commits, or with one experiment applied, for the
# benchmark's "Cuts" table, and prints the `--variant` arguments that measure them
# beside this build in the same run:
#
#   bash bench/build-variant.sh REV [LABEL [SETTING...]]   # one build
#   bash bench/build-variant.sh --cuts                      # every line of bench/cuts.txt
#
# A SETTING is NAME=VALUE (an environment variable for cargo, such as
# CARGO_PROFILE_RELEASE_OPT_LEVEL=s) or a patch under bench/experiments/ applied to the
# commit's tree. Each build is the commit's own release profile and lockfile, in a
# worktree of its own, with a target folder shared by every variant
# (target/variants/target) so that dependencies compile once; the working tree's build
# is not touched. A variant already built (same label, commit and settings) is reused.
set -euo pipefail

root=$(git rev-parse --show-toplevel)
variants=$root/target/variants

build() {
    local rev=$1 label=${2:-} commit source binary key setting
    shift $(($# < 2 ? $# : 2))
    if ! commit=$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}"); then
        echo "build-variant: $rev is not in this clone (shallow?): no '${label:-$rev}' row" >&2
        return 0
    fi
    label=${label:-$(git -C "$root" rev-parse --short "$commit")}
    # The settings and the patches' contents name the build, with the commit.
    key=$( { echo "$commit $*"; for setting in "$@"; do
        case $setting in *=*) ;; *) cat "$root/bench/experiments/$setting" ;; esac
    done; } | sha256sum | cut -c1-16)
    binary=$variants/$label-$key/get-book
    if [ ! -x "$binary" ]; then
        source=$variants/src-$label
        git -C "$root" worktree remove --force "$source" 2>/dev/null || rm -rf "$source"
        git -C "$root" worktree prune
        git -C "$root" worktree add --quiet --detach "$source" "$commit"
        local environment=()
        for setting in "$@"; do
            case $setting in
                *=*) environment+=("$setting") ;;
                *) git -C "$source" apply "$root/bench/experiments/$setting" ;;
            esac
        done
        echo "build-variant: get-book at $(git -C "$root" log -1 --format='%h %s' "$commit") $*" >&2
        if ! env "${environment[@]}" cargo build --release --locked -p get-book \
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
    # bench/cuts.txt: "LABEL COMMIT [SETTING...]" per line; # starts a comment.
    while read -r label commit settings; do
        case $label in '' | '#'*) continue ;; esac
        # shellcheck disable=SC2086 # settings are words
        build "$commit" "$label" $settings
    done < "$root/bench/cuts.txt"
    echo
else
    build "${1:?usage: bench/build-variant.sh REV [LABEL [SETTING...]] | --cuts}" "${@:2}"
    echo
fi
