#!/bin/sh
# Changes are logged to syslog as "<db>: OLD key=value" / "NEW key=value".
# The test listens on a /dev/log of its own: a private mount namespace with
# a tmpfs on /dev, where /dev/log is the listener's socket.
set -eu
DB=$1
tmp=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/home/e-smith/db"
python3 - "$tmp/log" "$tmp/msgs" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "w") as out:
    try:
        while True:
            m = s.recv(65536).decode("utf-8", "replace")
            out.write(m + "\n")
            out.flush()
            if "NEW done=" in m:
                break
    except socket.timeout:
        pass
PY
lpid=$!
i=0
while [ ! -S "$tmp/log" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$tmp/log" ] || { echo "listener did not start"; exit 1; }
export ESMITH_ROOT="$tmp/root" DB TMPDIR_LOG="$tmp/log"
unshare -m sh -c '
	mount -t tmpfs none /dev
	: >/dev/log
	mount --bind "$TMPDIR_LOG" /dev/log
	"$DB" configuration set sshd service TCPPort 22
	"$DB" configuration setprop sshd TCPPort 2222
	"$DB" configuration setprop sshd TCPPort 2222
	"$DB" configuration delete sshd
	"$DB" configuration set done flag
'
wait "$lpid" || true
lpid=
sed -n 's/.*\(configuration: \(OLD\|NEW\) .*\)/\1/p' "$tmp/msgs" >"$tmp/got"
cat >"$tmp/want" <<'EOF2'
configuration: NEW sshd=service|TCPPort|22
configuration: OLD sshd=service|TCPPort|22
configuration: NEW sshd=service|TCPPort|2222
configuration: OLD sshd=service|TCPPort|2222
configuration: NEW done=flag
EOF2
diff -u "$tmp/want" "$tmp/got"
echo "syslog lines as expected"
