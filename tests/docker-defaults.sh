#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# post-install creates the `docker` configuration record from its defaults
# and writes /etc/sysconfig/docker; bootstrap-console-save writes it again
# after a change (the TCP socket enabled); the event trees of docker-update,
# docker-start and docker-stop are wired in order.
set -eu
: "${BUILDDIR:?}"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$BUILDDIR" --no-rebuild --destdir "$root" --quiet >/dev/null
mkdir -p "$root/etc/sysconfig"
sig() { "$root/sbin/e-smith/signal-event" --root "$root" "$@" 2>/dev/null; }
db() { "$root/sbin/e-smith/db" --root "$root" "$@"; }

sig post-install
db configuration show docker >"$root/out"
diff -u - "$root/out" <<'EXP'
docker=service
    DataMountRoot=/home/e-smith/files/docker-data
    DataRoot=/home/e-smith/files/docker
    Network=smeserver
    Socket=/var/run/docker.sock
    TCPPort=4243
    TCPSocket=disabled
    status=enabled
EXP
grep -v '^#' "$root/etc/sysconfig/docker" >"$root/out"
echo 'other_args="--data-root /home/e-smith/files/docker -H unix:///var/run/docker.sock"' |
	diff -u - "$root/out"

# defaults never overwrite the admin's values
db configuration setprop docker TCPSocket enabled
sig post-upgrade
sig bootstrap-console-save
[ "$(db configuration getprop docker TCPSocket)" = enabled ]
grep -q '^other_args=".* -H tcp://127.0.0.1:4243"$' "$root/etc/sysconfig/docker"

for e in docker-update docker-start docker-stop; do
	# the docker contrib's own handlers (other parts add theirs)
	echo $(cd "$root/etc/e-smith/events/$e" && ls |
		grep -E '^S[0-9]+docker-(start|stop|validate|specs|apply)$') >"$root/$e"
done
echo "S02docker-validate S10docker-specs S20docker-apply" |
	diff -u - "$root/docker-update"
echo "S01docker-start S02docker-validate S10docker-specs S20docker-apply" |
	diff -u - "$root/docker-start"
echo "S01docker-stop S02docker-validate S10docker-specs S20docker-apply" |
	diff -u - "$root/docker-stop"
[ -e "$root/etc/e-smith/events/docker-update/templates2expand/etc/sysconfig/docker" ]
[ -e "$root/etc/e-smith/events/docker-update/services2adjust/docker" ]
echo "docker-defaults: ok"
