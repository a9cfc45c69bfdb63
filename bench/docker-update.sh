#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/docker-update.sh [N]: docker-update against Debian's docker-compose
# 1.29 on the same engine, with N (50) equivalent containers: the first
# apply (create and start everything) and a no-op apply (nothing changed),
# wall time and Engine API calls (all and mutating) for each.
#
# Calls are counted by a pass-through proxy on the engine's socket
# (api-count-proxy.py) for both tools; docker-apply's own counter is shown
# beside it. No-op times are hyperfine means. Runs under
# tests/with-dockerd.sh (started here) on a private engine.
# Usage (as root, after a build in ./build): sh bench/docker-update.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${BUILDDIR:-$top/build}
export BUILDDIR
if [ -z "${WITH_DOCKERD_SOCKET:-}" ]; then
	exec sh "$top/tests/with-dockerd.sh" sh "$top/bench/docker-update.sh" "$@"
fi
n=${1:-50}
engine=${DOCKER_HOST#unix://}
root=$(mktemp -d /tmp/bench-docker.XXXXXX)
ppid_=
remove_all() {
	for c in $(curl -s --unix-socket "$engine" \
		"http://localhost/v1.41/containers/json?all=1" | jq -r '.[].Id'); do
		curl -s -X DELETE --unix-socket "$engine" \
			"http://localhost/v1.41/containers/$c?force=1" >/dev/null
	done
}
stop_proxy() {
	if [ -n "$ppid_" ]; then
		kill -TERM "$ppid_"
		wait "$ppid_" 2>/dev/null || true
		ppid_=
		rm -f "$root/proxy.sock"
	fi
}
start_proxy() { # count file
	python3 "$top/bench/api-count-proxy.py" "$root/proxy.sock" "$engine" "$1" &
	ppid_=$!
	while [ ! -S "$root/proxy.sock" ]; do sleep 0.05; done
}
cleanup() {
	status=$?
	stop_proxy
	remove_all # so that the engine stops at once
	if [ "$status" != 0 ]; then
		for f in "$root"/*.stats "$root"/*.err; do
			[ -f "$f" ] && { echo "== $f"; cat "$f"; }
		done
	fi >&2
	rm -rf "$root"
}
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l | xargs printf '%.2f'; }
calls() { printf '%s calls, %s mutating' "$(sed -n 's/^total //p' "$1")" \
	"$(sed -n 's/^mutating //p' "$1")"; }

meson install -C "$BUILDDIR" --no-rebuild --destdir "$root" --quiet >/dev/null
ESMITH_ROOT=$root sh "$top/tests/make-test-image.sh" smetest/busybox:1 >/dev/null
db() { "$root/sbin/e-smith/db" --root "$root" "$@"; }
db docker_images setprop smetest/busybox TCPPort ''
inst=$root/etc/e-smith/events/actions
{
	echo "version: '2.4'"
	echo "services:"
} >"$root/compose.yml"
i=1
while [ $i -le "$n" ]; do
	name=$(printf 'c%02d' $i)
	db docker_containers set "$name" service status enabled \
		Image smetest/busybox:1 Cmd '["sleep","1000000"]' \
		MaxMemory 16M Env BENCH=1 StopTimeout 1
	cat >>"$root/compose.yml" <<EOC
  $name:
    image: smetest/busybox:1
    command: ["sleep", "1000000"]
    mem_limit: 16m
    environment: [BENCH=1]
    stop_grace_period: 1s
    restart: unless-stopped
EOC
	i=$((i + 1))
done
ours() {
	"$inst/docker-validate" --root "$root" &&
		"$inst/docker-specs" --root "$root" >/dev/null &&
		"$inst/docker-apply" --root "$root" "$@"
}
compose() { docker-compose -p bench -f "$root/compose.yml" "$@"; }

echo "bench: $n containers, dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), $(docker-compose version --short 2>/dev/null || echo docker-compose)"

start_proxy "$root/ours-first"
t0=$(now)
DOCKER_HOST=unix://$root/proxy.sock ours --stats >/dev/null 2>"$root/ours-first.stats"
t1=$(now)
stop_proxy
ours_first=$(elapsed "$t0" "$t1")
start_proxy "$root/ours-noop"
DOCKER_HOST=unix://$root/proxy.sock ours --stats >/dev/null 2>"$root/ours-noop.stats"
stop_proxy
[ "$(sed -n 's/^mutating //p' "$root/ours-noop")" = 0 ] || {
	echo "docker-update no-op made changes" >&2
	exit 1
}
# the whole event's work: validate, run specs (templates), apply
ESMITH_ROOT=$root hyperfine --warmup 2 --runs 20 --export-json "$root/ours.json" \
	"$inst/docker-validate && $inst/docker-specs >/dev/null && $inst/docker-apply" \
	>/dev/null 2>&1
ours_noop=$(jq -r '.results[0].mean' "$root/ours.json" | xargs printf '%.3f')
remove_all

start_proxy "$root/compose-first"
t0=$(now)
DOCKER_HOST=unix://$root/proxy.sock compose up -d >/dev/null 2>"$root/compose-first.err"
t1=$(now)
stop_proxy
compose_first=$(elapsed "$t0" "$t1")
start_proxy "$root/compose-noop"
DOCKER_HOST=unix://$root/proxy.sock compose up -d >/dev/null 2>"$root/compose-noop.err"
stop_proxy
hyperfine --warmup 1 --runs 5 --export-json "$root/compose.json" \
	"docker-compose -p bench -f $root/compose.yml up -d" >/dev/null 2>&1
compose_noop=$(jq -r '.results[0].mean' "$root/compose.json" | xargs printf '%.3f')
remove_all

printf '\n%-22s %-40s %s\n' "" "docker-update (ours)" "docker-compose up -d"
printf '%-22s %-40s %s\n' "first apply" "$ours_first s, $(calls "$root/ours-first")" \
	"$compose_first s, $(calls "$root/compose-first")"
printf '%-22s %-40s %s\n' "no-op apply" "$ours_noop s, $(calls "$root/ours-noop")" \
	"$compose_noop s, $(calls "$root/compose-noop")"
printf '%-22s %-40s\n' "docker-apply counter" "first: $(cat "$root/ours-first.stats"); no-op: $(cat "$root/ours-noop.stats")"
echo "no-op speed-up: $(echo "$compose_noop / $ours_noop" | bc -l | xargs printf '%.0f')x"
