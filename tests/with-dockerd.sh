#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# with-dockerd.sh CMD [ARGS...]
#
# Run CMD against a private Docker engine: take the machine-wide lock
# (only one dockerd may run on a machine: a second one shares the default
# bridge and the iptables chains, and tears down the first one's docker0
# when it exits), start Debian's dockerd with its own data root, exec root,
# pid file and unix socket in a fresh temporary directory, wait until
# /_ping answers, export DOCKER_HOST, run CMD, then stop the engine
# (SIGTERM, wait, SIGKILL) and remove the directory. Exits with CMD's
# status (or 1 if the engine could not be started).
#
# When called from inside another with-dockerd.sh (WITH_DOCKERD_SOCKET set
# and answering), CMD simply runs against that engine.
#
# Environment:
#   WITH_DOCKERD_LOCK     lock file (/run/smeserver-docker-dockerd.lock)
#   WITH_DOCKERD_WAIT     seconds to wait for the lock (1800)
#   WITH_DOCKERD_START    seconds to wait for /_ping (60)
#   WITH_DOCKERD_LOG      where dockerd's output goes (in the temp dir,
#                         printed on failure)
#   WITH_DOCKERD_CONFIG   a daemon.json for this engine (default: an empty
#                         one, so the machine's /etc/docker/daemon.json is
#                         never read); it must not set hosts, data-root,
#                         exec-root or pidfile, which this script sets
set -u

if [ $# -lt 1 ]; then
	echo "usage: with-dockerd.sh CMD [ARGS...]" >&2
	exit 2
fi

ping_socket() {
	curl -s --max-time 2 --unix-socket "$1" http://localhost/_ping 2>/dev/null
}

if [ -n "${WITH_DOCKERD_SOCKET:-}" ] &&
	[ "$(ping_socket "$WITH_DOCKERD_SOCKET")" = OK ]; then
	exec "$@"
fi

for tool in dockerd curl flock; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "with-dockerd.sh: $tool not found (run tests/install-deps.sh)" >&2
		exit 1
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "with-dockerd.sh: dockerd needs root" >&2
	exit 1
fi

lock=${WITH_DOCKERD_LOCK:-/run/smeserver-docker-dockerd.lock}
wait_lock=${WITH_DOCKERD_WAIT:-1800}
wait_start=${WITH_DOCKERD_START:-60}

# The lock is held by flock(1) itself, never by this script's children
# (-o): a container shim that outlives its engine cannot keep it.
if [ "${WITH_DOCKERD_LOCKED:-}" != "$lock" ]; then
	export WITH_DOCKERD_LOCKED="$lock"
	flock -n -o -E 200 "$lock" sh "$0" "$@"
	rc=$?
	[ $rc = 200 ] || exit $rc
	echo "with-dockerd.sh: waiting for $lock (another engine is running)" >&2
	flock -w "$wait_lock" -o -E 200 "$lock" sh "$0" "$@"
	rc=$?
	if [ $rc = 200 ]; then
		echo "with-dockerd.sh: lock $lock still held after ${wait_lock}s" >&2
		exit 1
	fi
	exit $rc
fi
unset WITH_DOCKERD_LOCKED

# The container shims of the engine whose directory is $1, and the
# containers they run: left only when that engine was killed, they would
# keep their addresses on the shared bridge.
kill_shims() {
	for p in /proc/[0-9]*; do
		cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
		case $cmd in
		*containerd-shim*"-address $1/exec/"*)
			shim=${p#/proc/}
			for c in $(ps -o pid= --ppid "$shim"); do
				kill -KILL "$c" 2>/dev/null
			done
			kill -KILL "$shim" 2>/dev/null
			;;
		esac
	done
}

# The engine a previous run could not stop (the script itself was killed):
# we hold the lock, so whatever dockerd that run left is stale.
runpid=${lock%.lock}.pid
if [ -s "$runpid" ]; then
	read -r old olddir <"$runpid"
	if [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = dockerd ]; then
		echo "with-dockerd.sh: stopping a stale dockerd ($old) left by an earlier run" >&2
		kill -TERM "$old" 2>/dev/null
		i=0
		while [ -d "/proc/$old" ] && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$old" 2>/dev/null
	fi
	case $olddir in
	/tmp/smedockerd.*)
		kill_shims "$olddir"
		grep -o " $olddir/[^ ]*" /proc/mounts 2>/dev/null | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf "$olddir"
		;;
	esac
	rm -f "$runpid"
fi

# Bridges of user-defined networks outlive an engine that was killed or
# stopped with its networks in place, and each one holds one of the
# engine's default address pools: after a few dozen, no network can be
# created. With no dockerd running on the machine (we hold the lock), every
# br-<id> bridge is such a leftover (an engine re-creates its own bridges
# when it starts).
if ! pgrep -x dockerd >/dev/null 2>&1; then
	for br in $(ip -o link show type bridge 2>/dev/null |
		sed -n 's/^[0-9]*: \(br-[0-9a-f]\{12\}\)[:@].*/\1/p'); do
		ip link delete "$br" 2>/dev/null &&
			echo "with-dockerd.sh: removed stale bridge $br" >&2
	done
fi

dir=$(mktemp -d /tmp/smedockerd.XXXXXX) || exit 1
sock=$dir/docker.sock
log=${WITH_DOCKERD_LOG:-$dir/dockerd.log}
pidfile=$dir/dockerd.pid
dpid=

# Remove what the tests left in the engine, so that its bridges go with it.
empty_engine() {
	[ -S "$sock" ] || return 0
	ids=$(timeout 30 docker -H "unix://$sock" ps -aq 2>/dev/null)
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086
		timeout 60 docker -H "unix://$sock" rm -f $ids >/dev/null 2>&1
	fi
	timeout 30 docker -H "unix://$sock" network prune -f >/dev/null 2>&1
}

cleanup() {
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		empty_engine
		kill -TERM "$dpid" 2>/dev/null
		i=0
		while kill -0 "$dpid" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$dpid" 2>/dev/null; then
			echo "with-dockerd.sh: dockerd did not stop, killing it" >&2
			kill -KILL "$dpid" 2>/dev/null
		fi
		wait "$dpid" 2>/dev/null
	fi
	kill_shims "$dir"
	# Whatever the engine left mounted below its directories.
	grep -o " $dir/[^ ]*" /proc/mounts 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$dir" 2>/dev/null
	rm -f "$runpid"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# Bridges: dockerd creates the default docker0 when missing; the bridges
# of user-defined networks are removed with their networks when the run
# ends (empty_engine), and any left by a killed run at the next start.
config=${WITH_DOCKERD_CONFIG:-$dir/daemon.json}
[ -n "${WITH_DOCKERD_CONFIG:-}" ] || echo '{}' >"$config"

dockerd \
	--config-file "$config" \
	--data-root "$dir/data" \
	--exec-root "$dir/exec" \
	--pidfile "$pidfile" \
	-H "unix://$sock" \
	--userland-proxy=true \
	>"$log" 2>&1 &
dpid=$!
echo "$dpid $dir" >"$runpid"

i=0
limit=$((wait_start * 10))
while [ "$(ping_socket "$sock")" != OK ]; do
	if ! kill -0 "$dpid" 2>/dev/null; then
		echo "with-dockerd.sh: dockerd exited during start; its log:" >&2
		tail -n 30 "$log" >&2
		dpid=
		cleanup
		exit 1
	fi
	i=$((i + 1))
	if [ $i -ge $limit ]; then
		echo "with-dockerd.sh: dockerd did not answer on $sock within ${wait_start}s; its log:" >&2
		tail -n 30 "$log" >&2
		cleanup
		exit 1
	fi
	sleep 0.1
done

DOCKER_HOST=unix://$sock
WITH_DOCKERD_SOCKET=$sock
WITH_DOCKERD_DIR=$dir
export DOCKER_HOST WITH_DOCKERD_SOCKET WITH_DOCKERD_DIR

"$@"
status=$?
cleanup
exit $status
