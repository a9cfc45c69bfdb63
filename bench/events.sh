#!/bin/sh
# Event benchmark: one event with 20 handlers, then the same event with 30
# templates to expand (templates2expand, when generic_template_expand is
# built), end to end: `signal-event` (C) against the original's algorithm
# in Perl (bench/esmith-event.pl). Prints the time per event and per
# handler.
# Usage: sh bench/events.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
build=${1:-build}
[ -x "$build/src/signal-event" ] || { meson setup "$build" >/dev/null; }
meson compile -C "$build" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
R=$work/root
ev=$R/etc/e-smith/events/bench
A=$R/etc/e-smith/events/actions
mkdir -p "$ev" "$A" "$R/home/e-smith/db"
# 20 handlers, each a small program printing one line (captured, logged).
cat >"$A/hello" <<'EOS'
#!/bin/sh
echo "handler $0 for $1"
EOS
chmod 755 "$A/hello"
for i in $(seq 1 20); do
	ln -s ../actions/hello "$ev/S$(printf %02d $((i + 10)))hello$i"
done
export ESMITH_ROOT=$R
unset ESMITH_EVENT_LOG ESMITH_EVENT_TIMEOUT

run() { # label runs commands...
	hyperfine -N --warmup 3 --runs "$2" --style basic --export-json "$work/h.json" \
		-n "C signal-event" "$3" -n "Perl algorithm" "$4" 2>/dev/null |
		grep -E '^(Benchmark|  Time)'
	jq -r --arg n "$1" '.results[] | "\(.command): \(.mean * 1000 | . * 100 | round / 100) ms per event, \(.mean * 1000 / ($n | tonumber) | . * 1000 | round / 1000) ms per handler; CPU (user+sys) \((.user + .system) * 1000 | . * 100 | round / 100) ms per event"' "$work/h.json"
}

echo "== 20 handlers (shell scripts), end to end"
run 20 30 "$top/$build/src/signal-event bench" "perl $top/bench/esmith-event.pl $R bench"
echo
echo "== the runner alone: 20 handlers that are /bin/true"
mkdir -p "$R/etc/e-smith/events/bare"
for i in $(seq 1 20); do
	ln -s /bin/true "$R/etc/e-smith/events/bare/S$(printf %02d $((i + 10)))true$i"
done
run 20 50 "$top/$build/src/signal-event bare" "perl $top/bench/esmith-event.pl $R bare"

if [ ! -x "$build/actions/generic_template_expand" ]; then
	echo
	echo "(generic_template_expand is not built: the template part is skipped)"
	exit 0
fi
echo
echo "== 20 handlers and 30 templates (3 fragments each) to expand"
cp "$build/actions/generic_template_expand" "$A/"
echo "DomainName=example.com" >"$R/home/e-smith/db/configuration"
echo "sshd=service|TCPPort|22|status|enabled" >>"$R/home/e-smith/db/configuration"
for i in $(seq 1 30); do
	t=$R/etc/e-smith/templates/etc/bench/file$i
	mkdir -p "$t" "$ev/templates2expand/etc/bench" "$R/etc/bench"
	: >"$ev/templates2expand/etc/bench/file$i"
	printf '# file %s for { $EVENT }\n' "$i" >"$t/10head"
	printf 'domain { $DomainName }\nport { $sshd{TCPPort} || 22 }\n' >"$t/20body"
	printf '{\n    my $n = 0;\n    foreach my $k (qw(a b c d)) { $n++; $OUT .= "$k=$n\\n"; }\n}\n' >"$t/30loop"
done
"$build/src/signal-event" bench 2>/dev/null
head -3 "$R/etc/bench/file1"
handlers=21
if [ -d tests/oracle/lib ]; then
	run $handlers 20 "$top/$build/src/signal-event bench" \
		"env TEMPLATES_IN_PROCESS=1 perl $top/bench/esmith-event.pl $R bench"
else
	hyperfine -N --warmup 3 --runs 20 --style basic \
		-n "C signal-event" "$top/$build/src/signal-event bench" 2>/dev/null |
		grep -E '^(Benchmark|  Time)'
fi
