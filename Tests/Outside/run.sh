#!/usr/bin/env bash
# `make test-outside`: plug-ins started with `zoo plugin new` and built the way their authors build
# them, in a temporary folder outside the repository. A Swift loss (a SwiftPM package depending on
# this checkout by path, `swift build` in debug) and a C module of every role (`make` against the
# header `zoo plugin header` finds) are each built, checked with `zoo plugin check` and no flags (the
# modules declare example configurations), and trained for one epoch with the manifest written beside
# them. The check must pass and its finite-difference error stay below 1e-3, so that a gradient 1% off
# fails. Any failure ends the stage with a non-zero status and keeps the folder.
#
#   Tests/Outside/run.sh [BUILT]    BUILT: the folder of the built zoo and plug-ins (default .build/release)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
built=$(cd "${1:-$root/.build/release}" && pwd)
[ -x "$built/zoo" ] || { echo "test-outside: $built/zoo not found: build first (make test does)" >&2; exit 1; }
export PATH="$built:$PATH"   # `zoo` on the PATH, as a plug-in's README and Makefile expect
work=$(mktemp -d "${TMPDIR:-/tmp}/zoo-outside.XXXXXX")
case "$work" in "$root"/*) echo "test-outside: $work is inside the repository" >&2; exit 1 ;; esac
trap 'status=$?; if [ $status -eq 0 ]; then rm -rf "$work"; else echo "test-outside: FAILED (status $status); the work folder stays: $work" >&2; fi' EXIT
gradient_bound=1e-3
started=$(date +%s.%N)

echo "test-outside: plug-ins written with zoo plugin new and built as their authors do, in $work"

# step DESCRIPTION COMMAND...: runs the command with its output in $work/step.log, prints the time it
# took, and shows the log when it fails.
step() {
    local description=$1; shift
    local begin; begin=$(date +%s.%N)
    if ! "$@" >"$work/step.log" 2>&1; then
        echo "  FAIL $description" >&2
        cat "$work/step.log" >&2
        return 1
    fi
    printf '  %-66s %6s s\n' "$description" "$(since "$begin")"
}

since() { awk -v begin="$1" -v end="$(date +%s.%N)" 'BEGIN { printf "%.1f", end - begin }'; }

in_dir() { (cd "$1" && shift && "$@"); }

# check LIB: zoo plugin check with no flags passes, and backward agrees with finite differences to
# $gradient_bound (relative). (Commands in `if` do not stop at errors: each status is tested.)
check() {
    local output errors
    output=$(zoo plugin check "$1") || { echo "$output"; return 1; }
    echo "$output"
    errors=$(echo "$output" | sed -n 's/.*backward against finite differences — largest relative error \([^ ]*\).*/\1/p')
    [ -n "$errors" ] || { echo "no finite-difference result for $1"; return 1; }
    for error in $errors; do
        awk -v e="$error" -v b="$gradient_bound" 'BEGIN { exit !(e + 0 < b + 0) }' \
            || { echo "backward of $1 is off by $error (relative), more than $gradient_bound"; return 1; }
    done
}

# train: one epoch of the plug-in's own manifest, from its folder, the built-ins from $built.
train() {
    zoo train manifest.yaml --plugin-path "$built" || return 1
    ls runs/*/evaluation.json || return 1
}

cd "$work"
step "zoo plugin new focal2 --swift --role loss" zoo plugin new focal2 --swift --role loss
grep -q "path: \"$root\")" focal2/Package.swift || { echo "focal2/Package.swift does not depend on $root by path" >&2; exit 1; }
step "swift build (focal2: ZooPluginKit and its dependencies, debug)" in_dir focal2 swift build
step "zoo plugin check .build/debug/libFocal2.so" in_dir focal2 check .build/debug/libFocal2.so
step "zoo train manifest.yaml (focal2, one epoch)" in_dir focal2 train

for role in head backbone loss relation; do
    name=$([ "$role" = head ] && echo scaled2 || echo "c-$role")
    step "zoo plugin new $name --c --role $role" zoo plugin new "$name" --c --role "$role"
    step "make ($name: cc against the header of zoo plugin header)" make -C "$name"
    step "zoo plugin check ./lib$name.so" in_dir "$name" check "./lib$name.so"
    step "zoo train manifest.yaml ($name, one epoch)" in_dir "$name" train
done

echo "test-outside: passed in $(since "$started") s"
