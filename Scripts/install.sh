#!/bin/sh
# Installs Zoo from a release build folder, or removes what it installed:
#
#   Scripts/install.sh BUILD_FOLDER              # e.g. .build/release (make install)
#   Scripts/install.sh --uninstall               # make uninstall
#
# PREFIX (default /usr/local) and DESTDIR (default empty) come from the environment; files go
# under DESTDIR/PREFIX, and what they record (the pkg-config file) names PREFIX alone:
#
#   PREFIX/bin/zoo
#   PREFIX/lib/zoo/plugins/libZoo{Backbones,Heads,Losses,Relations}.so and their NAME.zoo.json
#   PREFIX/include/zoo/zoo_plugin.h
#   PREFIX/lib/pkgconfig/zoo-plugin.pc
#
# The metadata files record the file name and SHA-256 of their library, not its folder, so the
# installed copies keep them as they are; a library whose metadata is missing or stale is sealed
# in the build folder first.
set -eu

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
root=$(cd "$(dirname "$0")/.." && pwd)
header="$root/Sources/CZooPlugin/include/zoo_plugin.h"
plugins="libZooBackbones libZooHeads libZooLosses libZooRelations"
target="$DESTDIR$PREFIX"

fail() { echo "install.sh: $*" >&2; exit 1; }

case "$PREFIX" in /*) ;; *) fail "PREFIX must be an absolute path, found \"$PREFIX\"" ;; esac

if [ "${1:-}" = "--uninstall" ]; then
    [ $# -eq 1 ] || fail "usage: install.sh --uninstall"
    rm -f "$target/bin/zoo" "$target/include/zoo/zoo_plugin.h" "$target/lib/pkgconfig/zoo-plugin.pc"
    for name in $plugins; do rm -f "$target/lib/zoo/plugins/$name.so" "$target/lib/zoo/plugins/$name.zoo.json"; done
    # Only the folders of Zoo's own, and only when nothing else is left in them.
    for folder in lib/zoo/plugins lib/zoo include/zoo; do
        [ -d "$target/$folder" ] && rmdir "$target/$folder" 2>/dev/null || true
    done
    echo "removed Zoo from $target"
    exit 0
fi

[ $# -eq 1 ] || fail "usage: install.sh BUILD_FOLDER (e.g. .build/release), or install.sh --uninstall"
build=$1
[ -x "$build/zoo" ] || fail "$build/zoo not found: build first (swift build -c release, or make install)"
for name in $plugins; do
    [ -f "$build/$name.so" ] || fail "$build/$name.so not found: build first (swift build -c release, or make install)"
    # Inspecting reads the metadata file and checks the library's SHA-256 without running it.
    "$build/zoo" plugins inspect "$build/$name.so" >/dev/null 2>&1 || "$build/zoo" plugin seal "$build/$name.so" >/dev/null
done
major=$(sed -n 's/^#define ZOO_ABI_MAJOR \([0-9][0-9]*\)$/\1/p' "$header")
minor=$(sed -n 's/^#define ZOO_ABI_MINOR \([0-9][0-9]*\)$/\1/p' "$header")
[ -n "$major" ] && [ -n "$minor" ] || fail "$header: no ZOO_ABI_MAJOR and ZOO_ABI_MINOR defines to take the version from"

install -d -m 755 "$target/bin" "$target/lib/zoo/plugins" "$target/include/zoo" "$target/lib/pkgconfig"
install -m 755 "$build/zoo" "$target/bin/zoo"
for name in $plugins; do
    install -m 644 "$build/$name.so" "$build/$name.zoo.json" "$target/lib/zoo/plugins/"
done
install -m 644 "$header" "$target/include/zoo/zoo_plugin.h"
pc=$(mktemp)
cat >"$pc" <<PC
prefix=$PREFIX
includedir=\${prefix}/include
libdir=\${prefix}/lib
plugindir=\${libdir}/zoo/plugins

Name: zoo-plugin
Description: The C ABI of Zoo plug-ins (zoo_plugin.h; needs dlpack/dlpack.h, Debian's libdlpack-dev). A plug-in links nothing of Zoo.
Version: $major.$minor
Cflags: -I\${includedir}/zoo
Libs:
PC
install -m 644 "$pc" "$target/lib/pkgconfig/zoo-plugin.pc"
rm -f "$pc"
echo "installed Zoo (plug-in ABI $major.$minor) in $target"
