#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The generated /etc/sysconfig/docker works with Debian's dockerd 20.10:
# expand it for a `docker` record with the TCP socket enabled, read
# other_args from it as the service script does (sourcing it), start
# dockerd with exactly those options, and check that the engine answers on
# the unix socket and on 127.0.0.1:<TCPPort>, with the data root asked for.
#
# dockerd runs under the same machine-wide lock as tests/with-dockerd.sh
# (only one engine may run at a time); the exec root and pid file, which
# the service script leaves to dockerd's defaults, are private here.
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}"
root=$(mktemp -d /tmp/docker-sysconfig.XXXXXX)
tcpport=${DOCKER_SYSCONFIG_PORT:-4243}
dpid=
cleanup() {
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		kill -TERM "$dpid"
		i=0
		while kill -0 "$dpid" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
	fi
	grep -o " $root/[^ ]*" /proc/mounts 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
	echo "FAIL: $*" >&2
	[ -f "$root/dockerd.log" ] && tail -n 20 "$root/dockerd.log" >&2
	exit 1
}

mkdir -p "$root/etc/e-smith" "$root/etc/sysconfig" "$root/home/e-smith/db"
cp -r "$SRCDIR/fragments/templates" "$SRCDIR/fragments/templates-default" \
	"$root/etc/e-smith/"
"$BUILDDIR/src/db" --root "$root" configuration set docker service \
	status enabled DataRoot "$root/data" Socket "$root/docker.sock" \
	TCPSocket enabled TCPPort "$tcpport"
if [ -x "$BUILDDIR/src/expand-template" ]; then
	"$BUILDDIR/src/expand-template" --root "$root" /etc/sysconfig/docker
else
	mkdir -p "$root/etc/sysconfig"
	perl "$SRCDIR/tests/docker-oracle.pl" "$root" /etc/sysconfig/docker \
		>"$root/etc/sysconfig/docker"
fi
other_args=$(. "$root/etc/sysconfig/docker" && printf '%s' "$other_args")
[ "$other_args" = "--data-root $root/data -H unix://$root/docker.sock -H tcp://127.0.0.1:$tcpport" ] ||
	fail "other_args: $other_args"

exec 9>"${WITH_DOCKERD_LOCK:-/run/smeserver-docker-dockerd.lock}"
flock -w "${WITH_DOCKERD_WAIT:-1800}" 9 || fail "engine lock still held"
# shellcheck disable=SC2086
dockerd $other_args --exec-root "$root/exec" --pidfile "$root/dockerd.pid" \
	>"$root/dockerd.log" 2>&1 9>&- &
dpid=$!
i=0
while [ "$(curl -s --max-time 2 --unix-socket "$root/docker.sock" http://localhost/_ping)" != OK ]; do
	kill -0 "$dpid" 2>/dev/null || { dpid=; fail "dockerd refused the options"; }
	i=$((i + 1))
	[ $i -lt 600 ] || fail "dockerd did not answer on its unix socket"
	sleep 0.1
done
[ "$(curl -s --max-time 5 "http://127.0.0.1:$tcpport/_ping")" = OK ] ||
	fail "no answer on tcp://127.0.0.1:$tcpport"
dataroot=$(curl -s --unix-socket "$root/docker.sock" http://localhost/v1.41/info |
	jq -r .DockerRootDir)
[ "$dataroot" = "$root/data" ] || fail "data root is $dataroot"
echo "docker-sysconfig: ok (dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,) accepted: $other_args)"
