#!/usr/bin/env bash
# tests/bench/run.sh -- registrations over HTTP (wrk, 32 connections) against pgbench running the
# same SQL transaction on the same database in the same run, plus idle resident memory.
# Prints each figure next to the machine's limit and the ratio. Not part of the test suite.
#   usage: tests/bench/run.sh [SECONDS]   (default 20 per measurement)
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
cd "$SR_ROOT"
secs=${1:-20}
command -v wrk >/dev/null || { SR_PACKAGES="wrk" sr_install_deps; }
sr_install_deps
sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF
pg=$(mktemp -d /tmp/sereg-bench-pg.XXXXXX)
srv=""
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null || true; sr_pg_stop "$pg"; rm -rf "$pg"; }
trap cleanup EXIT
base=$(sr_pg_start "$pg" 54340 "-c max_connections=200")  # default durability: fsync on
psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" -c "CREATE DATABASE bench OWNER sereg_app"
export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=bench"
# Every session without JIT, as sereg runs its own: the limit and sereg measured alike.
export PGOPTIONS="-c jit=off"
./build-bench/sereg migrate >/dev/null
./build-bench/sereg demo >/dev/null
psql "$DATABASE_URL" -qc "CREATE SEQUENCE bench_codes START 9000000000"
tok=$(./build-bench/sereg token create --role city_supervisor | tail -1)
hash=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
unit=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1")
unit_id=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT id FROM organization WHERE credit_code = '$unit'")
maint=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'maintenance_unit' ORDER BY id LIMIT 1")

port=18080
threads=${SEREG_BENCH_THREADS:-8}
./build-bench/sereg serve --listen 127.0.0.1:$port --threads "$threads" --sweep-every 0 2>/dev/null &  # measure registrations alone
srv=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$srv/status)

echo "== warm-up"
SEREG_TOKEN=$tok SEREG_UNIT=$unit SEREG_MAINT=$maint wrk -t2 -c32 -d3s -s tests/bench/register.lua \
  http://127.0.0.1:$port >/dev/null
pgbench "$DATABASE_URL" -n -M prepared -c 32 -j 2 -T 3 -f tests/bench/register.sql \
  -D hash="'$hash'" -D unit="'$unit'" -D unit_id="$unit_id" >/dev/null 2>&1 || true

echo "== pgbench: the registration transaction, 32 clients, ${secs}s"
pgb=$(cd "$pg" && pgbench "$DATABASE_URL" -n -M prepared -c 32 -j 2 -T "$secs" -f "$SR_ROOT/tests/bench/register.sql" \
  -D hash="'$hash'" -D unit="'$unit'" -D unit_id="$unit_id" -l --log-prefix=pgb 2>&1) || pgb="$pgb
aborted: pgbench exited with $?"
# A transaction pgbench could not run would be left out of its rate: none may fail.
if printf '%s\n' "$pgb" | grep -Eq 'aborted|number of failed transactions: [1-9]'; then
  printf '%s\n' "$pgb" >&2
  echo "pgbench: the script failed; keep it in step with the code" >&2
  exit 1
fi
pg_tps=$(printf '%s\n' "$pgb" | awk '/^tps/ {print int($3); exit}')
pg_lat=$(printf '%s\n' "$pgb" | awk '/latency average/ {print $4}')
pg_p99=$(cat "$pg"/pgb.* | awk '{print $3}' | sort -n | awk '{v[NR] = $1} END {printf "%.2f", v[int(NR * 0.99)] / 1000}')
echo "pgbench: $pg_tps tx/s, average latency $pg_lat ms, p99 $pg_p99 ms"

echo "== sereg: POST /api/v1/equipment over HTTP, wrk 32 connections, ${secs}s"
out=$(SEREG_BASE=500000000 SEREG_TOKEN=$tok SEREG_UNIT=$unit SEREG_MAINT=$maint wrk -t2 -c32 -d"${secs}s" --latency \
  -s tests/bench/register.lua http://127.0.0.1:$port)
rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec/ {print int($2)}')
p99=$(printf '%s\n' "$out" | awk '/^p99_ms/ {print $2}')
errs=$(printf '%s\n' "$out" | awk '/^errors/ {print $2}')
echo "sereg:   $rps registrations/s, p99 $p99 ms, non-2xx/errors $errs"

echo "== sereg: the same with a fresh Idempotency-Key on every request, ${secs}s"
out=$(SEREG_IDEMPOTENCY=1 SEREG_BASE=600000000 SEREG_TOKEN=$tok SEREG_UNIT=$unit SEREG_MAINT=$maint wrk -t2 -c32 \
  -d"${secs}s" --latency -s tests/bench/register.lua http://127.0.0.1:$port)
krps=$(printf '%s\n' "$out" | awk '/^Requests\/sec/ {print int($2)}')
kp99=$(printf '%s\n' "$out" | awk '/^p99_ms/ {print $2}')
kerrs=$(printf '%s\n' "$out" | awk '/^errors/ {print $2}')
echo "sereg:   $krps registrations/s with keys, p99 $kp99 ms, non-2xx/errors $kerrs"
load_rss=$(awk '/VmRSS/ {print $2}' /proc/$srv/status)
count=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment")

echo
echo "== result"
awk -v r="$rps" -v p="$pg_tps" 'BEGIN { printf "ratio sereg/pgbench: %.2f (goal >= 0.50)\n", r / p }'
echo "p99: $p99 ms (goal < 50 ms); pgbench's own p99 for the same transaction: $pg_p99 ms"
awk -v k="$krps" -v r="$rps" -v p="$pg_tps" 'BEGIN { printf "with Idempotency-Key: %.2f of plain POSTs, %.2f of pgbench\n", k / r, k / p }'
echo "server threads: $threads"
echo "idle resident memory: $((idle_rss / 1024)) MiB after start (goal < 64 MiB); $((load_rss / 1024)) MiB after the load"
echo "equipment rows now: $count"
