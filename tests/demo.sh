#!/bin/sh
# The main job on a sandbox root: build, install into ./demo-root as an SME
# root, and show the configuration tools at work there.
# Usage (as root on Debian 12): sh tests/demo.sh
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
[ -d build-demo ] || meson setup build-demo >/dev/null
meson compile -C build-demo >/dev/null
root=$(pwd)/demo-root
rm -rf "$root"
meson install -C build-demo --destdir "$root" --quiet >/dev/null
export ESMITH_ROOT="$root"
db=$root/sbin/e-smith/db

say() { printf '\n$ %s\n' "$*"; "$@"; }

echo "sandbox root: $root"
say "$db" configuration set DomainName example.com
say "$db" configuration set docker service status enabled DataRoot /home/e-smith/files/docker
say "$db" docker_containers set web service Image sme/busybox:1 status enabled \
	TCPPort 80 WebAlias blog access private
say "$db" docker_containers show
say "$db" docker_containers getprop web WebAlias
echo
echo "files written below $root/home/e-smith/db:"
ls -l "$root/home/e-smith/db"

# The docker contrib's main job: a web container linked to a database-like
# one, applied by docker-update on a private engine (README.md, "The Docker contrib").
echo
echo "docker-update of a demo app pair:"
sh tests/docker-demo.sh
