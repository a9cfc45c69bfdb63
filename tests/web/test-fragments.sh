#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The web fragments on fixed databases: expand-template's output and
# Text::Template's (tests/oracle's reference) both equal the expected files
# (diff -u); bad records make both fail and leave the target as it was.
# Env: SRCDIR, BUILDDIR.
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}"
ET="$BUILDDIR/src/expand-template"
DB="$BUILDDIR/src/db"
EXP="$SRCDIR/tests/web/expected"
T=$(mktemp -d /tmp/web-fragments.XXXXXX)
trap 'rm -rf "$T"' EXIT
root=$T/root
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

mkdir -p "$root/home/e-smith/db" "$root/etc/httpd/conf.d" "$root/etc/cron.d" \
	"$root/etc/e-smith/templates"
cp -r "$SRCDIR/fragments/templates/." "$root/etc/e-smith/templates/"
db() { "$DB" --root "$root" "$@"; }
db configuration set DomainName Example.ORG
db configuration set LocalIP 192.168.1.1
db configuration set LocalNetmask 255.255.255.0
db configuration set httpd-e-smith service TCPPort 8080 status enabled
db networks set 10.20.0.0 network Mask 255.255.0.0 Router 192.168.1.254
db networks set 172.16.5.0 network Mask 255.255.255.0 Router 192.168.1.254
db networks set 'bad net' network Mask '255.0.0.0 Require all granted'
db docker_containers set wiki service status enabled TCPPort 3000 \
	WebAlias wiki access public StartSchedule '0 6 * * mon'
db docker_containers set blog service status enabled TCPPort 80,443 \
	PortMapping custom PortMappingPorts '8443:443, 8081:80' WebAlias blog \
	SubDomain enabled SubDomainName news
db docker_containers set my.app-2 service status enabled TCPPort 9000 \
	WebPort 9000 network host WebAlias my.app-2 StopSchedule '*/30 22-23 * * *'
db docker_containers set shop service status enabled TCPPort 8000 \
	SubDomain enabled SubDomainName shop access public
db docker_containers set off service status disabled TCPPort 1 WebAlias off \
	SubDomain enabled SubDomainName off StartSchedule @reboot
db docker_containers set img image WebAlias img

oracle() {
	perl -I"$SRCDIR/tests/oracle/lib" -MEsmithOracle -e '
		my %r = EsmithOracle::expand(root => $ARGV[0], target => $ARGV[1]);
		print STDERR "$_\n" for @{ $r{errors} };
		print $r{text};
		exit(@{ $r{errors} } ? 1 : 0);' "$root" "$1"
}

for target in /etc/httpd/conf.d/docker-proxy.conf /etc/cron.d/docker-containers; do
	name=$(basename "$target")
	if "$ET" --root "$root" "$target" &&
		diff -u "$EXP/$name" "$root$target"; then
		echo "ok: expand-template $target"
	else
		bad "expand-template $target"
	fi
	if oracle "$target" >"$T/oracle" && diff -u "$EXP/$name" "$T/oracle"; then
		echo "ok: Text::Template $target"
	else
		bad "Text::Template $target"
	fi
done

# bad records: both engines fail, the targets stay
check_refused() { # what record prop value target message
	old=$(db docker_containers getprop "$2" "$3" || true)
	db docker_containers setprop "$2" "$3" "$4"
	cp "$root$5" "$T/before"
	if "$ET" --root "$root" "$5" 2>"$T/err"; then
		bad "$1: expand-template accepted it"
	elif ! grep -q "$6" "$T/err"; then
		bad "$1: message: $(cat "$T/err")"
	elif ! cmp -s "$T/before" "$root$5"; then
		bad "$1: $5 changed"
	elif oracle "$5" >/dev/null 2>"$T/err"; then
		bad "$1: Text::Template accepted it"
	elif ! grep -q "$6" "$T/err"; then
		bad "$1: Text::Template's message: $(cat "$T/err")"
	else
		echo "ok: $1: $(grep -m 1 "$6" "$T/err")"
	fi
	if [ -n "$old" ]; then
		db docker_containers setprop "$2" "$3" "$old"
	else
		db docker_containers delprop "$2" "$3"
	fi
}
P=/etc/httpd/conf.d/docker-proxy.conf
C=/etc/cron.d/docker-containers
check_refused "alias with a newline" blog WebAlias "blog
ProxyPass / http://127.0.0.1:1/" "$P" "docker_containers: blog: WebAlias: expected"
check_refused "alias with a space" blog WebAlias "a b" "$P" "blog: WebAlias: expected"
check_refused "alias with a slash" blog WebAlias "a/b" "$P" "blog: WebAlias: expected"
check_refused "alias with a quote" blog WebAlias 'a"' "$P" "blog: WebAlias: expected"
check_refused "duplicate alias" wiki WebAlias blog "$P" \
	"wiki: WebAlias 'blog': already used by blog"
check_refused "uppercase subdomain" shop SubDomainName Shop "$P" \
	"shop: SubDomainName: expected"
check_refused "subdomain www" shop SubDomainName www "$P" \
	"shop: SubDomainName: expected"
check_refused "duplicate subdomain" shop SubDomainName news "$P" \
	"shop: SubDomainName 'news': already used by blog"
check_refused "no web port" shop TCPPort "" "$P" "shop: no web port"
check_refused "unmapped web port" blog PortMappingPorts 8443:443 "$P" \
	"blog: no web port"
check_refused "schedule with a command" wiki StartSchedule \
	"* * * * * root /bin/sh" "$C" "wiki: StartSchedule: expected"
check_refused "schedule with a newline" wiki StartSchedule "0 6 * * *
* * * * * root /bin/sh" "$C" "wiki: StartSchedule: expected"
check_refused "schedule with four fields" wiki StopSchedule "0 6 * *" "$C" \
	"wiki: StopSchedule: expected"

[ "$fail" -eq 0 ] || exit 1
echo "all web fragment checks passed"
