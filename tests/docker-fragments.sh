#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The docker fragments under Debian's Text::Template (the oracle):
# - /etc/sysconfig/docker for the default and a TCP-enabled `docker`
#   record, and a hostile DataRoot refused (nothing generated);
# - the run spec template gives, for records full of YAML-significant
#   characters, exactly the YAML of its C twin (dockspec_props_to_yaml,
#   via docker-specgen) below the generated-file header;
# - when built, expand-template and docker-specs give byte-identical files.
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
oracle() { perl "$SRCDIR/tests/docker-oracle.pl" "$root" "$@"; }
db() { "$BUILDDIR/src/db" --root "$root" "$@"; }
mkdir -p "$root/etc/e-smith" "$root/etc/sysconfig" "$root/home/e-smith/db"
cp -r "$SRCDIR/fragments/templates" "$SRCDIR/fragments/templates-default" \
	"$root/etc/e-smith/"

# -- /etc/sysconfig/docker
oracle /etc/sysconfig/docker | grep -v '^#' >"$root/out"
echo 'other_args="--data-root /home/e-smith/files/docker -H unix:///var/run/docker.sock"' |
	diff -u - "$root/out"
db configuration set docker service TCPSocket enabled TCPPort 4243 \
	DataRoot /srv/docker Socket /run/docker.sock
oracle /etc/sysconfig/docker | grep -v '^#' >"$root/out"
echo 'other_args="--data-root /srv/docker -H unix:///run/docker.sock -H tcp://127.0.0.1:4243"' |
	diff -u - "$root/out"
if [ -x "$BUILDDIR/src/expand-template" ]; then
	oracle /etc/sysconfig/docker >"$root/want"
	"$BUILDDIR/src/expand-template" --root "$root" /etc/sysconfig/docker
	diff -u "$root/want" "$root/etc/sysconfig/docker"
fi
db configuration setprop docker DataRoot '/x"; rm -rf /'
if oracle /etc/sysconfig/docker >/dev/null 2>"$root/err"; then
	echo "hostile DataRoot expanded"
	exit 1
fi
grep -q "configuration: docker: '/x\"; rm -rf /': expected an absolute path" "$root/err"
if [ -x "$BUILDDIR/src/expand-template" ]; then
	cp "$root/etc/sysconfig/docker" "$root/before"
	if "$BUILDDIR/src/expand-template" --root "$root" /etc/sysconfig/docker 2>"$root/err"; then
		echo "expand-template accepted a hostile DataRoot"
		exit 1
	fi
	grep -q "expected an absolute path" "$root/err"
	cmp "$root/before" "$root/etc/sysconfig/docker"
fi
db configuration delprop docker DataRoot

# -- run specs
db docker_images set app image Reference "smetest/busybox:1" \
	Env "FROM=image" MaxMemory 64M
db docker_containers set web service status enabled Image app \
	Env "Q=it's: {x} #y,R=\"two\"" WebAlias "a'b: c" Cmd "- [x]"
db docker_containers set app service status disabled
db docker_containers set bare service
db docker_images set smetest/busybox image Tag 1 TCPPort 80 \
	Cmd '["/bin/busybox","httpd","-f"]'
db docker_containers set built service status enabled Image smetest/busybox:1
db docker_containers set odd service status enabled Image "x'y" \
	"Odd'Prop" "v: '1'"
"$BUILDDIR/tests/docker-specgen" --root "$root"
for name in web app bare odd built; do
	oracle /etc/smeserver-docker/container.yml CONTAINER=$name >"$root/$name.full"
	grep -v '^#' "$root/$name.full" >"$root/$name.yml"
	diff -u "$root/$name.yml" \
		"$root/etc/smeserver-docker/containers/$name.yml"
done
grep -q "^  'Reference': 'smetest/busybox:1'$" "$root/app.yml"
grep -q "^  'WebAlias': 'a''b: c'$" "$root/web.yml"
grep -q "^record: {}$" "$root/bare.yml"
grep -q "^  'Reference': 'smetest/busybox:1'$" "$root/built.yml"
if [ -x "$BUILDDIR/actions/docker-specs" ]; then
	# docker-specs validates first: only good records
	db docker_containers delete odd
	db docker_containers delete bare
	db docker_containers setprop web WebAlias ab
	"$BUILDDIR/actions/docker-specs" --root "$root" >/dev/null
	for name in web app built; do
		oracle /etc/smeserver-docker/container.yml CONTAINER=$name |
			diff -u - "$root/etc/smeserver-docker/containers/$name.yml"
	done
	[ ! -e "$root/etc/smeserver-docker/containers/odd.yml" ]
fi
echo "docker-fragments: ok"
