#!/usr/bin/env bash
# tests/bench/search.sh [UNITS] [SECONDS] -- finding a unit by what people know of it, over a
# register of UNITS (default 1,000,000) units: GET /api/v1/equipment?q= by each key (equipment
# code, registration number with and without its brackets, its serial alone, user unit credit
# code and name, a Chinese address substring of two and of five characters), SECONDS (default 5)
# of wrk with 4 connections per key, p50 and p99; beside the same statement through pgbench in
# the same run (tests/bench/search.sql); then count=true on the whole register and on a
# district's list, beside psql's count of the same rows. Not part of the test suite.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
units=${1:-1000000}
secs=${2:-5}
command -v wrk >/dev/null || SR_PACKAGES="wrk" sr_install_deps
# Shared buffers that hold the keys table (about 190 MB at a million units): a broad search (a
# two-character query matching 25,000 units) reads most of its pages.
bench_start search 54348 "-c shared_buffers=1GB"
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT

echo "== loading $units units over 5 districts, 1,000 user units, 40 roads"
t0=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<SQL
SET sereg.role = 'system';
SET maintenance_work_mem = '512MB';
-- A bulk load: the gram index is built once after it rather than row by row (as in sql/0025).
DROP INDEX equipment_search_keys;
-- User units with well-formed (not check-digit valid) credit codes: 91510104BU000001XX ...
INSERT INTO organization (credit_code, name, kind, jurisdiction)
SELECT '915101' || lpad((4 + n % 5)::text, 2, '0') || 'BU' || lpad(n::text, 6, '0') || 'XX',
       '成都' || (ARRAY['蓉城', '天府', '锦官', '芙蓉', '西岭', '青城', '浣花', '望江'])[1 + n % 8] || '物业' || n
         || '号使用单位有限公司', 'user_unit', '51010' || (4 + n % 5)
FROM generate_series(1, 1000) AS n;
-- The units: codes 3110 + 5 digits + 2019 + 5 digits, registration numbers 梯11川A<serial>(<year>)
-- (50,000 a year over 2000-2019, apart from the demo's), addresses on 40 roads of 4 sections, one registration a minute.
INSERT INTO equipment (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address,
                       commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule, created_at)
SELECT '3110' || lpad((n / 100000)::text, 5, '0') || '2019' || lpad((n % 100000)::text, 5, '0'), 'elevator', '3110',
       '梯11川A' || lpad((n % 50000)::text, 5, '0') || '(' || lpad((n / 50000)::text, 2, '0') || ')', o.jurisdiction, o.id,
       '成都市' || j.name || (ARRAY['红星路', '春熙路', '人民南路', '天府大道', '蜀都大道', '东大街', '总府路',
         '盐市口街', '玉林路', '科华北路', '一环路', '二环路', '建设路', '双林路', '府青路', '驷马桥路', '金府路',
         '营门口路', '抚琴路', '光华大道', '清江路', '青华路', '浆洗街', '武侯祠大街', '高升桥路', '磨子桥路',
         '沙湾路', '九里堤路', '羊西线', '蜀汉路', '东风路', '牛市口路', '静安路', '锦华路', '三环路', '航空路',
         '龙腾路', '桐梓林路', '芳草街', '紫荆路'])[1 + n % 40]
         || (ARRAY['一段', '二段', '三段', '四段'])[1 + (n / 40) % 4] || ' ' || (1 + n % 997) || ' 号',
       date '2019-05-01', '{"variety": "3110", "rated_load_kg": 1000, "rated_speed_mps": 1.75, "stops": 12}'::jsonb,
       'in_service', 'bench@1', date '2026-12-01' + n % 900, 'periodic', 'bench@1',
       timestamptz '2020-01-01 00:00:00+00' + n * interval '1 minute'
FROM generate_series(0, $units - 1) AS n
JOIN organization o ON o.credit_code = '915101' || lpad((4 + (1 + n % 1000) % 5)::text, 2, '0') || 'BU'
                                       || lpad((1 + n % 1000)::text, 6, '0') || 'XX'
JOIN jurisdiction j ON j.code = o.jurisdiction;
CREATE INDEX equipment_search_keys ON equipment_search USING gin (sereg_grams(unit_keys || chr(10) || org_keys));
VACUUM ANALYZE equipment;
VACUUM ANALYZE equipment_search;
VACUUM ANALYZE organization;
SQL
echo "loaded and indexed in $(($(date +%s) - t0)) s"
psql "$DATABASE_URL" -qtAc "SELECT pg_size_pretty(pg_relation_size('equipment_search_keys')) || ' gram index, ' || pg_size_pretty(pg_relation_size('equipment_search')) || ' keys, '
  || pg_size_pretty(pg_relation_size('equipment')) || ' table'"
tok=$(./build-bench/sereg token create --role city_supervisor --name 压测 | tail -1)
dtok=$(./build-bench/sereg token create --role district_supervisor --jurisdiction 510106 --name 压测 | tail -1)

# The queries of each key, URL-encoded, one a line: 200 units drawn across the register.
keyfile() { # NAME SQL-EXPRESSION-OF-e-AND-o
  psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT $2 FROM equipment e JOIN organization o
    ON o.id = e.user_unit_id WHERE e.id % (greatest($units / 200, 1)) = 7 ORDER BY e.id" | sed 1d |
    python3 -c 'import sys, urllib.parse; [print(urllib.parse.quote(l.rstrip("\n"), safe="")) for l in sys.stdin]' \
    > "$work/$1.q"
}
keyfile code "e.equipment_code"
keyfile registration "e.registration_number"
keyfile unbracketed "split_part(e.registration_number, '(', 1)"
keyfile serial "substr(split_part(e.registration_number, '(', 1), 5)"
keyfile credit_code "o.credit_code"
keyfile unit_name "substr(o.name, 3, 6)"
keyfile address5 "substr(e.address, 7, 5)"
keyfile address2 "substr(e.address, 7, 2)"

port=18091
./build-bench/sereg serve --listen 127.0.0.1:$port --threads 4 --sweep-every 0 2>"$work/serve.log" &
srv=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

printf '\n%-12s %-28s %9s %9s %9s %12s %12s\n' key example matches p50_ms p99_ms pgbench_avg pgbench_p99
for key in code registration unbracketed serial credit_code unit_name address5 address2; do
  example=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(open(sys.argv[1]).readline().strip()))' "$work/$key.q")
  matches=$(curl -sf -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/equipment?count=true&limit=1&q=$(head -1 "$work/$key.q")" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
  SEREG_TOKEN=$tok SEREG_QUERIES="$work/$key.q" wrk -t2 -c4 -d1s -s tests/bench/search.lua http://127.0.0.1:$port >/dev/null
  out=$(SEREG_TOKEN=$tok SEREG_QUERIES="$work/$key.q" wrk -t2 -c4 -d"${secs}s" --latency -s tests/bench/search.lua \
    http://127.0.0.1:$port)
  errs=$(printf '%s\n' "$out" | awk '/^errors/ {print $2}')
  [ "$errs" = 0 ] || { echo "$key: $errs requests failed" >&2; tail -20 "$work/serve.log" >&2; exit 1; }
  p50=$(printf '%s\n' "$out" | awk '/^p50_ms/ {print $2}')
  p99=$(printf '%s\n' "$out" | awk '/^p99_ms/ {print $2}')
  # The same statement through pgbench, one query of the key per run of 1 s (4 clients), pooled.
  rm -f "$work"/pgb.*
  head -10 "$work/$key.q" | while read -r qq; do
    v=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$qq")
    (cd "$work" && pgbench "$DATABASE_URL" -n -M extended -c 4 -j 2 -T 1 -f "$SR_ROOT/tests/bench/search.sql" \
      -D q="$v" -l --log-prefix=pgb.$RANDOM >/dev/null 2>&1)
  done
  pg=$(cat "$work"/pgb.* | awk '{print $3}' | sort -n |
    awk '{v[NR] = $1; s += $1} END {printf "%.2f %.2f", s / NR / 1000, v[int(NR * 0.99)] / 1000}')
  printf '%-12s %-28s %9s %9s %9s %12s %12s\n' "$key" "$example" "$matches" "$p50" "$p99" $pg
done

echo
echo "== count=true on a large list (median of 5 requests) beside psql's count of the same rows"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for who in city district; do
  t=$tok; [ $who = district ] && t=$dtok
  api=$(for _ in 1 2 3 4 5; do curl -sf -o "$work/count.json" -w '%{time_total}\n' -H "Authorization: Bearer $t" \
    "http://127.0.0.1:$port/api/v1/equipment?count=true&limit=50"; done | awk '{printf "%.1f\n", $1 * 1000}' | median)
  total=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' "$work/count.json")
  where="true"; [ $who = district ] && where="e.jurisdiction = '510106'"
  sql=$(for _ in 1 2 3 4 5; do psql "$DATABASE_URL" -qtA -c "SET sereg.role = 'system'" -c '\timing on' \
    -c "SELECT count(*) FROM equipment e JOIN organization eo ON eo.id = e.user_unit_id
        JOIN jurisdiction ej ON ej.code = e.jurisdiction WHERE $where" | awk '/^Time/ {print $2}'; done | median)
  echo "$who: total $total; GET ?count=true ${api} ms (page and total); psql count(*) ${sql} ms"
done
