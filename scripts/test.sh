#!/usr/bin/env bash
# test.sh -- the whole test suite: installs what is missing, builds, starts a throwaway
# PostgreSQL cluster, runs every ctest (unit, plugin, integration over HTTP) on a normal build
# and again on an ASan+UBSan build, then fuzzes the request-body parser, the ladder and workflow
# checks, the CSV reader and the plugins' pattern matcher for a short while (scripts/fuzz.sh), and
# removes the cluster.
# --quick skips the sanitizer pass and the fuzzing. The npm tools the tests use (the Standard
# Webhooks verifier, the OpenAPI linters, playwright-core) go into a cache folder outside the tree.
# The dashboard's screenshots are kept in build/artifacts/dashboard/.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$SR_ROOT"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

# The tests also run the shipped nginx front (contrib/nginx) and make certificates for it, and
# drive the dashboard in Debian's chromium (with a CJK font, so that its screenshots read).
SR_PACKAGES="$SR_PACKAGES nginx-light openssl chromium fonts-wqy-microhei" sr_install_deps
# Test-only tools from the npm registry, kept in a cache folder outside the tree: the notice
# tests verify every signature with the Standard Webhooks reference library, and the OpenAPI
# description is linted with Redocly CLI and Spectral (Redocly 1.x: 2.x needs a newer Node.js
# than Debian 12's); playwright-core drives chromium through the dashboard (its own browser
# downloads are never used: the test names Debian's).
command -v npm >/dev/null || SR_PACKAGES="nodejs npm" sr_install_deps
npm_cache=${XDG_CACHE_HOME:-$HOME/.cache}/sereg-test-npm
npm_tools="standardwebhooks@1.1.1 @redocly/cli@1.34.20 @stoplight/spectral-cli@6.16.3 playwright-core@1.57.0"
npm_missing=""
for t in $npm_tools; do
  name=${t%@*}
  [ "$(node -p "try { require('$npm_cache/node_modules/$name/package.json').version } catch (e) { '' }")" = "${t##*@}" ] ||
    npm_missing="$npm_missing $t"
done
if [ -n "$npm_missing" ]; then
  say "installing the test tools$npm_missing (npm) into $npm_cache"
  mkdir -p "$npm_cache"
  # shellcheck disable=SC2086 # one word a package
  npm install --prefix "$npm_cache" --no-audit --no-fund --loglevel=error $npm_missing >/dev/null ||
    die "npm install$npm_missing failed"
fi
export SEREG_NODE_MODULES=$npm_cache/node_modules
pgdir=$(mktemp -d /tmp/sereg-test-pg.XXXXXX)
cleanup() { sr_pg_stop "$pgdir"; rm -rf "$pgdir"; }
trap cleanup EXIT
say "starting a throwaway PostgreSQL cluster"
# The test databases are thrown away: durability buys nothing here.
SEREG_TEST_PG=$(sr_pg_start "$pgdir" 54330 "-c fsync=off -c synchronous_commit=off -c max_connections=200")
export SEREG_TEST_PG

run_suite() {
  local dir=$1; shift
  say "building $dir $*"
  sr_build "$dir" "$@"
  say "testing $dir"
  (cd "$dir" && ctest --output-on-failure -j 2 --timeout 600)
}

run_suite build
if [ $quick -eq 0 ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS=suppressions=$SR_ROOT/tests/lsan.supp
  run_suite build-asan -DSR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  "$SR_ROOT/scripts/fuzz.sh" "${SEREG_FUZZ_SECONDS:-20}"
fi
say "all tests passed"
