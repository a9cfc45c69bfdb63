#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# docker-image-build refuses bad input and an engine that is down with a
# clear message, and writes nothing. No engine needed: the endpoint is a
# socket that does not exist.
set -u
: "${BUILDDIR:?}" "${SRCDIR:?}"
prog=$BUILDDIR/src/docker-image-build
t=$(mktemp -d /tmp/dib-refusals.XXXXXX)
trap 'rm -rf "$t"' EXIT
export ESMITH_ROOT=$t/root
mkdir -p "$ESMITH_ROOT" "$t/tree/etc" "$t/empty"
echo 'VERSION_ID=1' >"$t/tree/etc/os-release"
mkfifo "$t/fifo"
DOCKER_HOST=unix://$t/no-engine.sock
export DOCKER_HOST

# POSIX sh has no pipefail: keep each command's status.
run() {
	echo "\$ docker-image-build $*" | sed -e "s|$t|T|g"
	"$prog" "$@" >"$t/out" 2>&1
	rc=$?
	sed -e "s|$t|T|g" -e 's|^/[^:]*/docker-image-build:|docker-image-build:|' "$t/out"
	echo "exit $rc"
}

{
	run
	run onlyname
	run --bogus a b
	run a "$t/missing"
	run a "$t/fifo"
	run Bad_Name "$t/tree"
	run a:bad:tag "$t/tree"
	run --tag 'bad tag' a "$t/tree"
	run --expose 80,80/sctp a "$t/tree"
	run --cmd '[1]' a "$t/tree"
	run a "$t/tree"
	DOCKER_HOST=tcp://192.0.2.1:2375 run a "$t/tree"
	DOCKER_HOST=tcp://127.0.0.1 run a "$t/tree"
	# As the action of the event docker-image-build: the event name first.
	mkdir -p "$t/events/actions"
	ln -s "$prog" "$t/events/actions/docker-image-build"
	real=$prog
	prog=$t/events/actions/docker-image-build
	run docker-image-build a "$t/missing"
	prog=$real
	run --help
} >"$t/actual"
# --help is long: keep its first line only in the comparison.
sed -n '/^\$ docker-image-build --help$/,$!p' "$t/actual" >"$t/short"
sed -n '/^\$ docker-image-build --help$/{n;p;}' "$t/actual" >>"$t/short"
tail -n 1 "$t/actual" >>"$t/short"

status=0
diff -u "$SRCDIR/tests/docker-image-build/refusals.expected" "$t/short" || status=1
# Nothing was written below the root, no record, no database file.
if [ -n "$(find "$ESMITH_ROOT" -mindepth 1 -print -quit)" ]; then
	echo "refusals: files were written below the root:" >&2
	find "$ESMITH_ROOT" >&2
	status=1
fi
exit $status
