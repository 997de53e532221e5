#!/usr/bin/env bash
# tests/bench/figures.sh [UNITS] [REQUESTS] -- the oversight figures over a city of UNITS (default
# 1,000,000) units with a year of results and hazards (tests/bench/figures_load.sql): REQUESTS
# (default 30) of GET /api/v1/figures for the whole city and for one district, this month's, this
# year's and the dashboard's twelve months (series=12), p50 and p99; beside the very statement the
# server ran (taken from the cluster's log of that run) through pgbench as the same caller, in the
# same run. Not part of the test suite.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
units=${1:-1000000}
requests=${2:-30}
day=2026-12-15
bench_start figures 54349 "-c shared_buffers=1GB -c max_wal_size=4GB"
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT

echo "== loading $units units, their registrations and a year of results, hazards and rectifications"
t0=$(date +%s)
psql "$DATABASE_URL" -q -v units="$units" -v day="$day" -f tests/bench/figures_load.sql
echo "loaded in $(($(date +%s) - t0)) s"
psql "$DATABASE_URL" -qtA -c "SET sereg.role = 'system'" -c "SELECT (SELECT count(*) FROM equipment) || ' units, '
  || (SELECT count(*) FROM inspection) || ' results, ' || (SELECT count(*) FROM hazard) || ' hazards, '
  || (SELECT count(*) FROM rectification) || ' rectifications, ' || (SELECT count(*) FROM equipment_tally)
  || ' tally rows'"
export SEREG_NOW=$day
tok=$(./build-bench/sereg token create --role city_supervisor --name 压测 | tail -1)
dtok=$(./build-bench/sereg token create --role district_supervisor --jurisdiction 510106 --name 压测 | tail -1)

port=18093
./build-bench/sereg serve --listen 127.0.0.1:$port --threads 2 --sweep-every 0 2>"$work/serve.log" &
srv=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

# The statements the server runs are logged once, to be run again through pgbench.
psql "${base} dbname=postgres" -qc "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
for t in "$tok" "$dtok"; do for q in "" "period=2026" "series=12"; do
  curl -sf -o /dev/null -H "Authorization: Bearer $t" "http://127.0.0.1:$port/api/v1/figures?$q"
done; done
psql "${base} dbname=postgres" -qc "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
# The figures' statements of the log, in the order asked, each with its parameters written in, as
# a pgbench script that states the caller as the server does.
python3 - "$work/pg/server.log" "$work" <<'PY'
import re, sys
log, out = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
found = re.findall(r"execute [^:]*: (WITH p AS .*?)\n\S+ \S+ \S+ \[\d+\] DETAIL:  [Pp]arameters: (.*?)\n", log, re.S)
names = ["city_month", "city_year", "city_series", "district_month", "district_year", "district_series"]
assert len(found) >= len(names), f"{len(found)} figures statements in the log"
for name, (sql, params) in zip(names, found[:len(names)]):
    values = dict(re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", params))
    for k in sorted(values, key=int, reverse=True):
        sql = sql.replace("$" + k, values[k])
    who = ("set_config('sereg.role', 'city_supervisor', true)" if name.startswith("city") else
           "set_config('sereg.role', 'district_supervisor', true), set_config('sereg.jurisdiction', '510106', true)")
    with open(f"{out}/{name}.sql", "w", encoding="utf-8") as f:
        f.write(f"BEGIN;\nSELECT {who};\n{' '.join(sql.split())};\nEND;\n")
PY

pct() { sort -n | awk -v p="$1" '{v[NR] = $1} END {i = int(NR * p + 0.999); if (i < 1) i = 1; printf "%.1f", v[i]}'; }
printf '\n%-16s %9s %9s %14s %14s\n' figures http_p50 http_p99 pgbench_p50 pgbench_p99
for name in city_month city_year city_series district_month district_year district_series; do
  t=$tok; [[ $name == district* ]] && t=$dtok
  q=""; [[ $name == *year ]] && q="period=2026"; [[ $name == *series ]] && q="series=12"
  curl -sf -o /dev/null -H "Authorization: Bearer $t" "http://127.0.0.1:$port/api/v1/figures?$q" # warm
  for _ in $(seq "$requests"); do
    curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $t" "http://127.0.0.1:$port/api/v1/figures?$q"
  done | awk '{printf "%.3f\n", $1 * 1000}' > "$work/http.ms"
  rm -f "$work"/pgb.*
  (cd "$work" && pgbench "$DATABASE_URL" -n -c 1 -t "$requests" -f "$work/$name.sql" -l --log-prefix=pgb >/dev/null 2>&1)
  cat "$work"/pgb.* | awk '{printf "%.3f\n", $3 / 1000}' > "$work/pg.ms"
  printf '%-16s %9s %9s %14s %14s\n' "$name" "$(pct 0.5 < "$work/http.ms")" "$(pct 0.99 < "$work/http.ms")" \
    "$(pct 0.5 < "$work/pg.ms")" "$(pct 0.99 < "$work/pg.ms")"
done
echo
grep -E '^sereg_figures_(total|seconds_(sum|count))' <(curl -sf http://127.0.0.1:$port/metrics)
