#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/image-import.sh [TREE]
#
# Time the import of a root filesystem TREE (default /usr/share, only
# read) into a private engine: docker-image-build (tar written on the fly
# by our own writer, streamed over the engine's socket) against the
# seed's way, `tar --numeric-owner -c -C TREE . | docker import -`.
# Uses hyperfine; runs through tests/with-dockerd.sh. Needs a build in
# ./build (or BUILDDIR).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:-/usr/share}
builddir=${BUILDDIR:-$here/build}
if [ -z "${DOCKER_HOST:-}" ]; then
	exec sh "$here/tests/with-dockerd.sh" sh "$0" "$@"
fi
command -v hyperfine >/dev/null || {
	echo "image-import.sh: hyperfine not found" >&2
	exit 1
}
echo "tree: $tree ($(du -sh "$tree" | cut -f1), $(find "$tree" | wc -l) entries)"
ESMITH_ROOT=$(mktemp -d /tmp/bench-root.XXXXXX)
export ESMITH_ROOT
trap 'rm -rf "$ESMITH_ROOT"' EXIT
hyperfine --warmup 1 --runs 3 \
	-n docker-image-build \
	"$builddir/src/docker-image-build --quiet --no-record --no-minimize --tag 1 bench/tree $tree" \
	-n 'tar | docker import' \
	"tar --numeric-owner -c -C $tree . | docker import - bench/tree:2"
