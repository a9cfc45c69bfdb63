#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The docker contrib's main job on a sandbox root: build, install into
# ./demo-docker-root, start a private Docker engine (tests/with-dockerd.sh),
# build the busybox test image, record a web container linked to a
# database-like one, signal docker-update, and print the status view.
# Usage (as root on Debian 12): sh tests/docker-demo.sh
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
root=$top/demo-docker-root
port=${DEMO_PORT:-18081}

if [ "${1:-}" != --inside ]; then
	sh tests/install-deps.sh
	[ -d build-demo ] || meson setup build-demo >/dev/null
	meson compile -C build-demo >/dev/null
	rm -rf "$root"
	meson install -C build-demo --destdir "$root" --quiet >/dev/null
	mkdir -p "$root/etc/sysconfig"
	exec sh tests/with-dockerd.sh sh "$top/tests/docker-demo.sh" --inside
fi

export ESMITH_ROOT="$root"
db=$root/sbin/e-smith/db
say() {
	printf '\n$ %s\n' "$*"
	"$@"
}

echo "sandbox root: $root"
echo "engine: $DOCKER_HOST"
say env BUILDDIR="$top/build-demo" sh tests/make-test-image.sh smetest/busybox:1
say "$db" configuration set DomainName example.com
say "$db" docker_images setprop smetest/busybox MaxMemory 64M StopTimeout 1
say "$db" docker_containers set db service status enabled \
	Image smetest/busybox:1 TCPPort '' MountPath /data \
	Cmd '["httpd","-f","-p","3306","-h","/data"]'
say "$db" docker_containers set web service status enabled \
	Image smetest/busybox:1 PortMapping custom PortMappingPorts "$port:80" \
	Interlinked db WebAlias web MaxMemory 32M MaxCpu 0.5 \
	MountPath /www DataMountWrite no
say "$db" docker_containers show
echo
echo "the plan first (run specs, then a dry run):"
say "$root/etc/e-smith/events/actions/docker-specs"
say "$root/etc/e-smith/events/actions/docker-apply" --dry-run
say "$root/sbin/e-smith/signal-event" docker-update
echo "<h1>hello from web</h1>" \
	>"$root/home/e-smith/files/docker-data/web/www/index.html"
echo "rows: 42" >"$root/home/e-smith/files/docker-data/db/data/table.txt"
say "$root/sbin/e-smith/docker-status"
say curl -s "http://127.0.0.1:$port/index.html"
say docker exec web wget -qO- http://db:3306/table.txt
echo
echo "nothing changed, so nothing is done:"
say "$root/etc/e-smith/events/actions/docker-apply" --stats
say "$root/etc/e-smith/events/actions/docker-apply" --dry-run
echo
echo "one property changed: only web is recreated (safely), its data kept:"
say "$db" docker_containers setprop web MaxMemory 48M
say "$root/etc/e-smith/events/actions/docker-specs"
say "$root/etc/e-smith/events/actions/docker-apply" --dry-run
say "$root/sbin/e-smith/signal-event" docker-update
say "$root/sbin/e-smith/docker-status"
say curl -s "http://127.0.0.1:$port/index.html"
