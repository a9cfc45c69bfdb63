#!/bin/sh
# with-dockerd.sh leaves no bridge behind: the networks a run creates go
# with its engine, and a bridge left by a killed engine (simulated by a
# bridge of the same kind of name made here) is removed at the next start,
# so the engine's address pools never run out.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
stale=br-0badc0ffee00
ip link add "$stale" type bridge
trap 'ip link delete "$stale" 2>/dev/null || true' EXIT

# first run: the stale bridge is gone; make user-defined networks
sh "$here/with-dockerd.sh" sh -c '
	if ip link show '"$stale"' >/dev/null 2>&1; then
		echo "stale bridge still there"; exit 1
	fi
	docker network create left-a >/dev/null || exit 1
	docker network create left-b >/dev/null || exit 1
	n=$(ip -o link show type bridge | grep -c " br-")
	[ "$n" -eq 2 ] || { echo "expected 2 network bridges, found $n"; exit 1; }
'
# after it: none of its bridges remain
left=$(ip -o link show type bridge | grep -c " br-" || true)
if [ "$left" -ne 0 ]; then
	echo "bridges left after the engine stopped:"
	ip -o link show type bridge | grep " br-"
	exit 1
fi
echo "no bridge left behind"
