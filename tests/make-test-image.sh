#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-test-image.sh NAME:TAG [ROOTFS_DIR]
#
# Build the busybox test image with docker-image-build, from Debian's
# busybox-static: a root filesystem with bin/busybox, a symlink per applet
# (`busybox --list`), a tiny web root /www/index.html and etc/os-release.
# The default command serves /www with busybox httpd on port 80 in the
# foreground. Runs against the engine in DOCKER_HOST (see with-dockerd.sh);
# the docker_images record goes to the sandbox root in ESMITH_ROOT (a
# temporary one when unset). Prints "NAME:TAG sha256:..." like
# docker-image-build.
#
# Environment: DOCKER_IMAGE_BUILD (the program; default: the build tree's),
# BUSYBOX (default /bin/busybox).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: make-test-image.sh NAME:TAG [ROOTFS_DIR]" >&2
	exit 2
fi
ref=$1
here=$(cd "$(dirname "$0")" && pwd)
prog=${DOCKER_IMAGE_BUILD:-${BUILDDIR:-$here/../build}/src/docker-image-build}
busybox=${BUSYBOX:-/bin/busybox}

if [ ! -x "$busybox" ]; then
	echo "make-test-image.sh: $busybox not found (apt-get install busybox-static)" >&2
	exit 1
fi

cleanup_dirs=
cleanup() {
	# shellcheck disable=SC2086
	[ -z "$cleanup_dirs" ] || rm -rf $cleanup_dirs
}
trap cleanup EXIT

if [ $# -eq 2 ]; then
	rootfs=$2
	mkdir -p "$rootfs"
else
	rootfs=$(mktemp -d /tmp/testimage.XXXXXX)
	cleanup_dirs="$cleanup_dirs $rootfs"
fi
if [ -z "${ESMITH_ROOT:-}" ]; then
	ESMITH_ROOT=$(mktemp -d /tmp/testimage-root.XXXXXX)
	cleanup_dirs="$cleanup_dirs $ESMITH_ROOT"
	export ESMITH_ROOT
fi

mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" \
	"$rootfs/etc" "$rootfs/www" "$rootfs/tmp" "$rootfs/proc" \
	"$rootfs/sys" "$rootfs/dev" "$rootfs/data"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
for applet in $("$busybox" --list-full 2>/dev/null || "$busybox" --list); do
	case $applet in
	*/*) path=$applet ;;
	*) path=bin/$applet ;;
	esac
	[ "$path" = bin/busybox ] && continue
	depth=$(printf '%s' "$path" | tr -cd / | wc -c)
	up=
	i=0
	while [ "$i" -lt "$depth" ]; do
		up="../$up"
		i=$((i + 1))
	done
	ln -sf "${up}bin/busybox" "$rootfs/$path"
done
cat >"$rootfs/etc/os-release" <<'EOF'
NAME="smeserver-docker test image"
ID=busybox
VERSION_ID=1
PRETTY_NAME="busybox test image"
EOF
echo 'root:x:0:0:root:/:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
echo '<html><body>smeserver-docker test page</body></html>' \
	>"$rootfs/www/index.html"

"$prog" --quiet --no-minimize \
	--cmd '["/bin/busybox","httpd","-f","-p","80","-h","/www"]' --expose 80/tcp \
	"$ref" "$rootfs"
