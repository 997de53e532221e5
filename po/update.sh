#!/usr/bin/env bash
# update.sh -- the message catalogue's template from the core's sources, merged into each
# translation. Run it after adding or changing a message, then translate what it marks.
#   po/update.sh              merges the template into po/zh_CN.po (new messages come in
#                             untranslated, changed ones fuzzy: translate them, drop "fuzzy")
#   po/update.sh --pot FILE   writes the template to FILE only (the catalogue test's)
# The keywords are the functions whose argument is a message: the problem's sentence and field
# messages take their format translated (core/base/problem.c), _() and N_() mark the rest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
merge=1
if [ "${1:-}" = "--pot" ]; then
  out=$2
  merge=0
else
  out=$(mktemp /tmp/sereg-pot.XXXXXX)
  trap 'rm -f "$out"' EXIT
fi
cd "$root"
files=$(find core -name '*.[ch]' | LC_ALL=C sort)
# shellcheck disable=SC2086
xgettext --from-code=UTF-8 --language=C --no-location --sort-output --package-name=sereg \
  --add-comments=TRANSLATORS: -k -k_ -kN_ -ksr_problem_set:3 -ksr_problem_field:3 \
  -ksimple_problem:3 -kkey_problem:3 -ksr_db_failure:3 -ksr_db_query:5 -ksr_sql_one:3 -kXX:4 --flag=sr_problem_set:3:c-format \
  --flag=sr_problem_field:3:c-format -o "$out" $files
if [ $merge -eq 1 ]; then
  msgmerge --quiet --update --backup=none --no-location --sort-output po/zh_CN.po "$out"
  sed -i '/^"POT-Creation-Date:/d' po/zh_CN.po  # the date alone would differ on every run
fi
