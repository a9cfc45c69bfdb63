#!/bin/sh
# adjust-services against a real Debian apache2, driven through its SysV
# script (/etc/init.d/apache2) with a private configuration directory
# (APACHE_CONFDIR), its own pid, run, lock and log directories and a free
# loopback port, so it does not clash with any other apache2 here.
#
# An event writes the file apache2 includes, then S90adjust-services:
# the first run starts the stopped service; the next reloads it (the
# master process stays, the new configuration answers); an entry bound
# to a file reloads only when that file changed; a disabled service is
# stopped; a service without a record is skipped with a warning; without
# a service command on a sandbox root only the commands are printed.
# With GENERIC_TEMPLATE_EXPAND, the file is also made from a real
# template by S05generic_template_expand, and only its change reloads.
# Usage: events-apache.sh SIGNAL_EVENT ADJUST_SERVICES [GENERIC_TEMPLATE_EXPAND]
set -u
SE=$1
ADJ=$2
GTE=${3:-}
src=${SRCDIR:?}
T=$(mktemp -d)
R=$T/root
C=$T/apache2
fails=0

stop_apache() {
	if [ -s "$T/run/apache2.pid" ]; then
		pid=$(cat "$T/run/apache2.pid")
		kill "$pid" 2>/dev/null
		i=0
		while alive "$pid" && [ $i -lt 250 ]; do
			sleep 0.02
			i=$((i + 1))
		done
	fi
}
trap 'stop_apache; rm -rf "$T"' EXIT

# Alive and not a zombie (a daemon's reaper may be slow to collect it).
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
		[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}
ok() { echo "ok - $1"; }
fail() {
	echo "FAIL - $1"
	fails=$((fails + 1))
}
check() { # name expected actual
	if diff -u "$2" "$3"; then ok "$1"; else fail "$1"; fi
}
mask() {
	sed -e "s|$R|ROOT|g" -e "s|$T|TMP|g" -e 's/, [0-9]*\.[0-9]* s$/, X s/'
}

# -- a private apache2 ------------------------------------------------------------
port=
for p in $(seq $((21000 + $$ % 500)) $((21100 + $$ % 500))); do
	if [ -z "$(ss -Htln "sport = :$p")" ]; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "no free port"; exit 1; }
cp -a /etc/apache2 "$C"
rm -f "$C"/sites-enabled/*
mkdir -p "$T/run" "$T/lock" "$T/log" "$T/www"
chmod 755 "$T"
cat >"$C/envvars" <<EOF
unset HOME
export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
export APACHE_PID_FILE=$T/run/apache2.pid
export APACHE_RUN_DIR=$T/run
export APACHE_LOCK_DIR=$T/lock
export APACHE_LOG_DIR=$T/log
export LANG=C
EOF
echo "Listen 127.0.0.1:$port" >"$C/ports.conf"
mkdir -p "$R/etc/apache2-test"
cat >"$C/sites-enabled/test.conf" <<EOF
ServerName localhost
<VirtualHost 127.0.0.1:$port>
	DocumentRoot $T/www
	<Directory $T/www>
		Require all granted
	</Directory>
	Include $R/etc/apache2-test/generation.conf
</VirtualHost>
EOF
# The service command adjust-services is told to use: `CMD SERVICE ACTION`.
cat >"$T/service" <<EOF
#!/bin/sh
[ "\$1" = apache2 ] || { echo "unknown service \$1" >&2; exit 1; }
echo "\$*" >>"$T/service.log"
shift
APACHE_CONFDIR=$C APACHE_ENVVARS=$C/envvars exec /etc/init.d/apache2 "\$@"
EOF
chmod 755 "$T/service"

# -- the event tree ---------------------------------------------------------------------
cat >"$T/events.list" <<'EOF'
web-update   write-conf   10
web-update   service      apache2   reload
cond-update  write-conf   10
cond-update  service      apache2   reload   /etc/apache2-test/generation.conf
bootstrap-console-save  write-conf  10
bootstrap-console-save  service  apache2  restart
tpl-web      template     /etc/apache2-test/generation.conf
tpl-web      service      apache2   reload   /etc/apache2-test/generation.conf
EOF
DESTDIR=$R sh "$src/events/install-events.sh" "$T/events.list" || exit 1
A=$R/etc/e-smith/events/actions
mkdir -p "$A"
cp "$ADJ" "$A/adjust-services"
# Writes the generation asked for; records the change as
# generic_template_expand does, only when the content changed.
cat >"$A/write-conf" <<'EOF'
#!/bin/sh
f=$ESMITH_ROOT/etc/apache2-test/generation.conf
new="ErrorDocument 404 \"generation $(cat "$ESMITH_ROOT/generation")\""
[ -f "$f" ] && [ "$(cat "$f")" = "$new" ] && exit 0
echo "$new" >"$f"
[ -z "${ESMITH_EVENT_CHANGES:-}" ] || echo /etc/apache2-test/generation.conf >>"$ESMITH_EVENT_CHANGES"
EOF
chmod 755 "$A/write-conf"
mkdir -p "$R/home/e-smith/db"
setdb() {
	printf '%s\n' "apache2=service|status|$1" "gen=${2:-1}" >"$R/home/e-smith/db/configuration"
}
[ -z "$GTE" ] || cp "$GTE" "$A/generic_template_expand"
mkdir -p "$R/etc/e-smith/templates/etc/apache2-test/generation.conf"
echo 'ErrorDocument 404 "generation { $gen }"' \
	>"$R/etc/e-smith/templates/etc/apache2-test/generation.conf/10errordoc"

unset ESMITH_EVENT_TIMEOUT ESMITH_EVENT_LOG ESMITH_EVENT_LOCK_PID ESMITH_SERVICE_CMD
export ESMITH_ROOT=$R

# The 404 page names the generation apache2 serves. A graceful reload
# hands over to new children shortly after the command returns: wait for
# the expected answer (up to 10 s), then compare.
serves() {
	i=0
	while [ $i -lt 100 ]; do
		got=$(curl -s "http://127.0.0.1:$port/nothing-here" 2>/dev/null)
		[ "$got" = "$1" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	echo "$got"
}
master() { cat "$T/run/apache2.pid" 2>/dev/null; }
graceful_count() { grep -c 'SIGUSR1 received' "$T/log/error.log" 2>/dev/null; }

# -- not running yet: started -----------------------------------------------------------
setdb enabled
echo 1 >"$R/generation"
ESMITH_SERVICE_CMD=$T/service "$SE" web-update >"$T/out" 2>&1
echo "exit $?" >>"$T/out"
[ "$(serves 'generation 1')" = "generation 1" ] && ok "a stopped enabled service is started" ||
	{ fail "a stopped enabled service is started"; cat "$T/out"; cat "$T/log/error.log"; }
pid1=$(master)
alive "$pid1" || fail "apache2 master runs"
printf '%s\n' "apache2 status" "apache2 start" >"$T/want"
check "start only (status, then start)" "$T/want" "$T/service.log"

# -- running: reloaded ------------------------------------------------------------------
: >"$T/service.log"
g0=$(graceful_count)
echo 2 >"$R/generation"
ESMITH_SERVICE_CMD=$T/service "$SE" --log "$T/evlog" web-update 2>"$T/err"
echo "exit $?" >>"$T/err"
[ "$(serves 'generation 2')" = "generation 2" ] && ok "the reload made the new configuration answer" ||
	{ fail "the reload made the new configuration answer"; cat "$T/err"; }
[ "$(master)" = "$pid1" ] && ok "the master process stayed (a reload, not a restart)" ||
	fail "the master process stayed"
[ "$(graceful_count)" -gt "$g0" ] && ok "apache2 logged a graceful restart" ||
	fail "apache2 logged a graceful restart"
printf '%s\n' "apache2 status" "apache2 reload" >"$T/want"
check "status, then reload" "$T/want" "$T/service.log"
cat >"$T/want" <<'EOF'
signal-event: web-update: S10write-conf ok, X s
signal-event: web-update: S90adjust-services ok, X s
exit 0
EOF
mask <"$T/err" >"$T/got"
check "the event succeeded" "$T/want" "$T/got"
grep -q '^S90adjust-services: adjust-services: apache2: reload$' "$T/evlog" &&
	ok "the reload is in the event log" || fail "the reload is in the event log"

# -- an action bound to a file runs only when the file changed --------------------------
: >"$T/service.log"
ESMITH_SERVICE_CMD=$T/service "$SE" --log "$T/condlog" cond-update 2>"$T/err"
echo "exit $?" >>"$T/err"
printf '%s\n' "apache2 status" >"$T/want"
check "no change: no reload" "$T/want" "$T/service.log"
grep -q 'apache2: reload not needed' "$T/condlog" && ok "says the reload is not needed" ||
	fail "says the reload is not needed"
echo 3 >"$R/generation"
ESMITH_SERVICE_CMD=$T/service "$SE" cond-update 2>>"$T/err"
echo "exit $?" >>"$T/err"
printf '%s\n' "apache2 status" "apache2 status" "apache2 reload" >"$T/want"
check "changed: reloaded" "$T/want" "$T/service.log"
[ "$(serves 'generation 3')" = "generation 3" ] && ok "generation 3 answers" || fail "generation 3 answers"
[ "$(master)" = "$pid1" ] && ok "still the same master" || fail "still the same master"

# -- the file from a real template: reloaded only when it changed --------------------------
if [ -n "$GTE" ]; then
	setdb enabled 4
	: >"$T/service.log"
	ESMITH_SERVICE_CMD=$T/service "$SE" tpl-web 2>"$T/err" || { fail "tpl-web"; cat "$T/err"; }
	[ "$(serves 'generation 4')" = "generation 4" ] && ok "template expanded, apache2 reloaded" ||
		fail "template expanded, apache2 reloaded"
	printf '%s\n' "apache2 status" "apache2 reload" >"$T/want"
	check "the template changed: reload" "$T/want" "$T/service.log"
	[ "$(master)" = "$pid1" ] && ok "same master after the template reload" ||
		fail "same master after the template reload"
	: >"$T/service.log"
	ESMITH_SERVICE_CMD=$T/service "$SE" tpl-web 2>"$T/err" || fail "tpl-web again"
	printf '%s\n' "apache2 status" >"$T/want"
	check "the template did not change: no reload" "$T/want" "$T/service.log"
fi

# -- bootstrap-console-save: adjust-services does nothing ---------------------------------
: >"$T/service.log"
ESMITH_SERVICE_CMD=$T/service "$SE" bootstrap-console-save 2>"$T/err" ||
	fail "bootstrap-console-save succeeds"
check "bootstrap-console-save touches no service" /dev/null "$T/service.log"

# -- dry run on a sandbox root without a service command ----------------------------------
"$SE" --log "$T/drylog" web-update 2>"$T/err" || fail "the dry run succeeds"
grep 'adjust-services' "$T/drylog" | grep -v '=action|' | mask >"$T/got"
cat >"$T/want" <<'EOF'
Running event handler: ROOT/etc/e-smith/events/actions/adjust-services
S90adjust-services: adjust-services: apache2: would run 'service apache2 start' (if it is not running)
S90adjust-services: adjust-services: apache2: would run 'service apache2 reload'
EOF
check "without a service command only the commands are printed" "$T/want" "$T/got"
check "...and the service is not touched" /dev/null "$T/service.log"

# -- no record: skipped with a warning -------------------------------------------------
: >"$R/home/e-smith/db/configuration"
ESMITH_SERVICE_CMD=$T/service "$ADJ" web-update >"$T/out" 2>&1
echo "exit $?" >>"$T/out"
cat >"$T/want" <<'EOF'
adjust-services: warning: apache2: no record in the configuration database, skipped
exit 0
EOF
check "a service without a record is skipped with a warning" "$T/want" "$T/out"

# -- disabled: stopped ------------------------------------------------------------------
setdb disabled
: >"$T/service.log"
ESMITH_SERVICE_CMD=$T/service "$SE" web-update 2>"$T/err" || { fail "disable event"; cat "$T/err"; }
printf '%s\n' "apache2 status" "apache2 stop" >"$T/want"
check "a disabled service is stopped" "$T/want" "$T/service.log"
i=0
while alive "$pid1" && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
alive "$pid1" && fail "apache2 is gone" || ok "apache2 is gone"
curl -s "http://127.0.0.1:$port/nothing-here" 2>/dev/null | grep -q '^generation ' &&
	fail "our apache2 no longer answers" || ok "our apache2 no longer answers"
: >"$T/service.log"
ESMITH_SERVICE_CMD=$T/service "$SE" web-update 2>"$T/err" || fail "disabled again"
printf '%s\n' "apache2 status" >"$T/want"
check "a stopped disabled service is left alone" "$T/want" "$T/service.log"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
