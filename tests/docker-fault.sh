#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The engine goes away in the middle of an apply: docker-update fails; once
# the engine is back, the next docker-update converges (every container
# created and running, nothing left half-made) and the one after makes no
# mutating call.
#
# The engine has to be stopped and started again on the same data root,
# which tests/with-dockerd.sh does not offer: this script runs Debian's
# dockerd itself, under the same machine-wide lock (only one engine at a
# time), with a private data root, exec root, pid file and socket.
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}"
if [ -n "${WITH_DOCKERD_SOCKET:-}" ]; then
	echo "docker-fault.sh: run me outside with-dockerd.sh (I take its lock)" >&2
	exit 1
fi
root=$(mktemp -d /tmp/docker-fault.XXXXXX)
eng=$root/engine
sock=$eng/docker.sock
dpid=
stop_engine() {
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		kill -TERM "$dpid"
		i=0
		while kill -0 "$dpid" 2>/dev/null && [ $i -lt 600 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
	fi
	dpid=
}
start_engine() {
	mkdir -p "$eng"
	dockerd --data-root "$eng/data" --exec-root "$eng/exec" \
		--pidfile "$eng/dockerd.pid" -H "unix://$sock" \
		>>"$eng/dockerd.log" 2>&1 9>&- &
	dpid=$!
	i=0
	while [ "$(curl -s --max-time 2 --unix-socket "$sock" http://localhost/_ping)" != OK ]; do
		kill -0 "$dpid" 2>/dev/null || fail "dockerd did not start"
		i=$((i + 1))
		[ $i -lt 600 ] || fail "dockerd did not answer"
		sleep 0.1
	done
}
cleanup() {
	[ -n "${apid:-}" ] && kill -CONT "$apid" 2>/dev/null
	if [ -n "$dpid" ]; then
		# our containers, so that the engine stops at once
		for c in $(curl -s --unix-socket "$sock" \
			'http://localhost/v1.41/containers/json?all=1' | jq -r '.[].Id'); do
			curl -s -X DELETE --unix-socket "$sock" \
				"http://localhost/v1.41/containers/$c?force=1" >/dev/null
		done
	fi
	stop_engine
	grep -o " $root/[^ ]*" /proc/mounts 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
	echo "FAIL: $*" >&2
	[ -f "$eng/dockerd.log" ] && tail -n 20 "$eng/dockerd.log" >&2
	exit 1
}
api() { curl -sf --unix-socket "$sock" "http://localhost/v1.41$1"; }
running() { api '/containers/json' | jq '[.[] | select(.Labels["org.smeserver.docker.managed"] == "1")] | length'; }
all() { api '/containers/json?all=1' | jq '[.[] | select(.Labels["org.smeserver.docker.managed"] == "1")] | length'; }
db() { "$root/sbin/e-smith/db" --root "$root" "$@"; }
inst=$root/etc/e-smith/events/actions
update() {
	"$inst/docker-validate" --root "$root" &&
		"$inst/docker-specs" --root "$root" >/dev/null &&
		"$inst/docker-apply" --root "$root" --stats "$@"
}

meson install -C "$BUILDDIR" --no-rebuild --destdir "$root" --quiet >/dev/null
exec 9>"${WITH_DOCKERD_LOCK:-/run/smeserver-docker-dockerd.lock}"
flock -w "${WITH_DOCKERD_WAIT:-1800}" 9 || fail "engine lock still held"
start_engine
export DOCKER_HOST=unix://$sock
ESMITH_ROOT=$root sh "$SRCDIR/tests/make-test-image.sh" smetest/busybox:1 >/dev/null
db docker_images setprop smetest/busybox StopTimeout 1 TCPPort ''
n=8
i=1
while [ $i -le $n ]; do
	db docker_containers set "c$i" service status enabled \
		Image smetest/busybox:1 MountPath /data MaxMemory 16M
	i=$((i + 1))
done

echo "--- apply, frozen after its second container, engine stopped"
"$inst/docker-validate" --root "$root"
"$inst/docker-specs" --root "$root" >/dev/null
"$inst/docker-apply" --root "$root" >"$root/log1" 2>"$root/err1" &
apid=$!
i=0
while [ "$(all)" -lt 2 ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || fail "the apply made no container"
	sleep 0.05
done
kill -STOP "$apid"
made=$(all)
[ "$made" -lt $n ] || fail "the apply finished before the fault ($made containers)"
stop_engine
kill -CONT "$apid"
status=0
wait "$apid" || status=$?
apid=
[ "$status" != 0 ] || fail "the apply succeeded without its engine"
echo "apply failed as it should: $(head -n 1 "$root/err1")"

echo "--- engine back: docker-update converges"
start_engine
update >"$root/log2" 2>"$root/err2" || fail "second apply: $(cat "$root/err2")"
cat "$root/log2"
[ "$(all)" = $n ] || fail "$(all) managed containers, want $n"
[ "$(running)" = $n ] || fail "$(running) running, want $n"
api '/containers/json?all=1' | jq -r '.[].Names[0]' | grep -q sme-new &&
	fail "temporary container left"
update >"$root/log3" 2>"$root/err3"
grep -q "mutating: 0" "$root/err3" || fail "not converged: $(cat "$root/log3" "$root/err3")"
[ ! -s "$root/log3" ] || fail "third apply did something: $(cat "$root/log3")"
echo "docker-fault: ok ($made of $n containers made before the fault)"
