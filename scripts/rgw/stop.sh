#!/usr/bin/env bash
# Stop the test cluster started by scripts/rgw/start.sh [DIR] and remove DIR.
#
#   scripts/rgw/stop.sh [DIR]      (DIR defaults to /tmp/registrar-rgw)
#
# Stops only the daemons start.sh recorded in DIR/run/*.pid (plus, as a
# fallback for a half-finished start, processes whose command line names this
# DIR's ceph.conf), waits for them to exit (TERM, then KILL after 10 s), and
# removes DIR. Works when start.sh failed halfway or never ran.
set -uo pipefail

DIR="${1:-${REGISTRAR_RGW_DIR:-/tmp/registrar-rgw}}"
case "$DIR" in
  /*) ;;
  *) DIR="$(pwd)/$DIR" ;;
esac
DIR="${DIR%/}"
log() { printf 'rgw: %s\n' "$*" >&2; }
if [ -z "$DIR" ] || [ "$DIR" = "/" ]; then log "refusing to use '$DIR'"; exit 2; fi
if [ ! -e "$DIR" ]; then log "nothing to stop: $DIR does not exist"; exit 0; fi
if [ ! -f "$DIR/.registrar-rgw" ]; then
  log "refusing: $DIR was not made by start.sh (no .registrar-rgw marker)"; exit 2
fi
CONF="$DIR/ceph.conf"

pids=()
# radosgw first (a client of the OSD), then the OSD, then the monitor.
for name in client.rgw.a osd.0 mon.a; do
  pf="$DIR/run/$name.pid"
  [ -s "$pf" ] || continue
  pid=$(cat "$pf")
  # Only signal it if it is still the process we started (pid reuse).
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF"; then
    pids+=("$pid")
  fi
done
# Fallback: e.g. an mkfs or radosgw-admin that was running when start.sh died.
for p in /proc/[0-9]*; do
  pid="${p#/proc/}"
  [ "$pid" = "$$" ] && continue
  cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
  case " $cmd " in
    *" -c $CONF "*)
      case " ${pids[*]:-} " in *" $pid "*) ;; *) pids+=("$pid") ;; esac ;;
  esac
done

alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# One at a time, in the order above: each daemon says goodbye to the ones
# after it (the OSD tells the mon it is going down and waits up to 5 s for an
# answer; radosgw drops its watches on the OSD), so stopping them all at once
# makes the stop take ~5 s instead of well under a second.
for pid in "${pids[@]}"; do
  t0=$(now_ms)
  what=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60)
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid"; do
    if [ $(( $(now_ms) - t0 )) -ge 10000 ]; then
      log "pid $pid did not exit within 10 s of TERM; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      n=0
      while alive "$pid" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
      alive "$pid" && log "warning: pid $pid still alive after KILL"
      break
    fi
    sleep 0.05
  done
  log "stopped pid $pid (${what% }) in $(( $(now_ms) - t0 )) ms"
done

rm -rf -- "$DIR"
log "stopped and removed $DIR"
