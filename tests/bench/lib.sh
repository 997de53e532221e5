# tests/bench/lib.sh -- sourced by the benchmarks of a register: what each starts with.
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$SR_ROOT"

# bench_start NAME PORT: a Release build (build-bench/), a private PostgreSQL cluster on PORT in a
# scratch folder ($work, removed at exit, as the cluster is stopped), the database 'bench' owned
# by an ordinary role so that row-level security holds ($DATABASE_URL; $base is the cluster's
# own connection string), migrated, with the demo city. Every session without JIT, as sereg runs
# its own: the limits and sereg are measured alike.
bench_start() {
  local name=$1 port=$2
  sr_install_deps
  sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF
  work=$(mktemp -d "/tmp/sereg-bench-$name.XXXXXX")
  chmod 755 "$work"
  trap 'sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT
  base=$(sr_pg_start "$work/pg" "$port" "-c max_connections=50")
  psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" -c "CREATE DATABASE bench OWNER sereg_app"
  export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=bench"
  export PGOPTIONS="-c jit=off"
  ./build-bench/sereg migrate >/dev/null
  ./build-bench/sereg demo >/dev/null
}
