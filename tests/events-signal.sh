#!/bin/sh
# signal-event on a sandbox root: handler order (with a handler without an
# S prefix), arguments, a failing handler (the event fails, the others
# still run, the log line carries the status), a non-executable entry, a
# hung handler stopped by the time limit, a missing event, and the event
# lock (a second event waits and says so). The tree is built by
# events/install-events.sh from a list, as `meson install` does.
# Usage: events-signal.sh SIGNAL_EVENT
set -u
SE=$1
src=${SRCDIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R=$T/root
fails=0

check() { # name expected actual
	if diff -u "$2" "$3"; then
		echo "ok - $1"
	else
		echo "FAIL - $1"
		fails=$((fails + 1))
	fi
}

# Mask what changes from run to run: times and the root.
mask() {
	sed -e "s|$R|ROOT|g" \
		-e 's/|Start|[0-9]* [0-9]*|End|[0-9]* [0-9]*|Elapsed|[0-9.]*/|Start|S|End|E|Elapsed|X/' \
		-e 's/, [0-9]*\.[0-9]* s$/, X s/'
}

# -- the tree -----------------------------------------------------------------
cat >"$T/events.list" <<'EOF'
# a test list
ev    record-b    20
ev    record-a    10
ev    fails       15
ev    noexec      17
hang  record-a    10
hang  sleeper     20
hang  record-b    30
long  blocker     10
other record-a    10
empty
noaction template /etc/x.conf
EOF
DESTDIR=$R sh "$src/events/install-events.sh" "$T/events.list" || exit 1
A=$R/etc/e-smith/events/actions
mkdir -p "$A"
cat >"$A/record-a" <<'EOF'
#!/bin/sh
echo "a: $# args: $*" >>"$ESMITH_ROOT/out"
echo "record-a says hello"
EOF
cat >"$A/record-b" <<'EOF'
#!/bin/sh
echo "b: [$1] [$2] [$3]" >>"$ESMITH_ROOT/out"
EOF
cat >"$A/fails" <<'EOF'
#!/bin/sh
echo "fails: about to fail"
echo "fails: on stderr" >&2
exit 3
EOF
cat >"$A/noexec" <<'EOF'
#!/bin/sh
echo never >>"$ESMITH_ROOT/out"
EOF
cat >"$A/sleeper" <<'EOF'
#!/bin/sh
echo "sleeping"
sleep 600
EOF
cat >"$A/blocker" <<'EOF'
#!/bin/sh
: >"$ESMITH_ROOT/started"
read -r line <"$ESMITH_ROOT/fifo"
echo "blocker released"
EOF
chmod 755 "$A/record-a" "$A/record-b" "$A/fails" "$A/sleeper" "$A/blocker"
chmod 644 "$A/noexec"
# A handler without an S prefix sorts after the S ones (byte order).
cp "$A/record-a" "$R/etc/e-smith/events/ev/zz-plain"
# A directory is not a handler.
mkdir "$R/etc/e-smith/events/ev/S12adir"

unset ESMITH_EVENT_TIMEOUT ESMITH_EVENT_LOG ESMITH_EVENT_LOCK_PID
export ESMITH_ROOT=$R

# -- order, arguments, failure --------------------------------------------------
"$SE" --log "$T/log" ev one "two words" 2>"$T/stderr"
echo "exit $?" >>"$T/stderr"
cat >"$T/want" <<'EOF'
a: 3 args: ev one two words
b: [ev] [one] [two words]
a: 3 args: ev one two words
EOF
check "handlers run in byte order with the event and its arguments" "$T/want" "$R/out"
cat >"$T/want" <<'EOF'
signal-event: ev: S10record-a ok, X s
signal-event: ev: S15fails failed (exit status 3), X s
  S15fails: fails: about to fail
  S15fails: fails: on stderr
signal-event: ev: S17noexec skipped (not executable)
signal-event: ev: S20record-b ok, X s
signal-event: ev: zz-plain ok, X s
signal-event: event ev failed: 1 of 4 handlers failed
exit 1
EOF
mask <"$T/stderr" >"$T/got"
check "progress on stderr, a failed handler's output shown" "$T/want" "$T/got"
cat >"$T/want" <<'EOF'
Processing event: ev one two words
Running event handler: ROOT/etc/e-smith/events/ev/S10record-a
S10record-a: record-a says hello
S10record-a=action|Event|ev|Action|S10record-a|Start|S|End|E|Elapsed|X
Running event handler: ROOT/etc/e-smith/events/ev/S15fails
S15fails: fails: about to fail
S15fails: fails: on stderr
S15fails=action|Event|ev|Action|S15fails|Start|S|End|E|Elapsed|X|Status|768
Skipping non-executable event handler: ROOT/etc/e-smith/events/ev/S17noexec
Running event handler: ROOT/etc/e-smith/events/ev/S20record-b
S20record-b=action|Event|ev|Action|S20record-b|Start|S|End|E|Elapsed|X
Running event handler: ROOT/etc/e-smith/events/ev/zz-plain
zz-plain: record-a says hello
zz-plain=action|Event|ev|Action|zz-plain|Start|S|End|E|Elapsed|X
EOF
mask <"$T/log" >"$T/got"
check "log lines (ESMITH.md section 4)" "$T/want" "$T/got"

# -v shows every handler's output as it comes.
"$SE" -v ev one 2>&1 >/dev/null | grep '^  ' >"$T/got"
cat >"$T/want" <<'EOF'
  S10record-a: record-a says hello
  S15fails: fails: about to fail
  S15fails: fails: on stderr
  zz-plain: record-a says hello
EOF
check "-v shows all handler output" "$T/want" "$T/got"

# -- a hung handler ---------------------------------------------------------------
rm -f "$R/out"
ESMITH_EVENT_LOG=$T/hanglog "$SE" --timeout 1 hang 2>"$T/stderr"
echo "exit $?" >>"$T/stderr"
cat >"$T/want" <<'EOF'
signal-event: hang: S10record-a ok, X s
signal-event: hang: S20sleeper killed: time limit of 1 s reached (status 15), X s
  S20sleeper: sleeping
signal-event: hang: S30record-b ok, X s
signal-event: event hang failed: 1 of 3 handlers failed
exit 1
EOF
mask <"$T/stderr" >"$T/got"
check "a hung handler is killed at the time limit, the rest still run" "$T/want" "$T/got"
grep '^S20sleeper: time limit\|^S20sleeper=action' "$T/hanglog" | mask >"$T/got"
cat >"$T/want" <<'EOF2'
S20sleeper: time limit of 1 s reached, handler killed
S20sleeper=action|Event|hang|Action|S20sleeper|Start|S|End|E|Elapsed|X|Status|15
EOF2
check "the time limit is logged" "$T/want" "$T/got"
printf '%s\n' "a: 1 args: hang" "b: [hang] [] []" >"$T/want"
check "handlers around the hung one ran" "$T/want" "$R/out"

# -- a missing event, usage ------------------------------------------------------
"$SE" nope 2>"$T/stderr"
echo "exit $?" >>"$T/stderr"
cat >"$T/want" <<'EOF'
signal-event: no such event 'nope' (ROOT/etc/e-smith/events/nope is missing)
exit 1
EOF
mask <"$T/stderr" >"$T/got"
check "a missing event is an error" "$T/want" "$T/got"
"$SE" --timeout soon ev 2>"$T/stderr"
echo "exit $?" >>"$T/stderr"
printf '%s\n' "signal-event: --timeout 'soon': expected a number of seconds" "exit 2" >"$T/want"
check "a bad time limit is a usage error" "$T/want" "$T/stderr"
"$SE" empty 2>"$T/stderr"
echo "exit $?" >>"$T/stderr"
echo "exit 0" >"$T/want"
check "an event without handlers succeeds" "$T/want" "$T/stderr"

"$SE" noaction 2>"$T/stderr"
echo "exit $?" >>"$T/stderr"
cat >"$T/want" <<'EOF'
signal-event: noaction: S05generic_template_expand failed (cannot run: No such file or directory), X s
signal-event: event noaction failed: 1 of 1 handlers failed
exit 1
EOF
mask <"$T/stderr" >"$T/got"
check "a missing implicit action fails the event" "$T/want" "$T/got"
rm -f "$R/out"
env -u ESMITH_ROOT "$SE" --root "$R" other one 2>/dev/null
echo "a: 2 args: other one" >"$T/want"
check "--root DIR instead of ESMITH_ROOT" "$T/want" "$R/out"

# -- the event lock -----------------------------------------------------------------
mkfifo "$R/fifo"
"$SE" long 2>"$T/long.err" &
long=$!
i=0
while [ ! -e "$R/started" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
"$SE" other 2>"$T/other.err" &
other=$!
i=0
while ! grep -q waiting "$T/other.err" && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
# The second event has not run a handler while the first holds the lock.
[ -e "$R/out" ] && grep -q "a: 1 args: other" "$R/out" && {
	echo "FAIL - second event ran while the first held the lock"
	fails=$((fails + 1))
}
echo go >"$R/fifo"
wait $long
echo "exit $?" >>"$T/long.err"
wait $other
echo "exit $?" >>"$T/other.err"
cat >"$T/want" <<EOF
signal-event: waiting for the event lock (held by event 'long' (pid $long))
signal-event: other: S10record-a ok, X s
exit 0
EOF
mask <"$T/other.err" >"$T/got"
check "a second event waits for the lock and says who holds it" "$T/want" "$T/got"
grep -q "a: 1 args: other" "$R/out" || { echo "FAIL - the second event ran"; fails=$((fails + 1)); }

# -- a handler signalling another event shares the lock ------------------------------
mkdir -p "$R/etc/e-smith/events/outer"
cat >"$R/etc/e-smith/events/outer/S10nested" <<EOF
#!/bin/sh
exec "$SE" other
EOF
chmod 755 "$R/etc/e-smith/events/outer/S10nested"
"$SE" --timeout 20 outer 2>"$T/stderr"
echo "exit $?" >>"$T/stderr"
cat >"$T/want" <<'EOF'
signal-event: outer: S10nested ok, X s
exit 0
EOF
mask <"$T/stderr" >"$T/got"
check "a nested event runs inside the outer one's lock" "$T/want" "$T/got"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
