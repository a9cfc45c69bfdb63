#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# expand-template as a program: output files, owner and mode, change-only
# rewrite, .rpmnew/.rpmsave cleanup, --dry-run diffs, failures that leave
# the target alone, usage errors. Usage: expand-template.sh EXPAND_TEMPLATE
set -u
et=$1
tmp=$(mktemp -d /tmp/expand-template-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
failures=0
passes=0

ok() { passes=$((passes + 1)); echo "ok - $1"; }
fail() { failures=$((failures + 1)); echo "not ok - $1"; }
# check NAME EXPECTED-FILE ACTUAL-FILE
check() {
	if diff -u "$2" "$3"; then ok "$1"; else fail "$1"; fi
}

put() { mkdir -p "$(dirname "$root$1")"; printf '%s' "$2" > "$root$1"; }

reset_root() {
	rm -rf "$root"
	put /etc/e-smith/templates-default/template-begin '# begin
'
	put /home/e-smith/db/configuration 'DomainName=example.com
sshd=service|TCPPort|22|status|enabled
'
	put /etc/e-smith/templates/etc/t.conf/10a 'domain { $DomainName }
'
	put /etc/e-smith/templates/etc/t.conf/20b 'port { $sshd{TCPPort} }
'
}

# 1. a new file: content, default mode 0644
reset_root
"$et" --root "$root" /etc/t.conf > "$tmp/out" 2>&1
printf '# begin\ndomain example.com\nport 22\n' > "$tmp/want"
check "new file content" "$tmp/want" "$root/etc/t.conf"
[ "$(stat -c %a "$root/etc/t.conf")" = 644 ] && ok "new file mode 644" || fail "new file mode 644"

# 2. unchanged content: same inode and mtime, no stray files
touch -d '2001-01-01 00:00:00' "$root/etc/t.conf"
before=$(stat -c '%i %Y' "$root/etc/t.conf")
"$et" --root "$root" /etc/t.conf
after=$(stat -c '%i %Y' "$root/etc/t.conf")
[ "$before" = "$after" ] && ok "unchanged file not rewritten" || fail "unchanged file not rewritten ($before / $after)"
[ "$(ls -A "$root/etc")" = "$(printf 'e-smith\nt.conf')" ] && ok "no temp file left" || fail "no temp file left: $(ls -A "$root/etc")"

# 3. owner and mode of an existing file are kept; .rpmnew/.rpmsave removed
printf 'old\n' > "$root/etc/t.conf"
chmod 600 "$root/etc/t.conf"
chown 1234:4321 "$root/etc/t.conf"
put /etc/t.conf.rpmnew 'new'
put /etc/t.conf.rpmsave 'save'
"$et" --root "$root" /etc/t.conf
[ "$(stat -c '%a %u %g' "$root/etc/t.conf")" = "600 1234 4321" ] && ok "owner and mode kept" || fail "owner and mode kept: $(stat -c '%a %u %g' "$root/etc/t.conf")"
check "content replaced" "$tmp/want" "$root/etc/t.conf"
[ ! -e "$root/etc/t.conf.rpmnew" ] && [ ! -e "$root/etc/t.conf.rpmsave" ] && ok ".rpmnew and .rpmsave removed" || fail ".rpmnew and .rpmsave removed"

# 4. metadata PERMS/UID/GID, also fixed on an unchanged file
put /etc/e-smith/templates.metadata/etc/t.conf 'PERMS=0640
UID="2000"
GID="2001"
'
"$et" --root "$root" /etc/t.conf
[ "$(stat -c '%a %u %g' "$root/etc/t.conf")" = "640 2000 2001" ] && ok "metadata owner and mode on an unchanged file" || fail "metadata owner and mode: $(stat -c '%a %u %g' "$root/etc/t.conf")"
rm "$root/etc/e-smith/templates.metadata/etc/t.conf"

# 5. --dry-run: a unified diff, nothing written
reset_root
printf '# begin\ndomain example.org\nport 22\n' > "$root/etc/t.conf"
cp "$root/etc/t.conf" "$tmp/orig"
"$et" --root "$root" --dry-run /etc/t.conf > "$tmp/out"
echo "exit $?" >> "$tmp/out"
cat > "$tmp/want" <<'X'
--- /etc/t.conf
+++ /etc/t.conf (expanded)
@@ -1,3 +1,3 @@
 # begin
-domain example.org
+domain example.com
 port 22
exit 0
X
check "dry-run diff" "$tmp/want" "$tmp/out"
check "dry-run writes nothing" "$tmp/orig" "$root/etc/t.conf"
"$et" --root "$root" /etc/t.conf
"$et" --root "$root" --dry-run /etc/t.conf > "$tmp/out"
[ ! -s "$tmp/out" ] && ok "dry-run of an up-to-date file prints nothing" || fail "dry-run of an up-to-date file prints nothing"

# 6. a failing fragment: message with fragment and line, target untouched,
#    no temp file, non-zero exit; the other fragments still ran
reset_root
printf 'old\n' > "$root/etc/t.conf"
put /etc/e-smith/templates/etc/t.conf/15bad 'line one
{ "unclosed"
'
"$et" --root "$root" /etc/t.conf > "$tmp/out" 2> "$tmp/err"
code=$?
[ $code -ne 0 ] && ok "failure exits non-zero" || fail "failure exits non-zero"
grep -q '^/etc/e-smith/templates/etc/t.conf/15bad:2: ' "$tmp/err" && ok "error names fragment:line" || { cat "$tmp/err"; fail "error names fragment:line"; }
printf 'old\n' > "$tmp/want"
check "target untouched after failure" "$tmp/want" "$root/etc/t.conf"
[ "$(ls -A "$root/etc")" = "$(printf 'e-smith\nt.conf')" ] && ok "no temp file after failure" || fail "no temp file after failure: $(ls -A "$root/etc")"

# 7. --output_filename, ESMITH_ROOT
reset_root
ESMITH_ROOT=$root "$et" --output_filename=/etc/other.conf /etc/t.conf
printf '# begin\ndomain example.com\nport 22\n' > "$tmp/want"
check "--output_filename with ESMITH_ROOT" "$tmp/want" "$root/etc/other.conf"
[ ! -e "$root/etc/t.conf" ] && ok "target itself not written" || fail "target itself not written"

# 8. a new output's missing directory is created
reset_root
put /etc/e-smith/templates/etc/new/dir/n.conf/10a 'new { $DomainName }
'
"$et" --root "$root" /etc/new/dir/n.conf
printf '# begin\nnew example.com\n' > "$tmp/want"
check "missing directories created" "$tmp/want" "$root/etc/new/dir/n.conf"
[ "$(stat -c %a "$root/etc/new/dir")" = 755 ] && ok "new directory mode 755" || fail "new directory mode 755"

# 9. --expand_queue: the given directories only, highest first
reset_root
put /srv/q1/etc/t.conf/10a 'q1 { $DomainName }
'
put /srv/q2/etc/t.conf/10a 'q2
'
put /srv/q2/etc/t.conf/20b 'q2b
'
"$et" --root "$root" --expand_queue=/srv/q1:/srv/q2 /etc/t.conf
printf '# begin\nq1 example.com\nq2b\n' > "$tmp/want"
check "--expand_queue" "$tmp/want" "$root/etc/t.conf"

# 10. DELETE in the metadata; a dry run only says so
put /etc/e-smith/templates.metadata/etc/t.conf 'DELETE=1
'
"$et" --root "$root" --dry-run /etc/t.conf > "$tmp/out"
echo '/etc/t.conf: would be deleted' > "$tmp/want"
check "dry-run of DELETE" "$tmp/want" "$tmp/out"
[ -e "$root/etc/t.conf" ] && ok "dry-run keeps the file" || fail "dry-run keeps the file"
"$et" --root "$root" /etc/t.conf
[ ! -e "$root/etc/t.conf" ] && ok "DELETE removes the output" || fail "DELETE removes the output"

# 11. usage errors exit 255 with the usage on stderr; --help on stdout
for args in "" "--bogus /etc/t.conf" "relative/path" "/a /b"; do
	# shellcheck disable=SC2086
	"$et" --root "$root" $args > "$tmp/out" 2> "$tmp/err"
	code=$?
	if [ $code -eq 255 ] && grep -q '^usage: expand-template' "$tmp/err" && [ ! -s "$tmp/out" ]; then
		ok "usage error: '$args'"
	else
		fail "usage error: '$args' (exit $code)"
	fi
done
"$et" --help > "$tmp/out" 2>&1 && grep -q '^usage: expand-template' "$tmp/out" && ok "--help" || fail "--help"
"$et" --root "$root" --help > "$tmp/out" 2>&1 && grep -q "^usage: expand-template" "$tmp/out" && ok "--help after --root" || fail "--help after --root"

echo "$passes passed, $failures failed"
[ $failures -eq 0 ]
