#!/usr/bin/env bash
# run.sh -- the quick start: installs what is missing, builds, starts sereg's own PostgreSQL under
# var/ (unless DATABASE_URL is set), migrates, loads the demo city, prints a token per role and
# serves on 127.0.0.1:8080 (delivering notices to the subscriptions made there), with one login per
# role for people (var/logins.txt). Safe to run again: the data, the tokens, the logins and the key
# of the subscriptions' secrets are kept.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$SR_ROOT"

LISTEN=${SEREG_LISTEN:-127.0.0.1:8080}
sr_install_deps
say "building"
sr_build build

if [ -z "${DATABASE_URL:-}" ]; then
  say "starting the private PostgreSQL cluster in var/pg"
  mkdir -p var
  base=$(sr_pg_start "$SR_ROOT/var/pg" 54329)
  # sereg connects as an ordinary role that owns its tables: a superuser would bypass the
  # row-level security that backs up the core's own scoping.
  psql "$base dbname=postgres" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'sereg_app'" | grep -q 1 ||
    psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" >/dev/null
  psql "$base dbname=postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'sereg'" | grep -q 1 ||
    psql "$base dbname=postgres" -qc "CREATE DATABASE sereg OWNER sereg_app" >/dev/null
  export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=sereg"
fi

# The key that keeps the subscriptions' signing secrets sealed in the database (made once).
if [ -z "${SEREG_SECRET_KEY:-}${SEREG_SECRET_KEY_FILE:-}" ]; then
  mkdir -p var
  [ -s var/secret.key ] || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > var/secret.key)
  export SEREG_SECRET_KEY_FILE="$SR_ROOT/var/secret.key"
fi

say "migrating"
./build/sereg migrate
say "loading the demo city"
./build/sereg demo
say "sweeping for overdue inspections"
./build/sereg sweep

tokens=var/tokens.txt
# Kept tokens are used again while every one of them is still live (tokens expire, and may have
# been revoked); otherwise a new set is made.
live() {
  local n=0 tok
  for tok in $(awk '{print $2}' "$tokens"); do
    n=$((n + $(psql "$DATABASE_URL" -qtAc "SELECT count(*) FROM api_token WHERE token_hash = '$(printf '%s' "$tok" |
      sha256sum | cut -d' ' -f1)' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())")))
  done
  [ "$n" -eq "$(wc -l < "$tokens")" ]
}
if [ -s "$tokens" ] && ! live; then
  say "some kept tokens have expired or were revoked: making new ones"
  rm -f "$tokens"
fi
if [ ! -s "$tokens" ]; then
  mkdir -p var
  unit=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1")
  agency=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'agency' ORDER BY id LIMIT 1")
  (umask 077
   {
     echo "city_supervisor $(./build/sereg token create --role city_supervisor --name 'demo city supervisor' --expires 365d | tail -1)"
     echo "district_supervisor $(./build/sereg token create --role district_supervisor --jurisdiction 510104 --name 'demo 锦江区' --expires 365d | tail -1)"
     echo "agency $(./build/sereg token create --role agency --org "$agency" --name 'demo agency' --expires 365d | tail -1)"
     echo "user_unit $(./build/sereg token create --role user_unit --org "$unit" --name 'demo user unit' --expires 365d | tail -1)"
     echo "coordinator $(./build/sereg token create --role coordinator --jurisdiction 510104 --name 'demo coordinator' --expires 365d | tail -1)"
     echo "admin $(./build/sereg token create --role admin --name 'demo admin' --expires 365d | tail -1)"
   } > "$tokens")
fi
say "tokens (kept in $tokens)"
column -t "$tokens" 2>/dev/null || cat "$tokens"

# One login per role for people (POST /api/v1/session), its generated password kept beside the
# tokens: an account the database lacks is made with its kept password, and a kept file that is
# gone makes new passwords (an account already there is reset to its new one).
logins=var/logins.txt
unit=${unit:-$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1")}
agency=${agency:-$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'agency' ORDER BY id LIMIT 1")}
demo_logins="city_supervisor 王监察 -
district_supervisor 锦江区监察 --jurisdiction=510104
user_unit 使用单位演示 --org=$unit
agency 检验机构演示 --org=$agency
coordinator 锦江区协管员 --jurisdiction=510104
admin 系统管理员 -"
if [ ! -s "$logins" ]; then
  mkdir -p var
  (umask 077
   while read -r role name scope; do
     # "Sr-" gives an upper-case letter, a lower-case one and a symbol: the complexity rule holds.
     echo "$role $name Sr-$(head -c 15 /dev/urandom | base64 | tr '+/' '-_')"
   done <<< "$demo_logins" > "$logins")
fi
while read -r role name scope; do
  password=$(awk -v n="$name" '$2 == n {print $3}' "$logins")
  key=$(printf '%s' "$name" | tr 'A-Z' 'a-z')
  exists=$(psql "$DATABASE_URL" -qtAc "SELECT count(*) FROM account WHERE login_key = '$key'")
  if [ "$exists" = 0 ]; then
    args=(--role "$role" --name "$name")
    [ "$scope" = - ] || args+=("${scope%%=*}" "${scope#*=}")
    printf '%s\n' "$password" | ./build/sereg account create "${args[@]}" --password-stdin >/dev/null
  elif [ "$logins" -nt var/.logins-made ]; then
    printf '%s\n' "$password" | ./build/sereg account reset "$name" --password-stdin >/dev/null
  fi
done <<< "$demo_logins"
touch var/.logins-made
say "logins (kept in $logins)"
column -t "$logins" 2>/dev/null || cat "$logins"
city=$(awk '$1 == "city_supervisor" {print $2}' "$tokens")
wang=$(awk '$2 == "王监察" {print $3}' "$logins")
cat <<MSG

Try:
  curl -s -H 'Authorization: Bearer $city' http://$LISTEN/api/v1/equipment?limit=2
  curl -s -c var/cookies.txt -H 'Content-Type: application/json' \\
       -d '{"account": "王监察", "password": "$wang"}' http://$LISTEN/api/v1/session

MSG
say "serving on http://$LISTEN (Ctrl-C stops)"
exec ./build/sereg serve --listen "$LISTEN"
