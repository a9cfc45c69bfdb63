#!/bin/sh
# Build and run every test: the normal build with warnings as errors, an
# ASan+UBSan build running every test again, the unit tests under valgrind,
# the fuzz targets for a bounded time, and the clang-format check.
# Usage (as root on Debian 12): sh tests/run-all.sh
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh tests/install-deps.sh

step() { printf '\n=== %s\n' "$*"; }

step "format check (clang-format)"
files=$(git ls-files 'src/*.c' 'src/*.h' 'actions/*.c' 'tests/*.c' 'tests/*.h' 'bench/*.c' 2>/dev/null || true)
if [ -n "$files" ]; then
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $files
fi

step "normal build (warnings are errors)"
[ -d build-ci ] || meson setup build-ci -Dwerror=true >/dev/null
meson compile -C build-ci
meson test -C build-ci --print-errorlogs --num-processes 2

step "ASan+UBSan build"
[ -d build-asan ] || meson setup build-asan -Dwerror=true -Dbuildtype=debug \
	-Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all >/dev/null
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2

step "unit tests under valgrind"
meson test -C build-ci --setup=valgrind --suite unit --print-errorlogs --num-processes 2

step "fuzz targets (libFuzzer, bounded time)"
if [ -f tests/fuzz/run.sh ]; then
	sh tests/fuzz/run.sh "$top"
fi

echo
echo "all tests passed"
