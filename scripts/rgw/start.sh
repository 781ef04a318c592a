#!/usr/bin/env bash
# Start a throw-away single-node Ceph cluster with a radosgw S3 endpoint, for tests.
#
#   scripts/rgw/start.sh [DIR]      (DIR defaults to /tmp/registrar-rgw)
#
# Everything (config, keyrings, mon store, OSD dir, logs, pid files, admin
# sockets) lives under DIR; every daemon listens on 127.0.0.1 only. On success
# DIR/env holds the REGISTRAR_S3_* variables (also printed to stdout). Safe to
# run again: if the cluster in DIR is already up it just prints DIR/env; if DIR
# holds a dead/half-started cluster it is torn down (stop.sh) and started anew.
# Stop with scripts/rgw/stop.sh [DIR].
#
# Needs root on a fresh machine (installs Debian packages radosgw, ceph-mon,
# ceph-osd: ~260 MiB installed). Works without stdin (CI).
set -euo pipefail

DIR="${1:-${REGISTRAR_RGW_DIR:-/tmp/registrar-rgw}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WAIT_SECS="${REGISTRAR_RGW_WAIT_SECS:-90}"
ACCESS_KEY="REGISTRARTEST"
SECRET_KEY="registrar-test-secret-key"
# radosgw does not check the region in the SigV4 credential scope (it signs
# with whatever region the client used), but CreateBucket compares a
# LocationConstraint with the zonegroup's api_name ("default"). The SDK sends
# no LocationConstraint only for us-east-1, so that is the region to use.
REGION="us-east-1"
MEMSTORE_BYTES="${REGISTRAR_RGW_MEMSTORE_BYTES:-2147483648}" # 2 GiB

T0=$(date +%s.%N)
log() { printf 'rgw: %s\n' "$*" >&2; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

case "$DIR" in
  /*) ;;
  *) DIR="$(pwd)/$DIR" ;;
esac
DIR="${DIR%/}"
if [ -z "$DIR" ] || [ "$DIR" = "/" ]; then
  log "refusing to use '$DIR' as the cluster directory"; exit 2
fi
# Unix admin sockets live under DIR/run; sun_path is limited to 107 bytes.
if [ "${#DIR}" -gt 70 ]; then
  log "DIR path too long for admin sockets (${#DIR} > 70 chars): $DIR"; exit 2
fi
CONF="$DIR/ceph.conf"
MARKER="$DIR/.registrar-rgw"

# ---------------------------------------------------------------- packages
need_install=()
for pair in ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw radosgw-admin:radosgw \
            ceph:ceph-common monmaptool:ceph-base ceph-authtool:ceph-common; do
  bin="${pair%%:*}"; pkg="${pair#*:}"
  if [ ! -x "/usr/bin/$bin" ]; then
    case " ${need_install[*]:-} " in *" $pkg "*) ;; *) need_install+=("$pkg") ;; esac
  fi
done
if [ "${#need_install[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${need_install[*]} and not root: install radosgw ceph-mon ceph-osd"; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  pkgs=(radosgw ceph-mon ceph-osd ceph-common ceph-base)
  log "installing ${pkgs[*]} (missing: ${need_install[*]})"
  # Only refresh the package lists when apt cannot see the package yet.
  if ! apt-cache show radosgw >/dev/null 2>&1 || [ -z "$(apt-cache policy radosgw 2>/dev/null | awk '/Candidate:/ && $2 != "(none)"')" ]; then
    apt-get update -q >&2
  fi
  # --no-install-recommends: recommends pull in ceph-mgr, ceph-mds, python
  # stacks etc. that this cluster does not need. Package postinst scripts do
  # not start any daemon (no systemd here / policy-rc.d), and we never use
  # the systemd units anyway.
  apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
  log "packages installed in $(elapsed) s"
  # The start time and the wait budget below count from here, not from before
  # the install.
  T0=$(date +%s.%N)
fi
# The `ceph` CLI is a Python script with `#!/usr/bin/python3`, which needs the
# Debian python3-rados module; calling it through a pyenv/venv `python3` fails.
CEPH=(timeout 20 /usr/bin/ceph -c "$CONF" --connect-timeout 15)

# ---------------------------------------------------------------- helpers
# Is TCP port $1 in LISTEN state on any address? (/proc works without ss/netstat)
port_listening() {
  local hex; hex=$(printf '%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }'
}
pick_port() { # first free port in [$1, $2]
  local p
  for ((p = $1; p <= $2; p++)); do
    if ! port_listening "$p"; then echo "$p"; return 0; fi
  done
  return 1
}
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
http_get() { # unsigned GET / against the endpoint; prints the body
  if command -v curl >/dev/null 2>&1; then
    curl -sS -m 3 "http://127.0.0.1:$1/" 2>/dev/null
  else
    timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"'; printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3; cat <&3' 2>/dev/null
  fi
}
s3_answers() { http_get "$1" | grep -q 'ListAllMyBucketsResult\|<Error>'; }
dump_logs() {
  log "---- daemon logs (tail) from $DIR/log ----"
  local f
  for f in "$DIR"/log/*; do
    [ -s "$f" ] || continue
    printf '==== %s ====\n' "$f" >&2
    tail -n 40 "$f" >&2 || true
  done
}
fail() {
  log "FAILED after $(elapsed) s: $*"
  dump_logs
  # Leave nothing running behind a failed start (set REGISTRAR_RGW_KEEP_ON_FAILURE=1
  # to keep the daemons and DIR for a post-mortem; then run stop.sh yourself).
  if [ "${REGISTRAR_RGW_KEEP_ON_FAILURE:-0}" != 1 ] && [ -f "$MARKER" ]; then
    "$HERE/stop.sh" "$DIR" >&2 || true
  fi
  exit 1
}
# Poll a command until it succeeds or WAIT_SECS (counted from script start) pass.
wait_for() { # wait_for DESCRIPTION CMD...
  local what="$1"; shift
  local deadline; deadline=$(awk -v a="$T0" -v w="$WAIT_SECS" 'BEGIN { printf "%d", a + w }')
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then fail "timed out waiting for $what"; fi
    for pf in "$DIR"/run/*.pid; do
      [ -e "$pf" ] || continue
      pid_alive "$pf" || fail "daemon $(basename "$pf" .pid) exited while waiting for $what"
    done
    sleep 0.25
  done
}

# ---------------------------------------------------------------- already up?
if [ -f "$MARKER" ] && [ -s "$DIR/env" ]; then
  all_up=1
  for d in mon.a osd.0 client.rgw.a; do pid_alive "$DIR/run/$d.pid" || all_up=0; done
  port=$(sed -n 's#^REGISTRAR_S3_ENDPOINT=http://127.0.0.1:##p' "$DIR/env")
  if [ "$all_up" = 1 ] && [ -n "$port" ] && s3_answers "$port"; then
    log "already running in $DIR"
    cat "$DIR/env"
    exit 0
  fi
fi
if [ -e "$DIR" ]; then
  if [ -f "$MARKER" ]; then
    log "tearing down stale cluster in $DIR"
    "$HERE/stop.sh" "$DIR" >&2
  elif [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    log "refusing: $DIR exists, is not empty and was not made by start.sh"; exit 2
  fi
fi

mkdir -p "$DIR"/{mon/a,osd/0,rgw/a,log,run,crash,tmp}
: >"$MARKER"
# Any unexpected error (set -e) goes through fail too: logs, then cleanup.
trap 'fail "command failed at line $LINENO"' ERR

MON_PORT=$(pick_port 3300 3399) || fail "no free monitor port in 3300-3399"
RGW_PORT=$(pick_port 7480 7599) || fail "no free radosgw port in 7480-7599"
FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)

# ---------------------------------------------------------------- ceph.conf
cat >"$CONF" <<EOF
# Generated by scripts/rgw/start.sh: single-node throw-away test cluster.
[global]
fsid = $FSID
mon initial members = a
mon host = [v2:127.0.0.1:$MON_PORT]
# Bind to loopback only, msgr2 only (msgr1 would open a second port per
# daemon), IPv4 only.
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind msgr1 = false
ms bind msgr2 = true
ms bind ipv6 = false
ms bind ipv4 = true

# No cephx: nothing here is secret, and it saves keyring plumbing.
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
# TRAP: msgr2's "secure" mode needs a cephx session key, and the mon
# connection modes default to "secure crc". With auth = none and the defaults,
# the mon and OSD still came up here, but radosgw hung for ever in
# AUTH_CONNECTING to the mon (start timed out). Force plain crc everywhere.
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc

# Keep every file under DIR (the defaults point at /var/lib/ceph, /var/run/ceph
# and /var/log/ceph, which would leak between runs and need those dirs).
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
log to stderr = false
err to stderr = true
crash dir = $DIR/crash
tmp dir = $DIR/tmp
mon cluster log file = $DIR/log/cluster.log
mon data = $DIR/mon/\$id
osd data = $DIR/osd/\$id

# One OSD: replicas must be 1 ("mon allow pool size one" lifts the ban on
# size-1 pools), CRUSH must place replicas across OSDs, not hosts, and the
# pool autoscaler (a ceph-mgr module; we run no mgr) stays off. 8 PGs per pool
# keeps the ~7 pools radosgw creates far below mon max pg per osd (250).
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
# The mon shuts itself down when its data dir's filesystem has < 5 % free
# (default mon data avail crit); CI disks can be that full.
mon data avail crit = 1
mon data avail warn = 2
# Every osdmap change (OSD boot, each pool radosgw creates, each "pool
# application enable") is a Paxos proposal, which the mon batches for
# paxos propose interval (default 1 s). radosgw's first start makes ~10 such
# changes and the first CreateBucket 2-4 more: with the default, start takes
# ~13 s and the first CreateBucket ~2 s. A short interval removes that wait.
paxos propose interval = 0.05
paxos min wait = 0.01

[osd]
# memstore keeps all objects in RAM (no disk, no block device). The device
# size below is only the capacity the OSD reports; RAM is used as objects are
# written, and measured here the OSD's RSS grows by ~2 bytes per byte stored
# (1 GiB of 4 MiB objects -> 2.1 GiB RSS). Near the limit (~95 %, "full osd")
# Ceph pauses writes: PUTs then hang rather than fail, so keep test data far
# below it and give clients a request timeout. Override the size with
# REGISTRAR_RGW_MEMSTORE_BYTES.
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
# Hostname-based CRUSH location on start is fine with chooseleaf type 0.
osd crush update on start = true
# Pick OSD ports from a range well below radosgw's.
ms bind port min = 6800
ms bind port max = 7300

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw/\$cluster-\$id
rgw thread pool size = 64
# The lifecycle thread sleeps in 5 s steps and makes radosgw take ~3 s to
# exit on SIGTERM. Lifecycle rules are still stored and returned; they are
# just never applied (expiry would take a day anyway).
rgw enable lc threads = false
# Path-style only (no rgw dns name): clients must use forcePathStyle.
EOF

# No ceph-mgr is run (it is not even installed: --no-install-recommends).
# radosgw does not need it. Side effects: `ceph -s` shows "0 pools, 0 pgs"
# (PG stats go through the mgr) and mgr-backed commands such as `ceph osd df`
# or `ceph pg stat` hang; mon commands (`ceph osd dump`, `ceph osd pool ls
# detail`, `ceph health`) work.

# ---------------------------------------------------------------- monitor
# With auth none the keyring's keys are never checked, but ceph-mon --mkfs and
# the tools still expect a keyring file to exist.
ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$DIR/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
  --cap mgr 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" \
  >"$DIR/log/mon.a.mkfs.out" 2>&1 || fail "ceph-mon --mkfs"

# Daemons run in the foreground (-f) in their own session, started by us, so
# the pid file is ours and exists from the first instant (stop.sh relies on it
# even when start fails halfway).
start_daemon() { # start_daemon NAME CMD...
  local name="$1"; shift
  setsid "$@" -f </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}
start_daemon mon.a ceph-mon -c "$CONF" -i a
wait_for "monitor quorum" bash -c '"$@" quorum_status >/dev/null 2>&1' _ "${CEPH[@]}"
log "monitor up on 127.0.0.1:$MON_PORT after $(elapsed) s"

# ---------------------------------------------------------------- OSD
OSD_ID=$("${CEPH[@]}" osd new "$OSD_UUID") || fail "ceph osd new"
[ "$OSD_ID" = 0 ] || fail "unexpected OSD id '$OSD_ID'"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd.0.mkfs.out" 2>&1 ||
  fail "ceph-osd --mkfs"
start_daemon osd.0 ceph-osd -c "$CONF" -i 0
osd_up() { "${CEPH[@]}" osd dump 2>/dev/null | grep -q '^osd\.0 up .* in '; }
wait_for "osd.0 up" osd_up
log "osd.0 up after $(elapsed) s"

# ---------------------------------------------------------------- radosgw
# On first start radosgw creates the default realm/zonegroup/zone and its
# pools (.rgw.root, default.rgw.*) with the pool defaults above.
start_daemon client.rgw.a radosgw -c "$CONF" -n client.rgw.a
wait_for "radosgw on 127.0.0.1:$RGW_PORT" s3_answers "$RGW_PORT"
log "radosgw answers on 127.0.0.1:$RGW_PORT after $(elapsed) s"

timeout 60 radosgw-admin -c "$CONF" user create --uid=registrar --display-name="Registrar tests" \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$DIR/log/user-create.out" 2>&1 ||
  fail "radosgw-admin user create"

cat >"$DIR/env.tmp" <<EOF
REGISTRAR_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
REGISTRAR_S3_ACCESS_KEY_ID=$ACCESS_KEY
REGISTRAR_S3_SECRET_ACCESS_KEY=$SECRET_KEY
REGISTRAR_S3_REGION=$REGION
EOF
mv "$DIR/env.tmp" "$DIR/env"
T=$(elapsed)
echo "$T" >"$DIR/start-seconds"
log "cluster started in $T s (dir $DIR)"
cat "$DIR/env"
