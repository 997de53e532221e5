#!/usr/bin/env bash
# tests/bench/overview.sh [UNITS] [ROUNDS] -- what a supervisor's browser asks for when it opens the
# dashboard with no session yet, over a city of UNITS (default 1,000,000) units with a year of
# results and hazards (tests/bench/figures_load.sql): the page and its assets, the session probe
# (401), the login (one Argon2id check), the session, the jurisdictions and the overview's figures
# with twelve months of series. ROUNDS (default 10) cold sessions, each request's p50 and p99 and the
# whole cold open's; beside them, in the same run, the bare work underneath: the login's Argon2id
# hash alone (sereg's own parameters, timed through the same libsodium by a one-line C program) and
# the figures' statements through pgbench as figures.sh runs them. Not part of the test suite.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
units=${1:-1000000}
rounds=${2:-10}
day=2026-12-15
bench_start overview 54351 "-c shared_buffers=1GB -c max_wal_size=4GB"
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT

echo "== loading $units units with a year of results, hazards and rectifications"
psql "$DATABASE_URL" -q -v units="$units" -v day="$day" -f tests/bench/figures_load.sql
export SEREG_NOW=$day
pw='Bench-Overview-2026'
printf '%s\n' "$pw" | ./build-bench/sereg account create --role city_supervisor --name 压测监察 --password-stdin >/dev/null
printf '%s\n' "$pw" | ./build-bench/sereg account create --role district_supervisor --jurisdiction 510106 \
  --name 压测区监察 --password-stdin >/dev/null

port=18094
./build-bench/sereg serve --listen 127.0.0.1:$port --threads 2 --sweep-every 0 2>"$work/serve.log" &
srv=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$port
assets=$(curl -sf "$url/" | grep -oE '(src|href)="/assets/[^"]+"' | sed -E 's/.*"(.*)"/\1/')
mods=$(curl -sf "$url/assets/app.js" | grep -oE "from '\./[^']+'" | sed -E "s/from '\.\/(.*)'/\/assets\/\1/" | sort -u)

# One cold open: a fresh cookie jar, each request timed. Prints "name ms" lines.
cold_open() {
  local who=$1 jar="$work/jar.$RANDOM" t name
  rm -f "$jar"
  t() { name=$1; shift; curl -s -o /dev/null -w "$name %{time_total}\n" -b "$jar" -c "$jar" "$@"; }
  t page "$url/"
  for a in $assets $mods; do t asset "$url$a"; done
  t session_probe "$url/api/v1/session"
  t login -H 'Content-Type: application/json' --data "{\"account\":\"$who\",\"password\":\"$pw\"}" "$url/api/v1/session"
  t session "$url/api/v1/session"
  t jurisdictions "$url/api/v1/jurisdictions"
  t figures "$url/api/v1/figures?series=12"
  rm -f "$jar"
}

pct() { sort -n | awk -v p="$1" '{v[NR] = $1} END {i = int(NR * p + 0.999); if (i < 1) i = 1; printf "%.1f", v[i]}'; }
for who in 压测监察 压测区监察; do
  cold_open "$who" >/dev/null # warm the server's caches and the database's
  : > "$work/times"
  for r in $(seq "$rounds"); do
    cold_open "$who" | awk -v r="$r" '{printf "%s %s %.3f\n", r, $1, $2 * 1000}' >> "$work/times"
  done
  printf '\n%s (%s cold sessions)\n%-14s %9s %9s\n' "$who" "$rounds" request p50_ms p99_ms
  for name in page asset session_probe login session jurisdictions figures; do
    printf '%-14s %9s %9s\n' "$name" "$(awk -v n=$name '$2 == n {print $3}' "$work/times" | pct 0.5)" \
      "$(awk -v n=$name '$2 == n {print $3}' "$work/times" | pct 0.99)"
  done
  awk '{s[$1] += $3} END {for (r in s) print s[r]}' "$work/times" > "$work/total"
  printf '%-14s %9s %9s   (requests one after another; a browser overlaps the assets)\n' whole_open \
    "$(pct 0.5 < "$work/total")" "$(pct 0.99 < "$work/total")"
done

# The limits of the same work: Argon2id with sereg's parameters through libsodium alone, and the
# figures' own statement (figures.sh measures it through pgbench against the server's answer).
cat > "$work/hash.c" <<'C'
#include <sodium.h>
#include <stdio.h>
#include <time.h>
int main(void)
{
  char out[crypto_pwhash_STRBYTES];
  if(sodium_init() < 0)
    return 1;
  for(int i = 0; i < 10; i++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if(crypto_pwhash_str(out, "Bench-Overview-2026", 19, 3, 64u << 20) != 0)
      return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.3f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
  }
  return 0;
}
C
cc -O2 -o "$work/hash" "$work/hash.c" $(pkg-config --cflags --libs libsodium)
"$work/hash" > "$work/hash.ms"
printf '\nlimit: Argon2id (3 passes, 64 MiB) alone   p50 %s ms  p99 %s ms\n' "$(pct 0.5 < "$work/hash.ms")" \
  "$(pct 0.99 < "$work/hash.ms")"
# The figures' statements the server ran for the overview (series=12), taken from the cluster's
# log, through pgbench as the same caller: the database's part of the figures request.
psql "${base} dbname=postgres" -qc "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
for who in city district; do
  jar="$work/jar.limit"
  u=压测监察; [ $who = district ] && u=压测区监察
  curl -s -o /dev/null -c "$jar" -H 'Content-Type: application/json' \
    --data "{\"account\":\"$u\",\"password\":\"$pw\"}" "$url/api/v1/session"
  sleep 0.2
  wc -c < "$work/pg/server.log" > "$work/$who.from"
  curl -s -o /dev/null -b "$jar" "$url/api/v1/figures?series=12"
  sleep 0.5
  python3 - "$work/pg/server.log" "$(cat "$work/$who.from")" "$work/$who.sql" "$who" <<'PY'
import re, sys
log = open(sys.argv[1], "rb").read()[int(sys.argv[2]):].decode("utf-8", "replace")
found = re.findall(r"execute [^:]*: (WITH p AS .*?)\n\S+ \S+ \S+ \[\d+\] DETAIL:  [Pp]arameters: (.*?)\n", log, re.S)
assert found, "the figures' statements are in the log"
who = ("set_config('sereg.role', 'city_supervisor', true)" if sys.argv[4] == "city" else
       "set_config('sereg.role', 'district_supervisor', true), set_config('sereg.jurisdiction', '510106', true)")
with open(sys.argv[3], "w", encoding="utf-8") as f:
    f.write(f"BEGIN;\nSELECT {who};\n")
    for sql, params in found:
        values = dict(re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", params))
        for k in sorted(values, key=int, reverse=True):
            sql = sql.replace("$" + k, values[k])
        f.write(" ".join(sql.split()) + ";\n")
    f.write("END;\n")
print(len(found), "statements", file=sys.stderr)
PY
  rm -f "$work"/pgb.*
  (cd "$work" && pgbench "$DATABASE_URL" -n -c 1 -t "$rounds" -f "$work/$who.sql" -l --log-prefix=pgb >/dev/null 2>&1)
  cat "$work"/pgb.* | awk '{printf "%.3f\n", $3 / 1000}' > "$work/pg.ms"
  printf 'limit: the figures statements of series=12 through pgbench, %-8s p50 %s ms  p99 %s ms\n' "$who" \
    "$(pct 0.5 < "$work/pg.ms")" "$(pct 0.99 < "$work/pg.ms")"
done
psql "${base} dbname=postgres" -qc "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
