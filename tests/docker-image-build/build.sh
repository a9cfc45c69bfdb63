#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# docker-image-build against a real engine (run through with-dockerd.sh):
# a directory, a tarball and a build command; minimization (checked in
# the image with `docker export`, the source left whole); the tag from
# os-release, redhat-release or the name; the docker_images record;
# refusals that must leave no record.
set -u
: "${BUILDDIR:?}" "${SRCDIR:?}" "${DOCKER_HOST:?run through tests/with-dockerd.sh}"
prog=$BUILDDIR/src/docker-image-build
t=$(mktemp -d /tmp/dib-build.XXXXXX)
trap 'rm -rf "$t"' EXIT
export ESMITH_ROOT=$t/root
mkdir -p "$ESMITH_ROOT"
db=$ESMITH_ROOT/home/e-smith/db/docker_images
status=0
fail() {
	echo "FAIL: $*" >&2
	status=1
}

# A small tree: busybox, a page, and the paths minimization leaves out.
tree=$t/tree
mkdir -p "$tree/bin" "$tree/etc" "$tree/www" "$tree/usr/share/man/man1" \
	"$tree/usr/share/doc/pkg" "$tree/usr/share/locale/de" \
	"$tree/usr/share/i18n" "$tree/usr/share/cracklib" "$tree/sbin" \
	"$tree/var/cache/ldconfig" "$tree/usr/share/info"
cp /bin/busybox "$tree/bin/busybox"
ln -s busybox "$tree/bin/sh"
echo 'VERSION_ID="3.18"' >"$tree/etc/os-release"
echo page >"$tree/www/index.html"
for f in usr/share/man/man1/x.1 usr/share/doc/pkg/README \
	usr/share/locale/de/x.mo usr/share/i18n/x usr/share/cracklib/x \
	sbin/sln var/cache/ldconfig/aux-cache etc/ld.so.cache \
	usr/share/info/x.info; do
	echo x >"$tree/$f"
done

# Files of an image, via a created (never started) container.
image_files() {
	cid=$(docker create "$1" /bin/busybox true) || return 1
	docker export "$cid" | tar -t | sed 's|/$||' | sort
	docker rm "$cid" >/dev/null
}

# Record, with the varying values replaced.
show_record() {
	sed -n "s|^$1=||p" "$db" |
		sed -e 's/ImageId|sha256:[0-9a-f]\{64\}/ImageId|ID/' \
			-e 's/Created|[0-9T:Z-]*/Created|DATE/' \
			-e 's/Size|[0-9]*/Size|N/' -e "s|$t|T|g"
}

# 1. A directory, minimized by default, tag from os-release.
out=$("$prog" --quiet --cmd '/bin/busybox httpd -f -p 8080 -h /www' \
	--expose 8080,53/udp smetest/base "$tree" 2>"$t/err") ||
	fail "build from a directory: $(cat "$t/err")"
case $out in
"smetest/base:3.18 sha256:"*) ;;
*) fail "unexpected output: $out" ;;
esac
[ ! -s "$t/err" ] || fail "stderr not empty: $(cat "$t/err")"
image_files smetest/base:3.18 >"$t/files"
for gone in usr/share/man usr/share/doc usr/share/locale usr/share/i18n \
	usr/share/cracklib sbin/sln var/cache/ldconfig/aux-cache \
	etc/ld.so.cache usr/share/info; do
	grep -qx "$gone" "$t/files" && fail "$gone is in the image"
done
for kept in bin/busybox bin/sh www/index.html etc/os-release sbin \
	var/cache/ldconfig usr/share; do
	grep -qx "$kept" "$t/files" || fail "$kept is missing from the image"
done
for f in usr/share/man/man1/x.1 sbin/sln etc/ld.so.cache \
	var/cache/ldconfig/aux-cache; do
	[ -f "$tree/$f" ] || fail "the source lost $f"
done
docker image inspect smetest/base:3.18 \
	--format '{{json .Config.Cmd}} {{json .Config.ExposedPorts}}' >"$t/cfg"
echo '["/bin/busybox","httpd","-f","-p","8080","-h","/www"] {"53/udp":{},"8080/tcp":{}}' |
	diff -u - "$t/cfg" || fail "image config"
cat >"$t/expected" <<'EOR'
image|Cmd|["/bin/busybox","httpd","-f","-p","8080","-h","/www"]|Created|DATE|ImageId|ID|Minimized|locales,docs,man,cracklib,i18n,sln,ldconfig|Size|N|Source|T/tree|TCPPort|8080|Tag|3.18|UDPPort|53
EOR
show_record smetest/base | diff -u "$t/expected" - || fail "record after build 1"
id1=$(echo "$out" | cut -d' ' -f2)
sed -n 's/^smetest\/base=.*ImageId|\([^|]*\).*/\1/p' "$db" | grep -qx "$id1" ||
	fail "record ImageId is not $id1"

# 2. Rebuilt with --keep-man, no cmd, explicit tag: stale props go, the
#    admin's own props stay.
"$BUILDDIR/src/db" docker_images setprop smetest/base Description mine
"$prog" --quiet --keep-man --tag 2 smetest/base "$tree" >/dev/null 2>"$t/err" ||
	fail "rebuild: $(cat "$t/err")"
image_files smetest/base:2 | grep -qx usr/share/man/man1/x.1 ||
	fail "--keep-man did not keep the man page"
image_files smetest/base:2 | grep -qx usr/share/doc && fail "docs kept"
cat >"$t/expected" <<'EOR'
image|Created|DATE|Description|mine|ImageId|ID|Minimized|locales,docs,cracklib,i18n,sln,ldconfig|Size|N|Source|T/tree|Tag|2
EOR
show_record smetest/base | diff -u "$t/expected" - || fail "record after rebuild"

# 3. A tarball (gzip), tag from etc/redhat-release, name with a registry.
rm "$tree/etc/os-release"
echo 'CentOS release 6.5 (Final)' >"$tree/etc/redhat-release"
tar -czf "$t/tree.tgz" -C "$tree" .
out=$("$prog" --quiet --no-minimize localhost:5000/sme/real "$t/tree.tgz" 2>"$t/err") ||
	fail "build from a tarball: $(cat "$t/err")"
case $out in "localhost:5000/sme/real:6.5 sha256:"*) ;; *) fail "tarball: $out" ;; esac
image_files localhost:5000/sme/real:6.5 | grep -qx usr/share/man/man1/x.1 ||
	fail "--no-minimize left out the man page"
ls /var/tmp | grep -q '^docker-image-build\.' && fail "temporary tree left in /var/tmp"

# 4. No version at all: the name is the tag, with a warning.
rm "$tree/etc/redhat-release"
out=$("$prog" --quiet smetest/noversion "$tree" 2>"$t/err") || fail "no version"
case $out in "smetest/noversion:noversion sha256:"*) ;; *) fail "no version: $out" ;; esac
grep -q "warning: cannot detect the version of the tree" "$t/err" ||
	fail "no warning: $(cat "$t/err")"

# 5. A build command fills a fresh directory; progress goes to stderr.
out=$("$prog" --build-command 'mkdir -p "$1/bin" "$1/etc" && cp /bin/busybox "$ROOTFS/bin/" && echo VERSION_ID=7 > "$1/etc/os-release"' \
	--cmd '["/bin/busybox","echo","built"]' smetest/built 2>"$t/err") ||
	fail "build command: $(cat "$t/err")"
case $out in "smetest/built:7 sha256:"*) ;; *) fail "build command: $out" ;; esac
grep -q 'docker-image-build: sent .* MiB, .* entries, .* MiB/s' "$t/err" ||
	fail "no progress line: $(cat "$t/err")"
show_record smetest/built | grep -q '|BuildCommand|mkdir -p' || fail "no BuildCommand"
show_record smetest/built | grep -q '|Source|build|' || fail "Source not build"
[ "$(docker run --rm smetest/built:7)" = built ] || fail "the built image does not run"

# 6. Refusals that leave no record: an empty tree, a failing build command,
#    an engine that is down.
cp "$db" "$t/db.before"
mkdir "$t/empty"
"$prog" --quiet smetest/empty "$t/empty" 2>"$t/err" && fail "empty tree accepted"
grep -qx "docker-image-build: source '$t/empty': the tree is empty, nothing to import" "$t/err" ||
	fail "empty tree: $(cat "$t/err")"
"$prog" --quiet --build-command 'exit 3' smetest/failed 2>"$t/err" && fail "failed build accepted"
grep -qx "docker-image-build: build command 'exit 3' failed: exited with status 3" "$t/err" ||
	fail "failed build: $(cat "$t/err")"
DOCKER_HOST=unix://$t/none.sock "$prog" --quiet smetest/down "$tree" 2>"$t/err" &&
	fail "engine down accepted"
grep -q "is not running" "$t/err" || fail "engine down: $(cat "$t/err")"
cmp -s "$db" "$t/db.before" || fail "a refusal changed the database"
docker image inspect smetest/empty:latest >/dev/null 2>&1 && fail "empty image made"

exit $status
