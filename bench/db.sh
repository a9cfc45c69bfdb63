#!/bin/sh
# Database benchmark: `db` against the original's algorithm in Perl
# (bench/esmith-db.pl), side by side in one run, on databases of 1k, 10k and
# 100k records; then the in-process cost of load, getprop and setprop.
# Usage: sh bench/db.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/src/db" ] || { meson setup "$build" >/dev/null && meson compile -C "$build" >/dev/null; }
meson compile -C "$build" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in 1000 10000 100000; do
	awk -v n=$n 'BEGIN { for (i = 0; i < n; i++)
		printf "key%06d=service|TCPPort|%d|access|private|status|enabled|Note|record %d\n", i, 1000 + i % 60000, i }' \
		>"$work/db$n"
done
echo "== whole command, db (C) vs the original's algorithm (Perl), hyperfine"
for n in 1000 10000 100000; do
	k=$(printf 'key%06d' $((n / 2)))
	hyperfine -N --warmup 3 --runs 20 --style basic \
		-n "C db getprop ${n}" "$build/src/db $work/db$n getprop $k TCPPort" \
		-n "Perl getprop ${n}" "perl bench/esmith-db.pl $work/db$n getprop $k TCPPort" \
		-n "C db setprop ${n}" "$build/src/db $work/db$n setprop $k Note x" \
		-n "Perl setprop ${n}" "perl bench/esmith-db.pl $work/db$n setprop $k Note x" \
		2>/dev/null | grep -E '^(Benchmark|  Time)'
done
echo
echo "== in process (bench/db-bench)"
"$build/bench/db-bench" "$work/db1000" "$work/db10000" "$work/db100000"
