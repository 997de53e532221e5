#!/usr/bin/env bash
# fuzz.sh [SECONDS] -- builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan) and
# runs each for SECONDS (default 60) from the seed corpus, as an attacker would feed the request
# body parser, the ladder and workflow checks, the CSV reader and what a login reads (the Cookie
# header, names, passwords), and compares the plugins' pattern matcher with Lua's own. Exits non-zero on a crash and
# says where the input that caused it was kept.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$SR_ROOT"
secs=${1:-60}
SR_PACKAGES="clang" sr_install_deps
# libFuzzer ships with the runtime package of the installed clang's major version.
clang_major=$(clang -dumpversion | cut -d. -f1)
SR_PACKAGES="libclang-rt-$clang_major-dev" sr_install_deps
say "building build-fuzz (clang, libFuzzer, ASan+UBSan)"
CC=clang sr_build build-fuzz -DSR_FUZZ=ON -DSR_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
work=$(mktemp -d /tmp/sereg-fuzz.XXXXXX)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in body flow csv pattern login; do
  say "fuzzing $t for ${secs}s"
  mkdir -p "$work/$t" "$work/crashes-$t"
  cp tests/fuzz/corpus/$t/* "$work/$t/"
  # The corpus grows in the scratch folder; the seeds in the repository stay as they are.
  if ! ./build-fuzz/tests/fuzz/fuzz_$t "$work/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -artifact_prefix="$work/crashes-$t/" -print_final_stats=1 >"$work/$t.log" 2>&1; then
    tail -40 "$work/$t.log" >&2
    die "fuzz_$t found a crash; the input is kept in $work/crashes-$t/"
  fi
  grep -E "^stat::(number_of_executed_units|new_units_added)" "$work/$t.log" | tr '\n' ' ' >&2
  echo >&2
done
rm -rf "$work"
say "fuzzing found nothing"
