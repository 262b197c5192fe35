#!/usr/bin/env bash
# Starts the one NFS-Ganesha server (with rpcbind) that every test run and bench on this machine
# shares: NFSv3/v4 over TCP on 127.0.0.1, NFS port 2049, MOUNT port 20048, exporting
# STATE_DIR/export. Idempotent: when ganesha already serves that export, it changes nothing.
#
#   bash scripts/nfs/start-ganesha.sh [STATE_DIR]     (default: $OSBKIT_NFS_STATE_DIR or /var/lib/osbkit-nfs)
#
# It writes STATE_DIR/server.json, which tests and benches read to find the export (see
# test/support/nfs-server.ts). Each user of the export works in its own subdirectory of it and
# removes only that. Must run as root: ganesha needs it, and the ports are privileged.
set -euo pipefail

STATE_DIR=${1:-${OSBKIT_NFS_STATE_DIR:-/var/lib/osbkit-nfs}}
case "$STATE_DIR" in /*) ;; *) echo "start-ganesha: STATE_DIR must be an absolute path, got '$STATE_DIR'" >&2; exit 1 ;; esac
STATE_DIR=${STATE_DIR%/}
EXPORT_PATH=$STATE_DIR/export
HOST=127.0.0.1
NFS_PORT=2049
MOUNT_PORT=20048
TEMPLATE="$(cd "$(dirname "$0")" && pwd)/ganesha.conf.template"
CONF=$STATE_DIR/ganesha.conf
GANESHA_PID=$STATE_DIR/ganesha.pid
RPCBIND_PID=$STATE_DIR/rpcbind.pid
LOG_DIR=$STATE_DIR/log

fail() { echo "start-ganesha: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (ganesha binds privileged ports)"
for tool in ganesha.nfsd rpcbind rpcinfo showmount; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing; install: apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common"
done
FSAL=$(ls /usr/lib/*/ganesha/libfsalvfs.so /usr/lib/ganesha/libfsalvfs.so /usr/lib64/ganesha/libfsalvfs.so 2>/dev/null | head -n 1 || true)
[ -n "$FSAL" ] || fail "the VFS FSAL (libfsalvfs.so) is missing; install: apt-get install nfs-ganesha-vfs"
PLUGINS_DIR=$(dirname "$FSAL")

# A pid file outlives its process (a machine restart, a killed session) and the pid may since
# belong to something else, so a pid only counts when its command line is the expected program.
alive() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$2"
}
rpcbind_up() { rpcinfo -p "$HOST" >/dev/null 2>&1; }
registered() { rpcinfo -t "$HOST" nfs 3 >/dev/null 2>&1 && rpcinfo -t "$HOST" mountd 3 >/dev/null 2>&1; }
# showmount prints "Export list for 127.0.0.1:" and then one "<path> <clients>" line per export.
exports_ours() { showmount --no-headers -e "$HOST" 2>/dev/null | awk '{print $1}' | grep -qxF "$EXPORT_PATH"; }
write_server_file() {
  local tmp=$STATE_DIR/server.json.tmp
  printf '{"host":"%s","export":"%s","nfsPort":%d,"mountPort":%d,"url":"nfs://%s%s?version=3"}\n' \
    "$HOST" "$EXPORT_PATH" "$NFS_PORT" "$MOUNT_PORT" "$HOST" "$EXPORT_PATH" >"$tmp"
  mv "$tmp" "$STATE_DIR/server.json"
}

mkdir -p "$EXPORT_PATH" "$STATE_DIR/recov" "$LOG_DIR"
rendered=$(sed -e "s|@STATE_DIR@|$STATE_DIR|g" -e "s|@EXPORT_PATH@|$EXPORT_PATH|g" -e "s|@PLUGINS_DIR@|$PLUGINS_DIR|g" "$TEMPLATE")

if rpcbind_up && registered && exports_ours && { [ ! -f "$CONF" ] || [ "$rendered" = "$(cat "$CONF")" ]; }; then
  write_server_file
  echo "start-ganesha: already serving $EXPORT_PATH on $HOST (nfs $NFS_PORT, mount $MOUNT_PORT)"
  exit 0
fi

# Something is off (not running, rpcbind lost its registrations, an older config): start over,
# but only ever stop the ganesha this script started, found by its pid file.
if alive "$GANESHA_PID" ganesha.nfsd; then
  echo "start-ganesha: restarting the ganesha of $STATE_DIR (pid $(cat "$GANESHA_PID"))"
  kill -TERM "$(cat "$GANESHA_PID")"
  for _ in $(seq 1 100); do alive "$GANESHA_PID" ganesha.nfsd || break; sleep 0.1; done
  alive "$GANESHA_PID" ganesha.nfsd && fail "ganesha (pid $(cat "$GANESHA_PID")) did not stop within 10 s"
fi
if (exec 3<>"/dev/tcp/$HOST/$NFS_PORT") 2>/dev/null; then
  fail "port $NFS_PORT on $HOST is taken by a server this script did not start; stop it or serve $EXPORT_PATH from it"
fi

if ! rpcbind_up; then
  # "rpcbind -h" aborts with a double free in Debian 12's rpcbind, so it listens on all
  # addresses; stale socket and lock files from a killed rpcbind make it exit at once.
  rm -f /run/rpcbind.sock /run/rpcbind.lock
  setsid rpcbind -f </dev/null >>"$LOG_DIR/rpcbind.log" 2>&1 &
  echo $! >"$RPCBIND_PID"
  for _ in $(seq 1 100); do rpcbind_up && break; sleep 0.1; done
  rpcbind_up || fail "rpcbind did not come up; see $LOG_DIR/rpcbind.log"
fi

printf '%s\n' "$rendered" >"$CONF"
# ganesha exits with code 2 when it cannot register NFSv3 with rpcbind; -F keeps it in the
# foreground so the pid we record is its own, and setsid detaches it from this shell.
setsid ganesha.nfsd -F -f "$CONF" -L "$LOG_DIR/ganesha.log" -p "$STATE_DIR/ganesha.nfsd.pid" -N NIV_EVENT </dev/null >>"$LOG_DIR/ganesha.stdout" 2>&1 &
echo $! >"$GANESHA_PID"
for _ in $(seq 1 200); do
  alive "$GANESHA_PID" ganesha.nfsd || { tail -n 20 "$LOG_DIR/ganesha.log" >&2 || true; fail "ganesha exited during start; log: $LOG_DIR/ganesha.log"; }
  registered && exports_ours && break
  sleep 0.1
done
registered && exports_ours || fail "ganesha did not register NFSv3 and MOUNTv3 for $EXPORT_PATH within 20 s; log: $LOG_DIR/ganesha.log"
write_server_file
echo "start-ganesha: serving $EXPORT_PATH on $HOST (nfs $NFS_PORT, mount $MOUNT_PORT, pid $(cat "$GANESHA_PID"))"
