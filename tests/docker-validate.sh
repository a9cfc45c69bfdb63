#!/bin/sh
# docker-validate and the validation inside docker-specs and docker-apply:
# every problem reported at once, naming record and property; on any
# problem nothing is written and the engine is not contacted.
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}"
data=$SRCDIR/tests/docker
act=$BUILDDIR/actions
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/home/e-smith/db"

cp "$data/bad.db" "$root/home/e-smith/db/docker_containers"
status=0
"$act/docker-validate" --root "$root" docker-update 2>"$root/out" || status=$?
[ "$status" = 1 ] || { echo "docker-validate: exit $status, expected 1"; exit 1; }
diff -u "$data/bad.expected" "$root/out"

# docker-apply validates again and stops before any engine call: the
# engine named here does not exist, yet the message is about the records.
status=0
DOCKER_HOST=unix://$root/no-such.sock "$act/docker-apply" --root "$root" \
	docker-update 2>"$root/out" || status=$?
[ "$status" = 1 ] || { echo "docker-apply: exit $status, expected 1"; exit 1; }
grep -q "docker_containers: web: status 'on'" "$root/out"
grep -q "problems, nothing applied" "$root/out"
! grep -q "no-such.sock" "$root/out"

# a bad docker configuration record
cp "$data/good.db" "$root/home/e-smith/db/docker_containers"
printf 'docker=service|DataRoot|rel/dir|TCPPort|0|Network|host|TCPSocket|yes\n' \
	>"$root/home/e-smith/db/configuration"
status=0
"$act/docker-validate" --root "$root" 2>"$root/out" || status=$?
[ "$status" = 1 ]
diff -u - "$root/out" <<'EXP'
configuration: docker: TCPSocket 'yes': expected enabled or disabled
configuration: docker: DataRoot 'rel/dir': expected an absolute path without '..', '//' or special characters
configuration: docker: TCPPort '0': expected a port number 1-65535
configuration: docker: Network 'host': expected a network name (lowercase letters, digits, '-', '_'; not bridge, host or none)
docker-validate: 4 problems, nothing applied
EXP

# good records, but no run specs yet: docker-apply says so and stops
rm "$root/home/e-smith/db/configuration"
status=0
DOCKER_HOST=unix://$root/no-such.sock "$act/docker-apply" --root "$root" \
	2>"$root/out" || status=$?
[ "$status" = 1 ] || { echo "docker-apply: exit $status, expected 1"; exit 1; }
grep -q "containers/db.yml: No such file or directory (run docker-specs first)" "$root/out"
grep -q "2 problems, nothing applied" "$root/out"

# good records: silent success
"$act/docker-validate" --root "$root" >"$root/out" 2>&1
[ ! -s "$root/out" ]
echo "docker-validate: ok"
