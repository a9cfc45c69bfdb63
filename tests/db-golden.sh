#!/bin/sh
# Golden test of every `db` command: outputs and exit codes compared with
# tests/db-golden.expected (diff -u). The file's "# updated:" line is the
# only part that changes from run to run and is masked.
set -u
DB=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/home/e-smith/db"
export ESMITH_ROOT="$root"
unset DBPATH ESMITH_CONFIG_DB
out="$root/actual"

run() {
	printf '$ db %s\n' "$*" >>"$out"
	"$DB" "$@" >>"$out" 2>"$root/stderr"
	rc=$?
	if [ -s "$root/stderr" ]; then
		# usage text is long: keep its first line only
		head -n 1 "$root/stderr" | sed 's/^/stderr: /' >>"$out"
	fi
	printf '[exit %d]\n' "$rc" >>"$out"
}

showfile() {
	printf -- '--- file %s\n' "$1" >>"$out"
	sed 's/^# updated: .*/# updated: <time>/' "$root/home/e-smith/db/$1" >>"$out"
}

: >"$out"
run configuration keys
run configuration set sshd service TCPPort 22 status enabled access private
run configuration set DomainName example.com
run configuration set httpd-admin service TCPPort 980 status enabled
run configuration keys
run configuration print
run configuration print sshd
run configuration print nosuch
run configuration show
run configuration show sshd
run configuration show nosuch
run configuration get sshd
run configuration get DomainName
run configuration get nosuch
run configuration printtype
run configuration printtype sshd
run configuration gettype sshd
run configuration gettype nosuch
run configuration settype DomainName domain
run configuration settype nosuch x
run configuration printprop sshd
run configuration printprop sshd status TCPPort
run configuration printprop nosuch
run configuration getprop sshd TCPPort
run configuration getprop sshd nosuch
run configuration getprop nosuch TCPPort
run configuration setprop sshd TCPPort 2222 MaxAuthTries 3
run configuration setprop nosuch a b
run configuration getprop nosuch a
run configuration delprop sshd MaxAuthTries access
run configuration delprop nosuch a
run configuration setdefault sshd service TCPPort 1
run configuration setdefault ntpd service status enabled
run configuration delete ntpd
run configuration delete ntpd
run configuration setprop sshd Banner 'one|two
three \ four'
run configuration getprop sshd Banner
run configuration print sshd
showfile configuration
# usage errors: exit 255, usage on stderr, nothing changed
run
run configuration
run configuration frobnicate
run configuration get
run configuration getprop sshd
run configuration set k t p
run configuration setprop sshd p
run configuration set 'bad=key' t
run configuration set '#comment' t
showfile configuration
# a path, and DBPATH
run "$root/other" set k t p v
printf '$ DBPATH=%s db viapath keys\n' '$root/dbpath' >>"$out"
mkdir -p "$root/dbpath"
DBPATH="$root/dbpath" "$DB" viapath set a b >>"$out" 2>&1
DBPATH="$root/dbpath" "$DB" viapath keys >>"$out" 2>&1
printf '[exit %d]\n' $? >>"$out"
printf -- '--- file other\n' >>"$out"
sed 's/^# updated: .*/# updated: <time>/' "$root/other" >>"$out"
# --root as the first option
unset ESMITH_ROOT
run --root "$root" configuration getprop sshd TCPPort
run --root
export ESMITH_ROOT="$root"
# a damaged file: warnings name file and line, good records still load
printf 'good=t|p|1\n=broken\nalso=t\n' >"$root/home/e-smith/db/damaged"
run damaged keys
sed "s|$root|ROOT|g" "$out" >"$out.masked"
if [ "${REGEN:-}" = 1 ]; then
	cp "$out.masked" "$here/db-golden.expected"
fi
diff -u "$here/db-golden.expected" "$out.masked"
