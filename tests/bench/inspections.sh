#!/usr/bin/env bash
# tests/bench/inspections.sh [SECONDS] -- inspection uploads: single results over HTTP (wrk, 32
# connections) against pgbench running the same SQL transaction in the same run, and one batch
# of 10,000 results. Prints each figure next to its limit or goal.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
cd "$SR_ROOT"
secs=${1:-20}
command -v wrk >/dev/null || SR_PACKAGES="wrk" sr_install_deps
sr_install_deps
sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF
work=$(mktemp -d /tmp/sereg-bench-insp.XXXXXX)
chmod 755 "$work"
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT
base=$(sr_pg_start "$work/pg" 54344 "-c max_connections=200")
psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" -c "CREATE DATABASE bench OWNER sereg_app"
export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=bench"
# Every session without JIT, as sereg runs its own: the limit and sereg measured alike.
export PGOPTIONS="-c jit=off"
./build-bench/sereg migrate >/dev/null
./build-bench/sereg demo >/dev/null
unit=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1")
maint=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'maintenance_unit' ORDER BY id LIMIT 1")
agency=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'agency' ORDER BY id LIMIT 1")
agency_id=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT id FROM organization WHERE credit_code = '$agency'")
python3 tests/bench/gen_register.py 60000 "$work" "$unit" 0 "$maint"
./build-bench/sereg import equipment "$work/register.csv" >/dev/null
read -r first last <<<"$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT min(id), max(id) FROM equipment WHERE address LIKE '成都市锦江区测试路%'" | tail -1 | tr '|' ' ')"
city=$(./build-bench/sereg token create --role city_supervisor | tail -1)
tok=$(./build-bench/sereg token create --role agency --org "$agency" | tail -1)
hash=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
port=18081
# No background sweep: it would compete with the uploads being measured.
./build-bench/sereg serve --listen 127.0.0.1:$port --threads 8 --sweep-every 0 2>"$work/serve.log" &
srv=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
curl -sf -X POST -H "Authorization: Bearer $city" -H 'Content-Type: application/json' \
  -d '{"equipment_type":"elevator","valid_from":"2019-01-01","valid_to":"2030-12-31"}' \
  http://127.0.0.1:$port/api/v1/organizations/$agency_id/accreditations >/dev/null

# Units first..first+39999 take single uploads; the last 20,000 the batches.
single_last=$((first + 39999))
echo "== pgbench: the upload transaction, 32 clients, ${secs}s"
pgb=$(cd "$work" && pgbench "$DATABASE_URL" -n -M prepared -c 32 -j 2 -T "$secs" -f "$SR_ROOT/tests/bench/inspect.sql" \
  -D hash="'$hash'" -D agency="$agency_id" -D first="$first" -D last="$single_last" -l --log-prefix=pgb 2>&1) || pgb="$pgb
aborted: pgbench exited with $?"
# A transaction pgbench could not run would be left out of its rate: none may fail.
if printf '%s\n' "$pgb" | grep -Eq 'aborted|number of failed transactions: [1-9]'; then
  printf '%s\n' "$pgb" >&2
  echo "pgbench: the script failed; keep it in step with the code" >&2
  exit 1
fi
pg_tps=$(printf '%s\n' "$pgb" | awk '/^tps/ {print int($3); exit}')
pg_p99=$(cat "$work"/pgb.* | awk '{print $3}' | sort -n | awk '{v[NR] = $1} END {printf "%.2f", v[int(NR * 0.99)] / 1000}')
echo "pgbench: $pg_tps tx/s, p99 $pg_p99 ms"

echo "== sereg: POST /api/v1/inspections, wrk 32 connections, ${secs}s"
out=$(SEREG_TOKEN=$tok SEREG_FIRST_ID=$first SEREG_COUNT=40000 SEREG_RUN=w wrk -t2 -c32 -d"${secs}s" --latency \
  -s tests/bench/inspect.lua http://127.0.0.1:$port)
rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec/ {print int($2)}')
p99=$(printf '%s\n' "$out" | awk '/^p99_ms/ {print $2}')
errs=$(printf '%s\n' "$out" | awk '/^errors/ {print $2}')
echo "sereg: $rps uploads/s, p99 $p99 ms, non-2xx/errors $errs"

echo "== one batch of 10,000 results"
python3 - "$first" > "$work/batch.json" <<'PY'
import json, sys
first = int(sys.argv[1]) + 40000
print(json.dumps([{"equipment_id": first + i, "report_number": f"B-{i}", "kind": "periodic",
                   "inspected_on": "2021-05-20", "conclusion": "pass", "defects": []} for i in range(10000)]))
PY
t=$(curl -s -o "$work/batch.out" -w '%{time_total}' -X POST -H "Authorization: Bearer $tok" \
  -H 'Content-Type: application/json' --data-binary @"$work/batch.json" http://127.0.0.1:$port/api/v1/inspections:batch)
accepted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accepted"])' "$work/batch.out" 2>/dev/null) ||
  { echo "the batch was refused:"; head -c 2000 "$work/batch.out"; echo; grep -v " info " "$work/serve.log" | tail -25; exit 1; }
echo
echo "== result"
awk -v r="$rps" -v p="$pg_tps" 'BEGIN { printf "single uploads: ratio sereg/pgbench %.2f (goal >= 0.50)\n", r / p }'
echo "single uploads: p99 $p99 ms (goal < 50 ms); pgbench's own p99 $pg_p99 ms"
awk -v t="$t" -v a="$accepted" 'BEGIN { printf "batch: %d results accepted in %.2f s = %.0f results/s (goal >= 5000)\n", a, t, a / t }'
