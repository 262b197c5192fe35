#!/usr/bin/env bash
# Makes sure every service and system tool the full test suite needs is installed and running.
# As root it installs missing Debian packages with apt; otherwise it only reports what is missing.
# Any missing piece is a hard failure: integration tests are never skipped silently.
set -euo pipefail

# What `osbkit up` itself needs (the cell's tools), exactly as `npm start` installs it.
bash "$(dirname "$0")/ensure-tools.sh"

APT_PACKAGES=(mariadb-server mariadb-client util-linux nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common libnfs-utils)
missing=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v ganesha.nfsd >/dev/null 2>&1 || missing+=(nfs-ganesha)
ls /usr/lib/*/ganesha/libfsalvfs.so >/dev/null 2>&1 || missing+=(nfs-ganesha-vfs)
command -v rpcbind >/dev/null 2>&1 || [ -x /usr/sbin/rpcbind ] || missing+=(rpcbind)
command -v showmount >/dev/null 2>&1 || [ -x /usr/sbin/showmount ] || missing+=(nfs-common)
command -v nfs-cp >/dev/null 2>&1 || missing+=(libnfs-utils)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-services: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "ensure-services: missing ${missing[*]} and not root; install: apt-get install ${APT_PACKAGES[*]}" >&2
    exit 1
  fi
fi

MYSQL_HOST=${OSBKIT_TEST_MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${OSBKIT_TEST_MYSQL_PORT:-3306}
mysql_ping() { mysqladmin --protocol=tcp -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot ping >/dev/null 2>&1; }
if ! mysql_ping; then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure-services: starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:root /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  fi
  for _ in $(seq 1 100); do mysql_ping && break; sleep 0.2; done
  mysql_ping || { echo "ensure-services: MariaDB is not reachable at $MYSQL_HOST:$MYSQL_PORT" >&2; exit 1; }
fi
echo "ensure-services: nft $(command -v nft || echo /usr/sbin/nft), MariaDB at $MYSQL_HOST:$MYSQL_PORT"

# PostgreSQL, for examples/postgres-broker's tests (user postgres, trust, on 127.0.0.1:5432).
PG_HOST=${OSBKIT_TEST_PG_HOST:-127.0.0.1}
PG_PORT=${OSBKIT_TEST_PG_PORT:-5432}
pg_ping() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; }
if ! pg_ping; then
  if [ "$(id -u)" = 0 ]; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
      echo "ensure-services: installing postgresql"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    for version in $(ls /etc/postgresql 2>/dev/null); do
      echo "ensure-services: starting PostgreSQL $version"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  for _ in $(seq 1 100); do pg_ping && break; sleep 0.2; done
  pg_ping || { echo "ensure-services: PostgreSQL is not reachable at $PG_HOST:$PG_PORT" >&2; exit 1; }
fi
echo "ensure-services: PostgreSQL at $PG_HOST:$PG_PORT"

# One shared NFS-Ganesha (NFSv3 on 127.0.0.1:2049, MOUNT 20048) for every run; the script is
# idempotent and writes the export's whereabouts to $OSBKIT_NFS_STATE_DIR/server.json.
NFS_STATE_DIR=${OSBKIT_NFS_STATE_DIR:-/var/lib/osbkit-nfs}
if [ "$(id -u)" = 0 ]; then
  PATH="$PATH:/usr/sbin:/sbin" bash "$(dirname "$0")/nfs/start-ganesha.sh" "$NFS_STATE_DIR"
elif ! [ -f "$NFS_STATE_DIR/server.json" ] || ! /usr/sbin/rpcinfo -t 127.0.0.1 nfs 3 >/dev/null 2>&1; then
  echo "ensure-services: NFS-Ganesha is not serving; as root run: bash scripts/nfs/start-ganesha.sh $NFS_STATE_DIR" >&2
  exit 1
fi
