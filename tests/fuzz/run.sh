#!/bin/sh
# Build every libFuzzer target tests/fuzz/fuzz-*.c with clang
# (-fsanitize=fuzzer,address,undefined) against the library sources and
# run each for a bounded time (FUZZ_SECONDS, default 30). The random seed
# is fixed (FUZZ_SEED, default 1) so that a run is repeatable: the same
# build explores the same inputs. Give another seed, or 0 for a random
# one, and more seconds, to search further.
# Usage: sh tests/fuzz/run.sh [TOPDIR]
set -eu
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${FUZZ_SECONDS:-30}
seed=${FUZZ_SEED:-1}
out=${FUZZ_BUILD:-$top/build-fuzz}
mkdir -p "$out"

# The library: every src/*.c without a main().
lib=""
for f in "$top"/src/*.c; do
	grep -q '^main(' "$f" && continue
	lib="$lib $f"
done
libs="$(pkg-config --cflags --libs libpcre2-8 yaml-0.1 libcurl libcjson) -lm"
flags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$top/src"

for t in "$top"/tests/fuzz/fuzz-*.c; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .c)
	echo "fuzz: building $name"
	# shellcheck disable=SC2086
	clang $flags -o "$out/$name" "$t" $lib $libs
	corpus="$out/corpus-$name"
	mkdir -p "$corpus"
	seeds="$top/tests/fuzz/seeds-$name"
	[ -d "$seeds" ] || seeds=""
	echo "fuzz: running $name for ${secs}s"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$out/$name" -max_total_time="$secs" -seed="$seed" -timeout=10 \
		-rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
		-artifact_prefix="$out/" \
		"$corpus" $seeds
done
