#!/bin/sh
# Install everything the build, the tests and the demo need on Debian 12.
# Run as root. Safe to run again.
set -eu
pkgs="gcc clang meson ninja-build pkg-config libyaml-dev libcurl4-openssl-dev
libcjson-dev check libpcre2-dev valgrind clang-format libclang-rt-14-dev
libtext-template-perl docker.io apache2 busybox-static docker-compose
hyperfine iproute2 curl python3 util-linux procps"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
