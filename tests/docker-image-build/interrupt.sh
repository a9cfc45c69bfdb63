#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# docker-image-build interrupted while streaming: no record, the temporary
# tree removed, exit 128 + the signal. The SIGTERM comes from the build
# command itself (so no timing is involved); the engine is tests/fake-engine,
# which answers the handshake and then takes whatever upload arrives.
set -u
: "${BUILDDIR:?}" "${SRCDIR:?}"
prog=$BUILDDIR/src/docker-image-build
t=$(mktemp -d /tmp/dib-interrupt.XXXXXX)
fake=
cleanup() {
	[ -z "$fake" ] || kill "$fake" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
export ESMITH_ROOT=$t/root
mkdir -p "$ESMITH_ROOT" "$t/tmp" "$t/script"
printf 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK' \
	>"$t/script/1"
printf 'HTTP/1.1 500 X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' >"$t/script/2"
"$BUILDDIR/tests/fake-engine" "$t/sock" "$t/script" "$t/log" &
fake=$!
i=0
while [ ! -S "$t/sock" ] && [ $i -lt 500 ]; do
	sleep 0.01
	i=$((i + 1))
done
export DOCKER_HOST=unix://$t/sock

status=0
TMPDIR=$t/tmp "$prog" --quiet \
	--build-command 'mkdir -p "$1/bin" && cp /bin/busybox "$1/bin/" && kill -TERM $PPID' \
	--tag 1 smetest/interrupted >"$t/out" 2>"$t/err"
rc=$?
cat >"$t/expected" <<'EOT'
docker-image-build: import image 'smetest/interrupted:1': upload aborted: interrupted
EOT
diff -u "$t/expected" "$t/err" || status=1
[ $rc = 143 ] || { echo "exit $rc, expected 143" >&2; status=1; }
[ ! -s "$t/out" ] || { echo "stdout: $(cat "$t/out")" >&2; status=1; }
[ -z "$(ls "$t/tmp")" ] || { echo "temporary tree left: $(ls "$t/tmp")" >&2; status=1; }
[ ! -e "$ESMITH_ROOT/home/e-smith/db/docker_images" ] ||
	{ echo "a record was written" >&2; status=1; }
grep -q '^POST /v1.41/images/create?fromSrc=-&repo=smetest%2Finterrupted&tag=1' "$t/log" ||
	{ echo "no import request reached the engine" >&2; status=1; }
exit $status
