# tests/bench/lib.sh -- sourced by the benchmarks of a register: what each starts with.
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$SR_ROOT"

# bench_start NAME PORT [SERVER OPTIONS]: a Release build (build-bench/), a private PostgreSQL cluster on PORT in a
# scratch folder ($work, removed at exit, as the cluster is stopped), the database 'bench' owned
# by an ordinary role so that row-level security holds ($DATABASE_URL; $base is the cluster's
# own connection string), migrated, with the demo city. Every session without JIT, as sereg runs
# its own: the limits and sereg are measured alike.
bench_start() {
  local name=$1 port=$2 extra=${3:-}
  sr_install_deps
  sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF
  work=$(mktemp -d "/tmp/sereg-bench-$name.XXXXXX")
  chmod 755 "$work"
  trap 'sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT
  base=$(sr_pg_start "$work/pg" "$port" "-c max_connections=50 $extra")
  psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" -c "CREATE DATABASE bench OWNER sereg_app"
  export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=bench"
  export PGOPTIONS="-c jit=off"
  ./build-bench/sereg migrate >/dev/null
  ./build-bench/sereg demo >/dev/null
}

# bench_load_overdue UNITS DAY: UNITS elevators in service, loaded with straight SQL (this
# measures what runs on a register, not the loading), 1 % of them past their due date on DAY (by
# up to 300 days), the rest due from 60 days after it on.
bench_load_overdue() {
  local units=$1 day=$2
  psql "$DATABASE_URL" -q <<SQL
SET sereg.role = 'system';
INSERT INTO equipment (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address,
                       commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule)
SELECT '3110' || lpad((n / 100000)::text, 5, '0') || '2019' || lpad((n % 100000)::text, 5, '0'), 'elevator', '3110',
       'BENCH' || n, '510104', (SELECT id FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1),
       '压测路 ' || n || ' 号', date '2019-05-01',
       '{"variety": "3110", "rated_load_kg": 1000, "rated_speed_mps": 1.75, "stops": 12}'::jsonb, 'in_service',
       'bench@1', CASE WHEN n % 100 = 0 THEN date '$day' - 1 - (n / 100) % 300 ELSE date '$day' + 60 + n % 700 END,
       'periodic', 'bench@1'
FROM generate_series(1, $units) AS n;
VACUUM ANALYZE equipment;
SQL
}
