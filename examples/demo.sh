#!/usr/bin/env bash
# npm run demo: the whole flow on one machine with the local volume broker.
# It uses the platform at $OSBKIT_API (default http://127.0.0.1:9000, started by `npm start`);
# when none answers there, it starts one in a temporary home and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
OSBKIT="node bin/osbkit"
export OSBKIT_API=${OSBKIT_API:-http://127.0.0.1:9000}
started_here=""
work=$(mktemp -d /tmp/osbkit-demo-XXXXXX)
chmod 755 "$work"

cleanup() {
  set +e
  $OSBKIT delete demo-app >/dev/null 2>&1
  $OSBKIT delete demo-reader >/dev/null 2>&1
  $OSBKIT delete-service demo-volume >/dev/null 2>&1
  if [ -n "$started_here" ]; then kill -INT "$started_here" 2>/dev/null; wait "$started_here" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if ! curl -fsS "$OSBKIT_API/v3" >/dev/null 2>&1; then
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  export OSBKIT_API="http://127.0.0.1:$port"
  export OSBKIT_HOME="$work/home"
  say "No platform at the default address; starting one ($OSBKIT_HOME, port $port)"
  $OSBKIT up --port "$port" > "$work/up.log" 2>&1 &
  started_here=$!
  for _ in $(seq 1 120); do curl -fsS "$OSBKIT_API/v3" >/dev/null 2>&1 && grep -q "osbkit is up" "$work/up.log" && break; sleep 0.5; done
  grep -q "osbkit is up" "$work/up.log" || { cat "$work/up.log"; exit 1; }
fi
home=${OSBKIT_HOME:-$HOME/.osbkit}

say "0. Log in as the admin osbkit up created"
$OSBKIT login -u admin --password-file "$home/admin-password" -s dev

say "1. The local broker is registered; create a service instance"
$OSBKIT service-brokers
$OSBKIT marketplace
$OSBKIT create-service local-volume free demo-volume
$OSBKIT service demo-volume

say "2. Push a small app and bind the volume at /data"
mkdir -p "$work/app" && chmod 755 "$work/app"
cat > "$work/app/app.sh" <<'APP'
#!/bin/sh
echo "instance $CF_INSTANCE_INDEX of $(echo "$VCAP_APPLICATION" | sed 's/.*"application_name":"\([^"]*\)".*/\1/') is up"
echo "written by the app at $(date -u +%FT%TZ)" > /data/hello.txt && echo "wrote /data/hello.txt"
exec sleep 3600
APP
chmod 755 "$work/app/app.sh"
$OSBKIT push demo-app --command "sh app.sh" --path "$work/app" --no-start
$OSBKIT bind-service demo-app demo-volume -c '{"mount":"/data"}'

say "3. Start the app: it writes a file into its volume"
$OSBKIT start demo-app
for _ in $(seq 1 40); do $OSBKIT logs demo-app --recent | grep -q "wrote /data/hello.txt" && break; sleep 0.5; done
$OSBKIT logs demo-app --recent
guid=$($OSBKIT --json service demo-volume | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).guid))')
echo "The file in the broker's directory:"
ls -l "$home"/volumes/local/*"$guid"*/
cat "$home"/volumes/local/*"$guid"*/hello.txt

say "4. A read-only binding refuses writes"
mkdir -p "$work/reader" && chmod 755 "$work/reader"
cat > "$work/reader/reader.sh" <<'APP'
#!/bin/sh
cat /data/hello.txt
if echo nope > /data/other.txt 2>/dev/null; then echo "UNEXPECTED: write succeeded"; else echo "write refused: read-only volume"; fi
exec sleep 3600
APP
chmod 755 "$work/reader/reader.sh"
$OSBKIT push demo-reader --command "sh reader.sh" --path "$work/reader" --no-start
$OSBKIT bind-service demo-reader demo-volume -c '{"mount":"/data","readonly":true}'
$OSBKIT start demo-reader
for _ in $(seq 1 40); do $OSBKIT logs demo-reader --recent | grep -q "write refused\|UNEXPECTED" && break; sleep 0.5; done
$OSBKIT logs demo-reader --recent | grep -v CELL

say "5. Unbind, restart: the volume is unmounted; delete the service: the directory is gone"
$OSBKIT unbind-service demo-reader demo-volume
$OSBKIT unbind-service demo-app demo-volume
$OSBKIT restart demo-app
for _ in $(seq 1 40); do $OSBKIT logs demo-app --recent | grep -q "/data/hello.txt: Directory nonexistent" && break; sleep 0.5; done
$OSBKIT logs demo-app --recent | grep "/data/hello.txt: Directory nonexistent" | tail -1
echo "After the restart the app has no /data: the volume is unmounted."
$OSBKIT env demo-app | grep -q '"local-volume"' && { echo "UNEXPECTED: binding still in VCAP_SERVICES"; exit 1; } || echo "VCAP_SERVICES no longer lists the volume"
$OSBKIT delete demo-reader
$OSBKIT delete demo-app
$OSBKIT delete-service demo-volume
if ls -d "$home"/volumes/local/*"$guid"* >/dev/null 2>&1; then echo "UNEXPECTED: the directory is still there"; exit 1; fi
echo "The instance's directory is gone."
say "Done"
