#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Web access through a real apache2: the generated docker-proxy.conf is
# included by a private apache2 (own ServerRoot, pid file, logs and ports
# in a temp dir) and proxies to real backends; a client in a network
# namespace on a private test subnet is outside the local networks until a
# `networks` record names its subnet. Changes and deletions of records
# update the configuration, the cron file and the hosts database; an
# unchanged run rewrites nothing and does not reload Apache; hostile
# names are refused and leave the running configuration untouched.
#
# The records are applied by signal-event with the web lines of the
# docker-update event (taken from events/events.list): docker-hosts, the
# expansion of the proxy configuration and of the cron file by
# generic_template_expand (our C engine), and adjust-services reloading
# httpd-e-smith only when the proxy configuration changed. Each expanded
# file is compared with Debian's Text::Template (tests/oracle's reference).
#
# Backends (WEB_BACKENDS): `containers` runs them as real containers of
# the busybox test image (tests/make-test-image.sh) on a real engine
# (run under tests/with-dockerd.sh), applied by the whole docker-update
# event (docker-validate, docker-specs, docker-apply included); `busybox`
# (the default) runs busybox httpd on loopback ports and signals only the
# web lines of docker-update. Either way each backend serves a page that
# names it and a CGI that shows the request headers.
#
# Needs root (apache2, ip netns). Env: SRCDIR, BUILDDIR, WEB_BACKENDS,
# DOCKER_HOST (containers).
# `check && ok ... || bad ...` is used on purpose: ok and bad never fail.
# shellcheck disable=SC2015
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}"

DB="$BUILDDIR/src/db"
SE="$BUILDDIR/src/signal-event"
BACKENDS=${WEB_BACKENDS:-busybox}
case $BACKENDS in
busybox) EVENT=web-update ;;
containers)
	EVENT=docker-update
	: "${DOCKER_HOST:?run me under tests/with-dockerd.sh}"
	;;
*)
	echo "WEB_BACKENDS: expected busybox or containers" >&2
	exit 2
	;;
esac
IMAGE=webtest/busybox:1
PROXY_CONF=/etc/httpd/conf.d/docker-proxy.conf
CRON_FILE=/etc/cron.d/docker-containers
DOMAIN=example.test

T=$(mktemp -d /tmp/web-apache.XXXXXX)
chmod 755 "$T"
root="$T/root"
ns="webt$$"
vh="wv${$}h"
vn="wv${$}n"
pids=""
fail=0

cleanup() {
	if [ -f "$T/apache/httpd.pid" ]; then
		kill "$(cat "$T/apache/httpd.pid")" 2>/dev/null || true
		i=0
		while [ -f "$T/apache/httpd.pid" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	ip link del "$vh" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

say() { printf '%s\n' "$*"; }
ok() { say "ok: $*"; }
bad() {
	say "FAIL: $*"
	fail=1
}

# A TCP port nobody listens on, from a range picked by our pid.
free_port() {
	p=$((20000 + ($$ * 7 + $1 * 131) % 30000))
	while ss -Htln "sport = :$p" | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
}

# --- backends ----------------------------------------------------------------
# Each backend serves the data directory the spec model gives its /www
# mount: a page naming it and a CGI showing the request headers.
DATA="$root/home/e-smith/files/docker-data"
make_site() { # name
	mkdir -p "$DATA/$1/www/cgi-bin"
	say "backend $1" >"$DATA/$1/www/index.html"
	cat >"$DATA/$1/www/cgi-bin/headers" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
env | grep '^HTTP_' | sort
EOF
	chmod 755 "$DATA/$1/www/cgi-bin/headers"
}
start_backend() { # name port
	make_site "$1"
	if [ "$BACKENDS" = busybox ]; then
		busybox httpd -f -p "127.0.0.1:$2" -h "$DATA/$1/www" &
		pids="$pids $!"
	fi
}
# wait_backend PORT NAME: until the backend answers (a container starts
# after the event returns; up to 15 s).
wait_backend() {
	i=0
	until [ "$(curl -s --max-time 2 "http://127.0.0.1:$1/")" = "backend $2" ]; do
		i=$((i + 1))
		[ $i -lt 150 ] || {
			bad "backend $2 does not answer on port $1"
			return 1
		}
		sleep 0.1
	done
}

chmod 755 "$T"
BLOG_PORT=$(free_port 1)
SHOP_PORT=$(free_port 2)
APPS_PORT=$(free_port 3)
start_backend blog "$BLOG_PORT"
start_backend shop "$SHOP_PORT"
start_backend apps "$APPS_PORT"
if [ "$BACKENDS" = containers ]; then
	# the busybox test image (busybox httpd serving /www on port 80)
	ESMITH_ROOT='' sh "$SRCDIR/tests/make-test-image.sh" "$IMAGE" >"$T/image.out" || {
		cat "$T/image.out"
		exit 1
	}
	say "image: $(cat "$T/image.out")"
fi

# --- a client outside the local networks -----------------------------------------
net=$((($$ % 60) * 4))
HOST_IP="10.253.77.$((net + 1))"
CLIENT_IP="10.253.77.$((net + 2))"
ip netns add "$ns"
ip link add "$vh" type veth peer name "$vn"
ip link set "$vn" netns "$ns"
ip addr add "$HOST_IP/30" dev "$vh"
ip link set "$vh" up
ip -n "$ns" addr add "$CLIENT_IP/30" dev "$vn"
ip -n "$ns" link set "$vn" up
ip -n "$ns" link set lo up

# --- the sandbox root ---------------------------------------------------------
WEB_PORT=$(free_port 4)
mkdir -p "$root/home/e-smith/db" "$root/etc/httpd/conf.d" "$root/etc/cron.d"
db() { "$DB" --root "$root" "$@"; }
db configuration set DomainName "$DOMAIN"
# The server's LAN address is the host end of the veth pair, alone in its
# "LAN" (/32), so the client at the other end is outside the local networks.
db configuration set LocalIP "$HOST_IP"
db configuration set LocalNetmask 255.255.255.255
db configuration set httpd-e-smith service TCPPort "$WEB_PORT" status enabled
db networks set 198.51.100.0 network Mask 255.255.255.0 Router 192.0.2.254
db hosts set "www.$DOMAIN" host HostType Self ExternalIP '' InternalIP ''
db configuration set docker service status enabled Network webtest
# Every container serves port 80, published on a free host port; shop's
# web port is named by WebPort among two ports.
db docker_containers set blog service status enabled Image "$IMAGE" \
	MountPath /www TCPPort 80 PortMapping custom \
	PortMappingPorts "$BLOG_PORT:80" WebAlias blog access private \
	StartSchedule '30 7 * * 1-5' StopSchedule '0 19 * * 1-5'
db docker_containers set shop service status enabled Image "$IMAGE" \
	MountPath /www TCPPort 8443,80 WebPort 80 PortMapping custom \
	PortMappingPorts "$SHOP_PORT:80" SubDomain enabled SubDomainName shop \
	access private
db docker_containers set apps service status enabled Image "$IMAGE" \
	MountPath /www TCPPort 80 PortMapping custom \
	PortMappingPorts "$APPS_PORT:80" WebAlias apps access public
db docker_containers set sleepy service status disabled Image "$IMAGE" \
	TCPPort 9 WebAlias sleepy SubDomain enabled SubDomainName sleepy \
	StartSchedule @daily
www_before=$(db hosts print "www.$DOMAIN")

# --- apache2 -----------------------------------------------------------------
A="$T/apache"
mkdir -p "$A" "$T/www"
say "default site" >"$T/www/index.html"
M=/usr/lib/apache2/modules
cat >"$A/apache2.conf" <<EOF
ServerRoot $A
ServerName localhost
PidFile $A/httpd.pid
ErrorLog $A/error.log
LogLevel info
DefaultRuntimeDir $A
Mutex file:$A default
User www-data
Group www-data
Listen 127.0.0.1:$WEB_PORT
Listen $HOST_IP:$WEB_PORT
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule authz_host_module $M/mod_authz_host.so
LoadModule alias_module $M/mod_alias.so
LoadModule dir_module $M/mod_dir.so
LoadModule headers_module $M/mod_headers.so
LoadModule proxy_module $M/mod_proxy.so
LoadModule proxy_http_module $M/mod_proxy_http.so
LoadModule proxy_wstunnel_module $M/mod_proxy_wstunnel.so
DirectoryIndex index.html
<VirtualHost *:$WEB_PORT>
    ServerName default.$DOMAIN
    DocumentRoot $T/www
    <Directory $T/www>
        Require all granted
    </Directory>
</VirtualHost>
Include $root$PROXY_CONF
EOF

reloads() {
	if [ -f "$A/error.log" ]; then
		grep -c 'resuming normal operations' "$A/error.log" || true
	else
		echo 0
	fi
}

# The service command adjust-services runs as `CMD SERVICE ACTION`: drives
# the private apache2 and waits until a start or reload has taken effect.
cat >"$T/service" <<EOS
#!/bin/sh
if [ "\$1" = docker ]; then
	# the test's engine belongs to with-dockerd.sh: never restarted here
	echo "\$*" >>"$T/docker-service.log"
	exit 0
fi
[ "\$1" = httpd-e-smith ] || { echo "unknown service \$1" >&2; exit 1; }
echo "\$*" >>"$T/service.log"
conf="$A/apache2.conf"
count() {
	c=\$(grep -c 'resuming normal operations' "$A/error.log" 2>/dev/null)
	echo "\${c:-0}"
}
wait_more() {
	i=0
	until [ "\$(count)" -gt "\$1" ]; do
		i=\$((i + 1))
		[ \$i -lt 100 ] || { echo "apache2 did not come up" >&2; exit 1; }
		sleep 0.1
	done
	sleep 0.3
}
n=\$(count)
case \$2 in
status) [ -s "$A/httpd.pid" ] && kill -0 "\$(cat "$A/httpd.pid")" 2>/dev/null ;;
start) apache2 -f "\$conf" -k start && wait_more "\$n" ;;
reload | restart) apache2 -f "\$conf" -k graceful && wait_more "\$n" ;;
stop) apache2 -f "\$conf" -k stop ;;
*) exit 1 ;;
esac
EOS
chmod 755 "$T/service"

# The event tree, from events/events.list: the whole docker-update with
# containers; without an engine, the web lines of docker-update as the
# event web-update.
if [ "$BACKENDS" = containers ]; then
	awk '$1 == "docker-update"' "$SRCDIR/events/events.list" >"$T/events.list"
else
	awk -v p="$PROXY_CONF" -v c="$CRON_FILE" '
		$1 == "docker-update" && ($2 == "docker-hosts" || $3 == p ||
			$3 == c || $3 == "httpd-e-smith") { $1 = "web-update"; print }' \
		"$SRCDIR/events/events.list" >"$T/events.list"
	[ "$(wc -l <"$T/events.list")" -eq 4 ] || {
		say "expected 4 web lines of docker-update in events.list"
		exit 1
	}
fi
say "--- event $EVENT"
cat "$T/events.list"
DESTDIR="$root" sh "$SRCDIR/events/install-events.sh" "$T/events.list"
mkdir -p "$root/etc/e-smith/events/actions" "$root/etc/e-smith/templates" \
	"$root/etc/sysconfig" "$root/etc/smeserver-docker"
for a in "$BUILDDIR"/actions/*; do
	if [ -f "$a" ] && [ -x "$a" ]; then
		cp "$a" "$root/etc/e-smith/events/actions/"
	fi
done
cp -r "$SRCDIR/fragments/templates/." "$root/etc/e-smith/templates/"
cp -r "$SRCDIR/fragments/templates-default" "$root/etc/e-smith/"

# Text::Template's expansion of a target (the reference), to stdout.
oracle() {
	perl -I"$SRCDIR/tests/oracle/lib" -MEsmithOracle -e '
		my %r = EsmithOracle::expand(root => $ARGV[0], target => $ARGV[1]);
		print STDERR "$_\n" for @{ $r{errors} };
		print $r{text};
		exit(@{ $r{errors} } ? 1 : 0);' "$root" "$1"
}

# Signal web-update; on success the expanded files must match the
# reference byte for byte. The event's output is in $T/event.out, its log
# in $T/event.log, the service commands in $T/service.log.
oracles=0
apply() {
	: >"$T/service.log"
	: >"$T/event.log"
	if ! ESMITH_ROOT="$root" ESMITH_SERVICE_CMD="$T/service" \
		"$SE" --log "$T/event.log" "$EVENT" >"$T/event.out" 2>&1; then
		return 1
	fi
	for target in "$PROXY_CONF" "$CRON_FILE"; do
		if oracle "$target" >"$T/oracle.out" &&
			cmp -s "$T/oracle.out" "$root$target"; then
			oracles=$((oracles + 1))
		else
			bad "$target differs from Text::Template's expansion:"
			diff -u "$T/oracle.out" "$root$target" || true
		fi
	done
}

# get URL [curl options...]: prints "CODE BODY" (the body's first line
# for a 200, nothing for other codes).
get() {
	url=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 "$@" "$url") || true
	body=
	[ "$code" != 200 ] || body=$(head -n 1 "$T/body" 2>/dev/null)
	printf '%s %s\n' "$code" "$body"
}
get_ns() {
	url=$1
	shift
	code=$(ip netns exec "$ns" curl -s -o "$T/body" -w '%{http_code}' \
		--max-time 10 "$@" "$url") || true
	body=
	[ "$code" != 200 ] || body=$(head -n 1 "$T/body" 2>/dev/null)
	printf '%s %s\n' "$code" "$body"
}

expect() { # what got want
	if [ "$2" = "$3" ]; then
		ok "$1: $(printf '%s\n' "$2" | head -n 1)"
	else
		bad "$1: got '$2', want '$3'"
	fi
}

L="http://127.0.0.1:$WEB_PORT"
N="http://$HOST_IP:$WEB_PORT"

# --- first apply ---------------------------------------------------------------
if apache2 -t -f "$A/apache2.conf" 2>/dev/null; then
	bad "apache2 -t passes before the event"
else
	ok "apache2 -t fails before the event (no proxy configuration yet)"
fi
apply || {
	say "first apply failed:"
	cat "$T/event.out" "$T/event.log"
	exit 1
}
say "--- generated $PROXY_CONF"
cat "$root$PROXY_CONF"
apache2 -t -f "$A/apache2.conf" && ok "apache2 -t"
expect "first event: apache2 started" "$(cat "$T/service.log")" \
	"httpd-e-smith status
httpd-e-smith start"
wait_backend "$BLOG_PORT" blog
wait_backend "$SHOP_PORT" shop
wait_backend "$APPS_PORT" apps
if [ "$BACKENDS" = containers ]; then
	for c in blog shop apps; do
		docker inspect -f '{{.State.Running}} {{(index (index .HostConfig.PortBindings "80/tcp") 0).HostIp}}' "$c" \
			>"$T/inspect" 2>&1 || true
		expect "container $c runs, port bound on" "$(cat "$T/inspect")" \
			"true $([ $c = apps ] && echo '' || echo 127.0.0.1)"
	done
	if [ "$(docker inspect -f '{{.State.Running}}' sleepy 2>/dev/null)" = true ]; then
		bad "disabled container sleepy runs"
	else
		ok "disabled container sleepy does not run"
	fi
fi

expect "/blog/ from loopback" "$(get "$L/blog/")" "200 backend blog"
expect "/blog redirects" "$(get "$L/blog")" "301 "
expect "/apps/ (public)" "$(get "$L/apps/")" "200 backend apps"
expect "Host: shop.$DOMAIN" "$(get "$L/" -H "Host: shop.$DOMAIN")" \
	"200 backend shop"
expect "default site" "$(get "$L/")" "200 default site"
expect "disabled container: no alias" "$(get "$L/sleepy/")" "404 "
expect "disabled container: no vhost" \
	"$(get "$L/" -H "Host: sleepy.$DOMAIN")" "200 default site"

# the backend sees the original Host and X-Forwarded-Proto
get "$L/" -H "Host: shop.$DOMAIN" >/dev/null
curl -s --max-time 10 -H "Host: shop.$DOMAIN" "$L/cgi-bin/headers" >"$T/h"
if grep -qx "HTTP_HOST=shop.$DOMAIN" "$T/h" &&
	grep -qx "HTTP_X_FORWARDED_PROTO=http" "$T/h"; then
	ok "backend sees Host shop.$DOMAIN and X-Forwarded-Proto http"
else
	bad "backend headers:"
	cat "$T/h"
fi
curl -s --max-time 10 "$L/blog/cgi-bin/headers" >"$T/h"
grep -qx "HTTP_HOST=127.0.0.1:$WEB_PORT" "$T/h" &&
	grep -qx "HTTP_X_FORWARDED_PROTO=http" "$T/h" &&
	ok "alias backend sees Host and X-Forwarded-Proto" ||
	bad "alias backend headers: $(cat "$T/h")"

# a client outside the local networks
expect "outside client, private /blog/" "$(get_ns "$N/blog/")" "403 "
expect "outside client, private shop" \
	"$(get_ns "$N/" -H "Host: shop.$DOMAIN")" "403 "
expect "outside client, public /apps/" "$(get_ns "$N/apps/")" \
	"200 backend apps"

# hosts database and cron file
expect "hosts record" "$(db hosts print "shop.$DOMAIN")" \
	"shop.$DOMAIN=host|DockerContainer|shop|ExternalIP||HostType|Self|InternalIP|"
expect "no hosts record for a disabled container" \
	"$(db hosts print "sleepy.$DOMAIN" 2>&1)" ""
grep -qx '30 7 \* \* 1-5 root /sbin/e-smith/signal-event docker-start blog' \
	"$root$CRON_FILE" &&
	grep -qx '0 19 \* \* 1-5 root /sbin/e-smith/signal-event docker-stop blog' \
		"$root$CRON_FILE" &&
	grep -qx '@daily root /sbin/e-smith/signal-event docker-start sleepy' \
		"$root$CRON_FILE" &&
	[ "$(grep -c signal-event "$root$CRON_FILE")" = 3 ] &&
	ok "cron file (a disabled container keeps its schedule: docker-stop disables)" ||
	{
		bad "cron file:"
		cat "$root$CRON_FILE"
	}

# --- an unchanged run ----------------------------------------------------------
id_before=$(stat -c '%i %Y.%y' "$root$PROXY_CONF" "$root$CRON_FILE")
hosts_before=$(stat -c '%i %y' "$root/home/e-smith/db/hosts")
r_before=$(reloads)
sleep 1
apply || bad "unchanged apply failed: $(cat "$T/event.out")"
expect "unchanged run: files not rewritten" \
	"$(stat -c '%i %Y.%y' "$root$PROXY_CONF" "$root$CRON_FILE")" "$id_before"
expect "unchanged run: hosts database not rewritten" \
	"$(stat -c '%i %y' "$root/home/e-smith/db/hosts")" "$hosts_before"
expect "unchanged run: adjust-services only asked the status" \
	"$(cat "$T/service.log")" "httpd-e-smith status"
grep -q 'httpd-e-smith: reload not needed' "$T/event.log" &&
	ok "unchanged run: the event log says the reload is not needed" ||
	bad "unchanged run: no 'reload not needed' in the event log"
expect "unchanged run: apache not reloaded" "$(reloads)" "$r_before"

# --- the outside client's subnet becomes a local network --------------------------
db networks set "10.253.77.$net" network Mask 255.255.255.252 \
	Router "$HOST_IP"
apply || bad "apply after networks change failed: $(cat "$T/event.out")"
expect "changed: reloaded" "$(cat "$T/service.log")" "httpd-e-smith status
httpd-e-smith reload"
expect "client in a local network, /blog/" "$(get_ns "$N/blog/")" \
	"200 backend blog"
expect "client in a local network, shop" \
	"$(get_ns "$N/" -H "Host: shop.$DOMAIN")" "200 backend shop"

# --- hostile names are refused, nothing changes --------------------------------
conf_before=$(cat "$root$PROXY_CONF")
cron_before=$(cat "$root$CRON_FILE")
hosts_text=$(cat "$root/home/e-smith/db/hosts")
r_before=$(reloads)
check_refused() { # what prop value [record]
	rec=${4:-blog}
	old=$(db docker_containers getprop "$rec" "$2" || true)
	db docker_containers setprop "$rec" "$2" "$3"
	if apply; then
		bad "$1: accepted"
	elif grep "docker_containers: [^:]*: $2 '" "$T/event.log" >"$T/why"; then
		ok "$1: refused: $(head -n 1 "$T/why")"
	else
		bad "$1: unclear error: $(cat "$T/event.out" "$T/event.log")"
	fi
	if grep -q reload "$T/service.log"; then bad "$1: httpd reloaded"; fi
	if [ -n "$old" ]; then
		db docker_containers setprop "$rec" "$2" "$old"
	else
		db docker_containers delprop "$rec" "$2"
	fi
}
check_refused "alias with a newline" WebAlias "blog
ProxyPass / http://127.0.0.1:1/"
check_refused "alias with a space" WebAlias "blog x"
check_refused "alias with a quote" WebAlias 'blog"'
check_refused "alias with .." WebAlias "blog/../x"
check_refused "alias with a tag" WebAlias "blog>"
check_refused "subdomain with a dot" SubDomainName "shop.evil" shop
check_refused "subdomain with a newline" SubDomainName "shop
x" shop
check_refused "schedule with a command" StartSchedule \
	"* * * * * root /bin/sh"
check_refused "duplicate alias" WebAlias "blog" apps
db docker_containers setprop apps SubDomain enabled
check_refused "duplicate subdomain" SubDomainName "shop" apps
db docker_containers setprop apps SubDomain disabled
expect "refused: proxy configuration untouched" \
	"$(cat "$root$PROXY_CONF")" "$conf_before"
expect "refused: cron file untouched" "$(cat "$root$CRON_FILE")" "$cron_before"
expect "refused: hosts database untouched" \
	"$(cat "$root/home/e-smith/db/hosts")" "$hosts_text"
expect "refused: apache not reloaded" "$(reloads)" "$r_before"
expect "refused: still serving /blog/" "$(get "$L/blog/")" "200 backend blog"

# the fragments refuse too: with docker-hosts left out of the event, the
# expansion itself fails and keeps the files
rm "$root/etc/e-smith/events/$EVENT/S03docker-hosts"
db docker_containers setprop blog WebAlias "evil
ProxyPass / http://127.0.0.1:1/"
db docker_containers setprop apps StartSchedule "* * * * * root /bin/sh"
if apply; then
	bad "expanding hostile records succeeded"
else
	grep -m 1 'generic_template_expand: .*docker_containers: blog: WebAlias' \
		"$T/event.log" >"$T/why" &&
		ok "fragments refuse the alias: $(cat "$T/why")" ||
		bad "no fragment error for the alias: $(cat "$T/event.log")"
	grep -m 1 'generic_template_expand: .*docker_containers: apps: StartSchedule' \
		"$T/event.log" >"$T/why" &&
		ok "fragments refuse the schedule: $(cat "$T/why")" ||
		bad "no fragment error for the schedule"
fi
for target in "$PROXY_CONF" "$CRON_FILE"; do
	if oracle "$target" >/dev/null 2>&1; then
		bad "Text::Template expands $target with hostile records"
	else
		ok "Text::Template refuses $target with hostile records too"
	fi
done
expect "fragments refuse: proxy configuration untouched" \
	"$(cat "$root$PROXY_CONF")" "$conf_before"
expect "fragments refuse: cron file untouched" \
	"$(cat "$root$CRON_FILE")" "$cron_before"
if grep -q reload "$T/service.log"; then bad "fragments refuse: httpd reloaded"; fi
ln -s ../actions/docker-hosts "$root/etc/e-smith/events/$EVENT/S03docker-hosts"
db docker_containers setprop blog WebAlias blog
db docker_containers delprop apps StartSchedule

# --- changes and deletions -------------------------------------------------------
db docker_containers setprop blog WebAlias news
db docker_containers setprop shop SubDomainName store
apply || bad "apply after changes failed: $(cat "$T/event.out")"
wait_backend "$BLOG_PORT" blog
wait_backend "$SHOP_PORT" shop
expect "renamed alias /news/" "$(get "$L/news/")" "200 backend blog"
expect "old alias /blog/ gone" "$(get "$L/blog/")" "404 "
expect "renamed subdomain store" "$(get "$L/" -H "Host: store.$DOMAIN")" \
	"200 backend shop"
expect "old subdomain shop gone" "$(get "$L/" -H "Host: shop.$DOMAIN")" \
	"200 default site"
expect "hosts: store record" "$(db hosts getprop "store.$DOMAIN" DockerContainer)" \
	shop
expect "hosts: shop record removed" "$(db hosts print "shop.$DOMAIN" 2>&1)" ""

db docker_containers setprop shop SubDomain disabled
db docker_containers setprop blog status disabled
apply || bad "apply after disabling failed: $(cat "$T/event.out")"
expect "subdomain disabled: vhost gone" \
	"$(get "$L/" -H "Host: store.$DOMAIN")" "200 default site"
expect "subdomain disabled: hosts record removed" \
	"$(db hosts print "store.$DOMAIN" 2>&1)" ""
expect "container disabled: alias gone" "$(get "$L/news/")" "404 "
grep -q 'docker-start blog$' "$root$CRON_FILE" &&
	ok "disabled container: still scheduled to start" ||
	bad "disabled container lost its schedule"

db docker_containers setprop shop SubDomain enabled
apply || bad "apply after re-enabling failed: $(cat "$T/event.out")"
wait_backend "$SHOP_PORT" shop
expect "hosts: store record back" \
	"$(db hosts getprop "store.$DOMAIN" DockerContainer)" shop
db docker_containers delete shop
db docker_containers delete apps
apply || bad "apply after deleting failed: $(cat "$T/event.out")"
expect "container deleted: hosts record removed" \
	"$(db hosts print "store.$DOMAIN" 2>&1)" ""
expect "container deleted: vhost gone" \
	"$(get "$L/" -H "Host: store.$DOMAIN")" "200 default site"
expect "container deleted: alias gone" "$(get "$L/apps/")" "404 "
expect "foreign hosts record untouched" "$(db hosts print "www.$DOMAIN")" \
	"$www_before"
apache2 -t -f "$A/apache2.conf" 2>/dev/null && ok "apache2 -t (empty)" ||
	bad "apache2 -t with no web containers"

if [ "$fail" -ne 0 ]; then
	say "--- apache error log"
	tail -n 30 "$A/error.log"
	exit 1
fi
say "expansions identical to Text::Template's: $oracles"
say "backends: $BACKENDS"
say "all web/apache checks passed"
