#!/bin/sh
# The event trees as `meson install --destdir R` lays them out from
# events/events.list: S<NN><action> -> ../actions/<action> links, the
# standard events, and the installed signal-event running them on R.
# Also: install-events.sh builds templates2expand markers and
# services2adjust entries, and rejects a bad list naming file and line.
set -u
src=${SRCDIR:?}
build=${BUILDDIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok - $1"; }
fail() {
	echo "FAIL - $1"
	fails=$((fails + 1))
}
check() { # name expected actual
	if diff -u "$2" "$3"; then ok "$1"; else fail "$1"; fi
}

# Every link and marker below an events tree, one a line.
tree() {
	(cd "$1/etc/e-smith/events" && find . -path ./actions -prune -o \
		\( -type l -printf '%p -> %l\n' \) -o \( -type f -printf '%p\n' \) \
		-o \( -type d -printf '%p/\n' \)) | LC_ALL=C sort
}

# -- meson install ------------------------------------------------------------------
R=$T/inst
meson install -C "$build" --no-rebuild --destdir "$R" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; exit 1; }
tree "$R" | grep -v '^\./docker-' | grep -v '/templates2expand/' >"$T/got"
cat >"$T/want" <<'EOF'
./
./bootstrap-console-save/
./bootstrap-console-save/S00initialize-default-databases -> ../actions/initialize-default-databases
./console-save/
./console-save/S00initialize-default-databases -> ../actions/initialize-default-databases
./post-install/
./post-install/S00initialize-default-databases -> ../actions/initialize-default-databases
./post-upgrade/
./post-upgrade/S00initialize-default-databases -> ../actions/initialize-default-databases
EOF
check "meson install makes the standard event links" "$T/want" "$T/got"
for e in docker-update docker-start docker-stop docker-image-build; do
	[ -d "$R/etc/e-smith/events/$e" ] && ok "event $e exists" || fail "event $e exists"
done
[ -x "$R/sbin/e-smith/signal-event" ] && ok "signal-event installed" || fail "signal-event installed"
[ -x "$R/etc/e-smith/events/actions/adjust-services" ] && ok "adjust-services installed" ||
	fail "adjust-services installed"
# Every link made from the list points at an installed action.
for l in "$R"/etc/e-smith/events/*/S*; do
	[ -L "$l" ] || continue
	a=$(readlink "$l")
	case $a in
	../actions/*) [ -e "$R/etc/e-smith/events/actions/${a#../actions/}" ] ||
		echo "dangling: ${l#"$R"} -> $a" ;;
	esac
done >"$T/got"
if [ -e "$src/src/tmpl.c" ]; then
	check "no link dangles" /dev/null "$T/got"
fi

# -- templates and services from a list --------------------------------------------------
cat >"$T/list" <<'EOF'
# comment
e1   action-x   10   # trailing comment
e1   template   /etc/sysconfig/docker
e1   template   /etc/docker/daemon.json
e1   service    httpd      reload
e1   service    docker     restart   /etc/docker/daemon.json /etc/sysconfig/docker
e1   service    docker     sighup
e2
EOF
DESTDIR=$T/r2 sh "$src/events/install-events.sh" "$T/list" || fail "install-events.sh runs"
# Running it again changes nothing.
DESTDIR=$T/r2 sh "$src/events/install-events.sh" "$T/list" || fail "install-events.sh runs twice"
tree "$T/r2" >"$T/got"
cat >"$T/want" <<'EOF'
./
./e1/
./e1/S10action-x -> ../actions/action-x
./e1/services2adjust/
./e1/services2adjust/docker
./e1/services2adjust/httpd -> reload
./e1/templates2expand/
./e1/templates2expand/etc/
./e1/templates2expand/etc/docker/
./e1/templates2expand/etc/docker/daemon.json
./e1/templates2expand/etc/sysconfig/
./e1/templates2expand/etc/sysconfig/docker
./e2/
EOF
check "templates2expand markers and services2adjust entries" "$T/want" "$T/got"
printf '%s\n' "restart /etc/docker/daemon.json /etc/sysconfig/docker" "sighup" >"$T/want"
check "a service with several actions is a file" "$T/want" "$T/r2/etc/e-smith/events/e1/services2adjust/docker"
[ -s "$T/r2/etc/e-smith/events/e1/templates2expand/etc/sysconfig/docker" ] &&
	fail "markers are empty" || ok "markers are empty"

# -- bad lists ----------------------------------------------------------------------------
bad() { # expected-message line
	printf '# x\n%s\n' "$2" >"$T/bad"
	if DESTDIR=$T/r3 sh "$src/events/install-events.sh" "$T/bad" 2>"$T/err"; then
		fail "rejects: $2"
	else
		echo "install-events: $T/bad:2: $1" >"$T/want"
		check "rejects: $2" "$T/want" "$T/err"
	fi
}
bad "order '5' is not two digits" "ev act 5"
bad "event '../x' is not a valid name" "../x act 10"
bad "'etc/x' is not an absolute path" "ev template etc/x"
bad "'/etc/../x' is not a clean path" "ev template /etc/../x"
bad "unknown service action 'explode'" "ev service httpd explode"
bad "expected: EVENT ACTION NN" "ev act 10 extra"
bad "action 'a/b' is not a valid name" "ev a/b 10"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
