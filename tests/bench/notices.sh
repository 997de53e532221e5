#!/usr/bin/env bash
# tests/bench/notices.sh [COUNT] -- notices delivered, against plain libcurl in the same run.
#  1. The limit: tests/bench/raw_webhooks (libcurl multi, 64 transfers at once, kept-alive, each
#     body signed) posts COUNT (default 20,000) bodies of sereg's mean notice size to a local
#     nginx that answers 204.
#  2. sereg: COUNT registrations are committed (pgbench, with the registration's own SQL) while
#     no worker runs; then `sereg deliver` starts, fans the COUNT events out to one subscription
#     and delivers them to the same nginx. Deliveries per second from its start to the last 2xx.
#  3. Latency: `sereg serve` registers at about 500 per second (wrk, a set pause per request)
#     while it delivers; from each event's commit to its 2xx (p50, p99), from the database.
# Not part of the test suite; results go in docs/benchmarks.md.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
cd "$SR_ROOT"
count=${1:-20000}
command -v wrk >/dev/null || { SR_PACKAGES="wrk" sr_install_deps; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { SR_PACKAGES="nginx-light" sr_install_deps; }
sr_install_deps
sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF -DSR_BENCH=ON
work=$(mktemp -d /tmp/sereg-bench-notices.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sr_pg_stop "$work/pg"
  rm -rf "$work"
}
# SEREG_BENCH_STOP_AFTER_COMMIT=1 leaves the cluster running with the events committed, to study.
[ -n "${SEREG_BENCH_STOP_AFTER_COMMIT:-}" ] || trap cleanup EXIT

# The receiver: nginx answering 204 to everything, keeping connections for as long as asked.
rport=18091
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_buffer_size 64k;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $work/body;
  server { listen 127.0.0.1:$rport; location / { return 204; } }
}
NGINX
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$work" -c "$work/nginx.conf"
url=http://127.0.0.1:$rport/hooks/sereg

base=$(sr_pg_start "$work/pg" 54347 "-c max_connections=100")  # default durability: fsync on
psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" -c "CREATE DATABASE bench OWNER sereg_app"
export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=bench"
export PGOPTIONS="-c jit=off"
export SEREG_WEBHOOK_ALLOW=127.0.0.0/8 SEREG_SECRET_KEY_FILE=$work/secret.key
(umask 077 && head -c 32 /dev/urandom | base64 > "$work/secret.key")
./build-bench/sereg migrate >/dev/null
./build-bench/sereg demo >/dev/null
psql "$DATABASE_URL" -qc "CREATE SEQUENCE bench_codes START 8000000000"
tok=$(./build-bench/sereg token create --role city_supervisor | tail -1)
hash=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
q() { psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; $1" | tail -1; }
unit=$(q "SELECT credit_code FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1")
unit_id=$(q "SELECT id FROM organization WHERE credit_code = '$unit'")
maint=$(q "SELECT credit_code FROM organization WHERE kind = 'maintenance_unit' ORDER BY id LIMIT 1")

# The demo's own events are fanned out (to nobody) before the subscription exists.
./build-bench/sereg deliver 2>"$work/deliver0.log" &
pids+=($!)
for _ in $(seq 100); do [ "$(q "SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL")" = 0 ] && break; sleep 0.1; done
kill "${pids[-1]}" 2>/dev/null || { echo "sereg deliver died:" >&2; cat "$work/deliver0.log" >&2; exit 1; }
wait "${pids[-1]}" 2>/dev/null || true

sport=18090
./build-bench/sereg serve --listen 127.0.0.1:$sport --threads 4 --sweep-every 0 --deliver off 2>"$work/serve.log" &
pids+=($!)
srv=${pids[-1]}
for _ in $(seq 50); do curl -sf http://127.0.0.1:$sport/healthz >/dev/null && break; sleep 0.1; done
sub=$(curl -sf -X POST -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  -d "{\"url\":\"$url\",\"event_types\":[\"equipment.*\"],\"description\":\"压测接收方\"}" \
  http://127.0.0.1:$sport/api/v1/subscriptions | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

echo "== committing $count registrations (pgbench, the registration's SQL, 8 clients), no worker running"
(cd "$work" && pgbench "$DATABASE_URL" -n -M prepared -c 8 -j 2 -t $((count / 8)) -f "$SR_ROOT/tests/bench/register.sql" \
  -D hash="'$hash'" -D unit="'$unit'" -D unit_id="$unit_id" >"$work/pgbench.out" 2>&1) ||
  { cat "$work/pgbench.out" >&2; exit 1; }
grep -E '^tps|latency average' "$work/pgbench.out"
events=$(q "SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL")
echo "events waiting: $events"
# The size of what sereg will send: its standard body of one of these events.
bytes=$(q "SELECT round(avg(octet_length(sereg_notice_body(o)::text))) FROM (SELECT * FROM outbox WHERE fanned_out_at IS NULL LIMIT 200) o")
psql "$base dbname=bench" -qc "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
if [ -n "${SEREG_BENCH_STOP_AFTER_COMMIT:-}" ]; then
  kill "$srv"; echo "kept: $work (DATABASE_URL='$DATABASE_URL')"; exit 0
fi

echo "== the limit: raw libcurl multi, $events signed posts of $bytes bytes, 64 at once"
raw=$(./build-bench/raw_webhooks "$events" "$url" "$bytes" 64)
echo "$raw"
raw_rate=$(printf '%s\n' "$raw" | sed -n 's/.*: \([0-9.]*\) deliveries\/s.*/\1/p' | cut -d. -f1)

echo "== sereg deliver: fan-out and delivery of the $events events to one subscription"
t0=$(date +%s%N)
./build-bench/sereg deliver 2>"$work/deliver.log" &
pids+=($!)
dlv=${pids[-1]}
while :; do
  left=$(q "SELECT (SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL) + (SELECT count(*) FROM delivery WHERE status = 'pending')")
  [ "$left" = 0 ] && break
  kill -0 "$dlv" 2>/dev/null || { echo "sereg deliver died:" >&2; tail -20 "$work/deliver.log" >&2; exit 1; }
  sleep 0.05
done
t1=$(date +%s%N)
delivered=$(q "SELECT count(*) FROM delivery WHERE subscription_id = $sub AND status = 'delivered'")
failed=$(q "SELECT count(*) FROM delivery WHERE subscription_id = $sub AND status <> 'delivered'")
[ "$delivered" -ge "$events" ] && [ "$failed" = 0 ] || { echo "delivered $delivered of $events, $failed not" >&2; exit 1; }
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
rate=$(awk -v n="$delivered" -v s="$secs" 'BEGIN {printf "%d", n / s}')
echo "sereg: $delivered delivered in $secs s: $rate/s; raw libcurl $raw_rate/s; ratio $(awk -v a="$rate" -v b="$raw_rate" 'BEGIN {printf "%.2f", a / b}')"
kill "$dlv"; wait "$dlv" 2>/dev/null || true

echo "== latency from commit to 2xx while registering at about 500/s over HTTP (20 s)"
kill "$srv"; wait "$srv" 2>/dev/null || true
# Commits without waiting for the disk in this phase: what is measured is the worker's latency,
# and this machine's flushes alone can hold registrations under 500/s (pgbench above).
PGOPTIONS="-c jit=off -c synchronous_commit=off" \
  ./build-bench/sereg serve --listen 127.0.0.1:$sport --threads 4 --sweep-every 0 2>"$work/serve2.log" &
pids+=($!)
for _ in $(seq 50); do curl -sf http://127.0.0.1:$sport/healthz >/dev/null && break; sleep 0.1; done
mark=$(q "SELECT coalesce(max(id), 0) FROM outbox")
# 16 connections, each pausing 30 ms before its next request: at most 533 per second.
out=$(SEREG_DELAY_MS=30 SEREG_BASE=600000000 SEREG_TOKEN=$tok SEREG_UNIT=$unit SEREG_MAINT=$maint \
  wrk -t2 -c16 -d20s -s tests/bench/register.lua http://127.0.0.1:$sport)
sleep 3
reqs=$(printf '%s\n' "$out" | awk '/^requests/ {print $2}')
wsecs=$(printf '%s\n' "$out" | awk '/^seconds/ {print $2}')
errs=$(printf '%s\n' "$out" | awk '/^errors/ {print $2}')
psql "$DATABASE_URL" -qtA -F ' ' -c "SET sereg.role = 'system'" -c "
  SELECT count(*), round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1),
         round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY x)::numeric, 1),
         round(1000 * max(x)::numeric, 1)
    FROM (SELECT extract(epoch FROM d.delivered_at - o.created_at) AS x
            FROM delivery d JOIN outbox o ON o.id = d.outbox_id
           WHERE o.id > $mark AND d.subscription_id = $sub AND d.status = 'delivered') t" | tail -1 > "$work/lat"
read -r n p50 p99 pmax < "$work/lat"
echo "registrations: $reqs in $wsecs s ($(awk -v n="$reqs" -v s="$wsecs" 'BEGIN {printf "%d", n / s}')/s), $errs errors"
echo "commit to 2xx over $n deliveries: p50 $p50 ms, p99 $p99 ms, max $pmax ms"
