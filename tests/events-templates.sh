#!/bin/sh
# templates2expand: signal-event runs generic_template_expand as
# S05generic_template_expand; each marker names a target expanded with
# MORE_DATA EVENT => <event>; only changed targets are recorded for
# adjust-services; a failing template fails the event and leaves its
# target untouched while the other targets are still expanded.
# Usage: events-templates.sh SIGNAL_EVENT GENERIC_TEMPLATE_EXPAND ADJUST_SERVICES
set -u
SE=$1
GTE=$2
ADJ=$3
src=${SRCDIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R=$T/root
fails=0
ok() { echo "ok - $1"; }
fail() {
	echo "FAIL - $1"
	fails=$((fails + 1))
}
check() { # name expected actual
	if diff -u "$2" "$3"; then ok "$1"; else fail "$1"; fi
}
mask() {
	sed -e "s|$R|ROOT|g" -e 's/, [0-9]*\.[0-9]* s$/, X s/'
}

cat >"$T/list" <<'EOF'
tpl-update  template  /etc/test/a.conf
tpl-update  template  /etc/test/b.conf
tpl-update  service   svc  reload  /etc/test/a.conf
tpl-update  service   other  restart  /etc/test/b.conf
newdir      template  /etc/newdir/sub/c.conf
EOF
DESTDIR=$R sh "$src/events/install-events.sh" "$T/list" || exit 1
A=$R/etc/e-smith/events/actions
mkdir -p "$A" "$R/home/e-smith/db" "$R/etc/test"
cp "$GTE" "$A/generic_template_expand"
cp "$ADJ" "$A/adjust-services"
# A service command that only records what it is asked (status: running).
cat >"$T/svc" <<EOF
#!/bin/sh
echo "\$*" >>"$T/svc.log"
EOF
chmod 755 "$T/svc"
cat >"$R/home/e-smith/db/configuration" <<'EOF'
DomainName=example.com
svc=service|status|enabled
other=service|status|enabled
EOF
TP=$R/etc/e-smith/templates/etc/test
mkdir -p "$TP/a.conf" "$TP/b.conf"
printf 'event { $EVENT } domain { $DomainName }\n' >"$TP/a.conf/10main"
printf 'b for { $EVENT }\n' >"$TP/b.conf/10main"
export ESMITH_ROOT=$R ESMITH_SERVICE_CMD=$T/svc
unset ESMITH_EVENT_LOG ESMITH_EVENT_LOCK_PID ESMITH_CONFIG_DB

"$SE" --log "$T/log" tpl-update 2>"$T/err"
echo "exit $?" >>"$T/err"
cat >"$T/want" <<'EOF'
signal-event: tpl-update: S05generic_template_expand ok, X s
signal-event: tpl-update: S90adjust-services ok, X s
exit 0
EOF
mask <"$T/err" >"$T/got"
check "the implicit handlers run" "$T/want" "$T/got"
grep -v '^#' "$R/etc/test/a.conf" >"$T/got"
echo "event tpl-update domain example.com" >"$T/want"
check "a target expanded with EVENT in MORE_DATA" "$T/want" "$T/got"
printf '%s\n' "other status" "other restart" "svc status" "svc reload" >"$T/want"
check "both targets changed: both services adjusted" "$T/want" "$T/svc.log"

# Only a.conf changes now.
: >"$T/svc.log"
echo "DomainName=example.org" >"$T/db"
grep -v DomainName "$R/home/e-smith/db/configuration" >>"$T/db"
cp "$T/db" "$R/home/e-smith/db/configuration"
"$SE" tpl-update 2>"$T/err" || { fail "second run"; cat "$T/err"; }
grep -q "domain example.org" "$R/etc/test/a.conf" && ok "a.conf updated" || fail "a.conf updated"
printf '%s\n' "other status" "svc status" "svc reload" >"$T/want"
check "only the service whose file changed is reloaded" "$T/want" "$T/svc.log"

# A failing template: the event fails, its target is untouched, the
# other target is still expanded.
cp "$R/etc/test/a.conf" "$T/a.before"
printf '{ die "broken on purpose\\n" }\n' >"$TP/a.conf/20broken"
printf 'b changed for { $EVENT }\n' >"$TP/b.conf/10main"
"$SE" tpl-update 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && ok "a failed template fails the event" || fail "a failed template fails the event (exit $rc)"
grep -q "S05generic_template_expand failed (exit status 1)" "$T/err" &&
	grep -q "/etc/test/a.conf" "$T/err" && grep -q "broken on purpose" "$T/err" &&
	ok "the error names the target and the message" ||
	{ fail "the error names the target and the message"; cat "$T/err"; }
check "the failed target is untouched" "$T/a.before" "$R/etc/test/a.conf"
grep -q "b changed for tpl-update" "$R/etc/test/b.conf" && ok "the other target is expanded" ||
	fail "the other target is expanded"

# A target whose directory does not exist yet (a fresh sandbox root).
mkdir -p "$R/etc/e-smith/templates/etc/newdir/sub/c.conf"
printf 'c for { $EVENT }\n' >"$R/etc/e-smith/templates/etc/newdir/sub/c.conf/10main"
"$SE" newdir 2>"$T/err" || { fail "newdir"; cat "$T/err"; }
grep -v '^#' "$R/etc/newdir/sub/c.conf" >"$T/got"
echo "c for newdir" >"$T/want"
check "the target's directory is made when missing" "$T/want" "$T/got"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
