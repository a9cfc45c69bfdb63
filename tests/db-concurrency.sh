#!/bin/sh
# Several processes set many distinct properties on one database at once,
# each through its own `db` process: no update may be lost.
set -eu
DB=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/home/e-smith/db"
export ESMITH_ROOT="$root"
"$DB" configuration set shared service
writers=8
per=25
w=1
while [ $w -le $writers ]; do
	(
		i=1
		while [ $i -le $per ]; do
			"$DB" configuration setprop shared "w${w}p$i" "$w.$i"
			"$DB" configuration set "own-$w-$i" t value "$i"
			i=$((i + 1))
		done
	) &
	w=$((w + 1))
done
wait
props=$("$DB" configuration printprop shared | wc -l)
records=$("$DB" configuration keys | grep -c '^own-')
want=$((writers * per))
echo "properties: $props of $want, records: $records of $want"
[ "$props" -eq "$want" ] && [ "$records" -eq "$want" ]
# every value is the one its writer set
w=1
while [ $w -le $writers ]; do
	v=$("$DB" configuration getprop shared "w${w}p$per")
	[ "$v" = "$w.$per" ] || { echo "w${w}p$per is '$v'"; exit 1; }
	w=$((w + 1))
done
echo "no update lost"
