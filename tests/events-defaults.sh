#!/bin/sh
# initialize-default-databases on a sandbox root: migrate fragments first,
# then defaults (only where missing; `type` for a new record), then force
# (always), for every database with a tree under /etc/e-smith/db; run as
# S00 of post-install by signal-event. A bad tree fails and writes
# nothing to that database.
# Usage: events-defaults.sh SIGNAL_EVENT INITIALIZE_DEFAULT_DATABASES
set -u
SE=$1
IDD=$2
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
dbfile() { grep -v '^#' "$R/home/e-smith/db/$1"; }
val() { # db key prop value
	mkdir -p "$R/etc/e-smith/db/$1/$2"
	printf '%s\n' "$4" >"$R/etc/e-smith/db/$1/$2/$3"
}

echo "post-install initialize-default-databases 00" >"$T/list"
DESTDIR=$R sh "$src/events/install-events.sh" "$T/list" || exit 1
mkdir -p "$R/etc/e-smith/events/actions" "$R/home/e-smith/db"
cp "$IDD" "$R/etc/e-smith/events/actions/initialize-default-databases"
export ESMITH_ROOT=$R
unset ESMITH_CONFIG_DB ESMITH_EVENT_LOG ESMITH_EVENT_LOCK_PID

# -- the trees --------------------------------------------------------------------------
C=configuration
val $C defaults/sshd type service
val $C defaults/sshd TCPPort 22
val $C defaults/sshd status enabled
val $C defaults/DomainName type example.com
val $C defaults/httpd type service
val $C defaults/httpd status enabled
val $C force/sshd access private
val $C force/httpd type service
val accounts defaults/admin type user
val accounts defaults/admin FirstName Local
val accounts force/admin Shell /bin/false
# migrate: runs before the defaults (sees the record as it was), renames
# an old property.
mkdir -p "$R/etc/e-smith/db/$C/migrate"
cat >"$R/etc/e-smith/db/$C/migrate/10port" <<'EOF'
{
    my $rec = $DB->get('sshd');
    if ($rec) {
        my $old = $rec->prop('Port');
        if (defined $old) {
            $rec->set_prop('TCPPort', $old);
            $rec->delete_prop('Port');
        }
        $rec->set_prop('SeenStatus', $rec->prop('status') || 'none')
            unless defined $rec->prop('SeenStatus');
    }
    "this output is discarded";
}
EOF
# The existing database.
cat >"$R/home/e-smith/db/$C" <<'EOF'
sshd=service|Port|2222|access|public
httpd=other|status|disabled
EOF

"$SE" post-install 2>"$T/err"
echo "exit $?" >>"$T/err"
cat >"$T/want" <<'EOF'
DomainName=example.com
httpd=service|status|disabled
sshd=service|SeenStatus|none|TCPPort|2222|access|private|status|enabled
EOF
dbfile $C >"$T/got"
check "configuration: migrate, then defaults where missing, then force" "$T/want" "$T/got"
cat >"$T/want" <<'EOF'
admin=user|FirstName|Local|Shell|/bin/false
EOF
dbfile accounts >"$T/got"
check "accounts: a new record with its type" "$T/want" "$T/got"
grep -q "^signal-event: post-install: S00initialize-default-databases ok" "$T/err" &&
	ok "runs as S00 of post-install" || { fail "runs as S00 of post-install"; cat "$T/err"; }

# Again: nothing changes (defaults are only applied where missing).
dbfile $C >"$T/before"
"$IDD" post-install || fail "second run"
dbfile $C >"$T/got"
check "a second run changes nothing" "$T/before" "$T/got"

# -- a bad tree: the database is not written ------------------------------------------------
val $C force/sshd access public
val $C force/a=b TCPPort 1
cp "$R/home/e-smith/db/$C" "$T/before"
"$IDD" 2>"$T/err"
echo "exit $?" >>"$T/err"
check "a bad key changes nothing (not even the good force)" "$T/before" "$R/home/e-smith/db/$C"
cat >"$T/want" <<'EOF'
initialize-default-databases: configuration: invalid key 'a=b': it contains '=' (ROOT/etc/e-smith/db/configuration/force/a=b)
exit 1
EOF
sed "s|$R|ROOT|g" "$T/err" >"$T/got"
check "the error names the database, the key and the directory" "$T/want" "$T/got"
dbfile accounts >"$T/got"
echo "admin=user|FirstName|Local|Shell|/bin/false" >"$T/want"
check "the other database is still done" "$T/want" "$T/got"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
