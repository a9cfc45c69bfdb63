#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the event trees below $DESTDIR/etc/e-smith/events from a list
# (events.list; its header describes the format). Run by `meson install`;
# can be run by hand: DESTDIR=/some/root sh install-events.sh events.list
set -eu

list=${1:?usage: install-events.sh events.list}
base="${DESTDIR:-}/etc/e-smith/events"
svcdir=$(mktemp -d)
trap 'rm -rf "$svcdir"' EXIT

fail() {
	echo "install-events: $list:$lineno: $*" >&2
	exit 1
}

check_name() {
	case $1 in
	'' | . | .. | actions | */* | *[!A-Za-z0-9._+-]*)
		fail "$2 '$1' is not a valid name" ;;
	esac
}

check_path() {
	case $1 in
	/*) ;;
	*) fail "'$1' is not an absolute path" ;;
	esac
	case $1/ in
	*/../* | */./* | *//*) fail "'$1' is not a clean path" ;;
	esac
}

lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	line=${line%%#*}
	# shellcheck disable=SC2086
	set -- $line
	[ $# -gt 0 ] || continue
	event=$1
	check_name "$event" event
	mkdir -p "$base/$event"
	[ $# -gt 1 ] || continue
	case $2 in
	template)
		[ $# -eq 3 ] || fail "expected: EVENT template /PATH"
		check_path "$3"
		mkdir -p "$base/$event/templates2expand$(dirname "$3")"
		[ -e "$base/$event/templates2expand$3" ] ||
			: >"$base/$event/templates2expand$3"
		;;
	service)
		[ $# -ge 4 ] || fail "expected: EVENT service NAME ACTION [/PATH...]"
		check_name "$3" service
		case $4 in
		start | stop | restart | reload | sighup | condrestart | \
			reload-or-restart | try-restart) ;;
		*) fail "unknown service action '$4'" ;;
		esac
		svc=$3
		shift 3
		entry=$*
		shift
		for p in "$@"; do
			check_path "$p"
		done
		mkdir -p "$svcdir/$event"
		echo "$entry" >>"$svcdir/$event/$svc"
		;;
	*)
		[ $# -eq 3 ] || fail "expected: EVENT ACTION NN"
		check_name "$2" action
		case $3 in
		[0-9][0-9]) ;;
		*) fail "order '$3' is not two digits" ;;
		esac
		ln -sfn "../actions/$2" "$base/$event/S$3$2"
		;;
	esac
done <"$list"

# services2adjust: one action alone is a symlink naming it, otherwise a
# file with one action (and its paths) a line.
for f in "$svcdir"/*/*; do
	[ -f "$f" ] || continue
	svc=${f##*/}
	event=${f%/*}
	event=${event##*/}
	dir="$base/$event/services2adjust"
	mkdir -p "$dir"
	rm -f "$dir/$svc"
	if [ "$(wc -l <"$f")" -eq 1 ] && [ "$(wc -w <"$f")" -eq 1 ]; then
		ln -s "$(cat "$f")" "$dir/$svc"
	else
		cp "$f" "$dir/$svc"
		chmod 644 "$dir/$svc"
	fi
done
