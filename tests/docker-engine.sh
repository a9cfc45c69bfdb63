#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# docker-update against a real engine (run under tests/with-dockerd.sh),
# on a sandbox root: a web container linked to a database-like one.
# Every property is observed in the engine (inspect) and in real traffic;
# then: nothing changed (no mutating call, same IDs and start times), one
# property changed (only that container recreated, its data kept), a
# replacement that cannot start (old one running again, apply failed),
# bad records (nothing asked of the engine), stop/start, a record deleted
# (container gone, data kept), a container without our labels untouched.
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}" "${DOCKER_HOST:?run me under tests/with-dockerd.sh}"
sock=${DOCKER_HOST#unix://}
root=$(mktemp -d /tmp/docker-engine.XXXXXX)
port=18080
cleanup() {
	rm -rf "$root"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
step() { echo "--- $(date +%T) $*"; }
api() { curl -sf --unix-socket "$sock" "http://localhost/v1.41$1"; }
db() { "$BUILDDIR/src/db" --root "$root" "$@"; }
# The project installed into the sandbox root, as on a server.
meson install -C "$BUILDDIR" --no-rebuild --destdir "$root" --quiet >/dev/null
mkdir -p "$root/etc/sysconfig"
inst=$root/etc/e-smith/events/actions
# The event as an admin signals it; handler output goes to the event log.
# DOCKER_APPLY_STATS makes docker-apply log its engine call counts.
event() {
	: >"$root/event.log"
	DOCKER_APPLY_STATS=1 "$root/sbin/e-smith/signal-event" --root "$root" \
		--log "$root/event.log" "$@"
}
specs() {
	"$inst/docker-specs" --root "$root" >/dev/null
}
# The stages of docker-update run one by one, docker-apply's count of
# engine calls in $root/stats.
update() {
	"$inst/docker-validate" --root "$root" docker-update &&
		specs &&
		"$inst/docker-apply" --root "$root" --stats "$@" 2>"$root/stats"
}
inspect() { api "/containers/$1/json"; }
field() { inspect "$1" | jq -r "$2"; }
mutating() { sed -n 's/.*mutating: \([0-9]*\).*/\1/p' "${1:-$root/stats}"; }

step "test image from busybox-static (docker-image-build)"
mkdir -p "$root/home/e-smith/db"
ESMITH_ROOT=$root sh "$SRCDIR/tests/make-test-image.sh" smetest/busybox:1 >/dev/null

step "records"
db configuration set docker service status enabled Network smetest
# defaults every container of this image inherits
db docker_images setprop smetest/busybox MaxMemory 64M StopTimeout 1
db docker_containers set db service status enabled Image smetest/busybox:1 \
	Cmd '["httpd","-f","-p","3306","-h","/data"]' MountPath /data \
	TCPPort ""
db docker_containers set web service status enabled Image smetest/busybox:1 \
	Cmd "httpd -f -p 80 -h /www" PortMapping custom \
	PortMappingPorts "$port:80" access private Interlinked db \
	MountPath /www DataMountWrite no MaxMemory 32M MaxCpu 0.5 \
	Env "GREETING=hello world,MODE=test" WebAlias web
# the host's network and a named volume; first by priority
db docker_containers set vol service status enabled Image smetest/busybox:1 \
	Cmd "sleep 1000000" TCPPort '' network host DataMount container \
	MountPath /v InterLinkPriority 1

# A container that is not ours: never touched.
docker run -d --name foreign smetest/busybox:1 >/dev/null
[ "$(db docker_images getprop smetest/busybox Tag)" = 1 ] || fail "image record"

step "first docker-update"
"$inst/docker-validate" --root "$root"
specs
"$inst/docker-apply" --root "$root" --dry-run >"$root/plan"
cat >"$root/plan.expected" <<EOF
create vol (missing), then start
create db (missing), then start
create web (missing), then start
EOF
diff -u "$root/plan.expected" "$root/plan"
[ "$(api '/containers/json?all=1' | jq length)" = 1 ] ||
	fail "--dry-run created something"
event docker-update || { cat "$root/event.log"; fail "docker-update failed"; }
grep -q "create web (missing)" "$root/event.log" || fail "$(cat "$root/event.log")"
grep -q '^other_args="--data-root /home/e-smith/files/docker -H unix:///var/run/docker.sock"$' \
	"$root/etc/sysconfig/docker" || fail "/etc/sysconfig/docker not generated"

step "status view"
"$root/sbin/e-smith/docker-status" --root "$root" >"$root/status"
cat >"$root/status.expected" <<EOF
NAME  WANTED   ACTUAL   UPDATE   IMAGE              PORTS                    MEMORY  URLS
vol   running  running  in sync  smetest/busybox:1  -                        64M     -
db    running  running  in sync  smetest/busybox:1  -                        64M     -
web   running  running  in sync  smetest/busybox:1  127.0.0.1:$port->80/tcp  32M     http://localhost/web/
EOF
diff -u "$root/status.expected" "$root/status"

step "inspect: every property applied"
datadir=$root/home/e-smith/files/docker-data
[ "$(field web .State.Running)" = true ] || fail "web not running"
[ "$(field db .State.Running)" = true ] || fail "db not running"
[ "$(field web .Name)" = /web ] || fail "container not named after its record"
[ "$(field web .HostConfig.Memory)" = $((32 * 1024 * 1024)) ] || fail "web memory"
[ "$(field db .HostConfig.Memory)" = $((64 * 1024 * 1024)) ] ||
	fail "db memory (inherited from docker_images)"
[ "$(field web .HostConfig.NanoCpus)" = 500000000 ] || fail "web MaxCpu"
[ "$(field web .HostConfig.RestartPolicy.Name)" = unless-stopped ] || fail "restart policy"
[ "$(field web '.HostConfig.PortBindings["80/tcp"][0].HostIp')" = 127.0.0.1 ] ||
	fail "access private: not bound to loopback"
[ "$(field web '.HostConfig.PortBindings["80/tcp"][0].HostPort')" = $port ] ||
	fail "PortMappingPorts"
[ "$(field web '.Config.Env | map(select(startswith("GREETING="))) | .[0]')" = "GREETING=hello world" ] ||
	fail "Env"
[ "$(field web '.Config.Labels["org.smeserver.docker.managed"]')" = 1 ] || fail "labels"
[ "$(field web '.NetworkSettings.Networks.smetest.Aliases | index("web") != null')" = true ] ||
	fail "alias on the project network"
[ "$(field web '.Mounts[0].Source')" = "$datadir/web/www" ] || fail "web data dir"
[ "$(field web '.Mounts[0].RW')" = false ] || fail "DataMountWrite no"
[ "$(field db '.Mounts[0].RW')" = true ] || fail "db mount read-write"
[ "$(field vol .HostConfig.NetworkMode)" = host ] || fail "network host"
[ "$(field vol '.Mounts[0].Type')" = volume ] || fail "DataMount container"
[ "$(field vol '.Mounts[0].Name')" = vol_v ] || fail "volume name"
[ "$(field db .HostConfig.PortBindings)" = "{}" ] || [ "$(field db .HostConfig.PortBindings)" = null ] ||
	fail "db publishes ports"
for c in web db; do
	inspect "$c" | jq -r '.Mounts[] | select(.Type == "bind") | .Source' |
		while read -r src; do
			case $src in
			"$root"/*) ;;
			*) fail "$c: host path $src outside the sandbox root" ;;
			esac
		done
done

step "traffic: published port, link by alias, read-only mount"
echo "web page" >"$datadir/web/www/index.html"
echo "db answer" >"$datadir/db/data/hello.txt"
[ "$(curl -sf "http://127.0.0.1:$port/index.html")" = "web page" ] ||
	fail "no answer on the published port"
[ "$(docker exec web wget -qO- http://db:3306/hello.txt)" = "db answer" ] ||
	fail "web cannot reach db by its alias"
if docker exec web touch /www/x 2>/dev/null; then
	fail "read-only mount accepted a write"
fi
docker exec db touch /data/written || fail "read-write mount refused a write"

step "nothing changed: no mutating call, same IDs and start times"
before=$(api '/containers/json?all=1' | jq -r 'sort_by(.Id) | map(.Id) | join(" ")')
started=$(field web .State.StartedAt)$(field db .State.StartedAt)
sleep 1
since=$(date +%s)
event docker-update || fail "second docker-update failed"
[ "$(mutating "$root/event.log")" = 0 ] ||
	fail "no-op docker-update made mutating calls: $(cat "$root/event.log")"
grep -q "engine calls: [0-9]*, mutating: 0" "$root/event.log" || fail "no call count logged"
sleep 1
# the engine's own record: no container or network event since
[ "$(api "/events?since=$since&until=$(date +%s)" | jq -s 'length')" = 0 ] ||
	fail "the engine saw changes: $(api "/events?since=$since&until=$(date +%s)")"
update >"$root/log"
[ "$(mutating)" = 0 ] || fail "no-op apply made $(mutating) mutating calls"
[ ! -s "$root/log" ] || fail "no-op apply did something: $(cat "$root/log")"
after=$(api '/containers/json?all=1' | jq -r 'sort_by(.Id) | map(.Id) | join(" ")')
[ "$before" = "$after" ] || fail "container IDs changed"
[ "$started" = "$(field web .State.StartedAt)$(field db .State.StartedAt)" ] ||
	fail "start times changed"
"$inst/docker-apply" --root "$root" --dry-run >"$root/plan"
[ "$(cat "$root/plan")" = "nothing to do" ] || fail "dry run: $(cat "$root/plan")"

step "one property changed: only web recreated, its data kept"
dbid=$(field db .Id)
webid=$(field web .Id)
db docker_containers setprop web MaxMemory 48M
specs
"$inst/docker-apply" --root "$root" --dry-run >"$root/plan"
[ "$(cat "$root/plan")" = "recreate web (spec changed), then start" ] ||
	fail "plan: $(cat "$root/plan")"
[ "$(field web .Id)" = "$webid" ] || fail "--dry-run changed web"
update >"$root/log"
[ "$(field db .Id)" = "$dbid" ] || fail "db was recreated"
[ "$(field web .Id)" != "$webid" ] || fail "web was not recreated"
[ "$(field web .HostConfig.Memory)" = $((48 * 1024 * 1024)) ] || fail "new memory"
[ "$(curl -sf "http://127.0.0.1:$port/index.html")" = "web page" ] ||
	fail "web data lost in the recreate"
[ "$(docker exec web wget -qO- http://db:3306/hello.txt)" = "db answer" ] ||
	fail "link lost in the recreate"

step "a replacement that cannot start: the old one runs again, the apply fails"
webid=$(field web .Id)
db docker_containers setprop web Cmd "/no/such/program"
if update >"$root/log" 2>"$root/err"; then
	fail "apply succeeded with a bad command"
fi
grep -q "web: the new container failed to start" "$root/stats" ||
	fail "no reason given: $(cat "$root/stats")"
[ "$(field web .Id)" = "$webid" ] || fail "old web replaced"
[ "$(field web .State.Running)" = true ] || fail "old web not running again"
api '/containers/json?all=1' | jq -r '.[].Names[0]' | grep -q sme-new &&
	fail "temporary container left behind"
[ "$(curl -sf "http://127.0.0.1:$port/index.html")" = "web page" ] ||
	fail "old web does not answer"
db docker_containers setprop web Cmd "httpd -f -p 80 -h /www"

step "bad records: the apply fails before any engine call"
db docker_containers setprop web MaxMemory lots
if "$inst/docker-validate" --root "$root" 2>/dev/null; then
	fail "bad record accepted"
fi
if "$inst/docker-apply" --root "$root" --stats >"$root/log" 2>"$root/stats"; then
	fail "docker-apply accepted a bad record"
fi
grep -q "web: MaxMemory 'lots'" "$root/stats" || fail "$(cat "$root/stats")"
grep -q "engine calls" "$root/stats" && fail "engine contacted: $(cat "$root/stats")"
sleep 1
since=$(date +%s)
event docker-update && fail "docker-update succeeded with a bad record"
grep -q "engine calls" "$root/event.log" && fail "engine contacted by the event"
grep -q "web: MaxMemory 'lots'" "$root/event.log" || fail "no reason logged"
sleep 1
[ "$(api "/events?since=$since&until=$(date +%s)" | jq -s 'length')" = 0 ] ||
	fail "the engine saw changes during a failed event"
[ "$(field web .Id)" = "$webid" ] || fail "web touched"
db docker_containers setprop web MaxMemory 48M
update >"$root/log"
[ "$(mutating)" = 0 ] || fail "restoring the record changed something"

step "docker-stop / docker-start"
event docker-stop web || fail "docker-stop failed: $(cat "$root/event.log")"
[ "$(db docker_containers getprop web status)" = disabled ] || fail "status not set"
[ "$(field web .State.Running)" = false ] || fail "web still running"
[ "$(field db .State.Running)" = true ] || fail "docker-stop web stopped db"
"$root/sbin/e-smith/docker-status" --root "$root" >"$root/status"
grep -Eq "^web +stopped +stopped +in sync " "$root/status" || fail "$(cat "$root/status")"
docker stop -t 1 db >/dev/null
event docker-start web || fail "docker-start failed: $(cat "$root/event.log")"
grep -q "start db (not running)" "$root/event.log" || fail "db not started first"
grep -q "start web (not running)" "$root/event.log" || fail "web not started"
[ "$(field web .Id)" = "$webid" ] || fail "start recreated web"
[ "$(field web .State.Running)" = true ] || fail "web not running"
[ "$(field db .State.Running)" = true ] || fail "db not running"

step "the image tag moves: its containers are recreated, data kept"
ESMITH_ROOT=$root sh "$SRCDIR/tests/make-test-image.sh" smetest/busybox:1 >/dev/null
webid=$(field web .Id)
specs
"$inst/docker-apply" --root "$root" --dry-run >"$root/plan"
grep -q "^recreate web (image changed: sha256:" "$root/plan" || fail "plan: $(cat "$root/plan")"
[ "$(grep -c "image changed" "$root/plan")" = 3 ] || fail "plan: $(cat "$root/plan")"
update >"$root/log"
[ "$(field web .Id)" != "$webid" ] || fail "web not recreated for its new image"
[ "$(curl -sf "http://127.0.0.1:$port/index.html")" = "web page" ] ||
	fail "web data lost with the new image"
update >"$root/log"
[ "$(mutating)" = 0 ] || fail "not converged after the image change"

step "record deleted: container gone, data kept"
db docker_containers delete vol
db docker_containers delete web
"$root/sbin/e-smith/docker-status" --root "$root" >"$root/status"
grep -Eq "^web +\(no record\) +running +remove " "$root/status" || fail "$(cat "$root/status")"
update >"$root/log"
grep -q "^remove web (its record is gone)" "$root/log" || fail "$(cat "$root/log")"
api /containers/web/json >/dev/null 2>&1 && fail "web still exists"
[ -f "$datadir/web/www/index.html" ] || fail "web data removed"
api /containers/vol/json >/dev/null 2>&1 && fail "vol still exists"
api /volumes/vol_v >/dev/null || fail "named volume removed"
[ "$(field foreign .State.Running)" = true ] || fail "foreign container touched"
echo "docker-engine: ok"
