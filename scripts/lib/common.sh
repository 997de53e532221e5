# common.sh -- shared by scripts/run.sh and scripts/test.sh: installing what is missing, building,
# and a private PostgreSQL cluster that never touches the system one. Source it; do not run it.

SR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SR_PG_BIN=/usr/lib/postgresql/15/bin
SR_PG_USER=sereg   # PostgreSQL refuses to run as root; as root we run it as this system user
SR_PACKAGES="build-essential cmake pkg-config liblua5.4-dev lua5.4 libcjson-dev libmicrohttpd-dev
  libcurl4-openssl-dev libssl-dev libpq-dev libxlsxwriter-dev zlib1g-dev postgresql-15 postgresql-client-15 python3 curl
  gettext locales libsodium-dev"
# The locale gettext needs to speak Chinese (core/base/i18n.c): LC_MESSAGES of zh_CN.UTF-8.
SR_LOCALE=zh_CN.UTF-8

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

sr_install_deps() {
  local missing=() p
  for p in $SR_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sr_install_packages "${missing[@]}"
  fi
  sr_install_locale
}

# Prints "sudo" when installing needs it; dies when neither root nor sudo can.
sr_sudo() {
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: $*"
    echo sudo
  fi
}

# Generates $SR_LOCALE where it is missing, as Debian keeps locales: listed in /etc/locale.gen
# (so a later locale-gen keeps it) and compiled into the locale archive.
sr_install_locale() {
  local name=${SR_LOCALE%.UTF-8}.utf8
  locale -a 2>/dev/null | grep -qix "$name" && return 0
  local sudo
  sudo=$(sr_sudo "the $SR_LOCALE locale") || exit 1
  say "generating the $SR_LOCALE locale"
  grep -qx "$SR_LOCALE UTF-8" /etc/locale.gen 2>/dev/null ||
    echo "$SR_LOCALE UTF-8" | $sudo tee -a /etc/locale.gen >/dev/null
  $sudo locale-gen >/dev/null || die "locale-gen failed"
  locale -a 2>/dev/null | grep -qix "$name" || die "the $SR_LOCALE locale is still missing"
}

sr_install_packages() {
  local missing=("$@")
  say "installing Debian packages: ${missing[*]}"
  local sudo
  sudo=$(sr_sudo "${missing[*]}") || exit 1
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || die "apt-get update failed"
  # The server package would start the system cluster; sereg runs its own, so do not start it.
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install failed"
  $sudo rm -f /usr/sbin/policy-rc.d
}

# sr_build DIR [cmake options...]
sr_build() {
  local dir=$1; shift
  cmake -S "$SR_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null || die "cmake failed"
  cmake --build "$dir" -j "$(nproc)" >/dev/null || cmake --build "$dir" -j 1 || die "build failed"
}

# Runs a command as the cluster's owner.
sr_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$SR_PG_USER" -- "$@"
  else
    "$@"
  fi
}

sr_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id -u "$SR_PG_USER" >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin "$SR_PG_USER" || die "cannot create user $SR_PG_USER"
    echo "$SR_PG_USER"
  else
    id -un
  fi
}

# sr_pg_start DATADIR PORT [SERVER OPTIONS]: creates (once) and starts a cluster listening only on
# a unix socket in DATADIR. Prints the libpq connection string on stdout.
sr_pg_start() {
  local data=$1 port=$2 extra=${3:-} owner
  owner=$(sr_pg_owner)
  [ -L "$data" ] && data=$(readlink -f "$data")  # moved aside on an earlier run, see below
  mkdir -p "$data"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$owner" "$data"
    if ! sr_as_pg test -w "$data"; then
      # The checkout is where the cluster's owner cannot go (under /root, say). Keep the cluster
      # in a folder of its own for this checkout and leave a link to it where it was asked for.
      local real
      real=/var/lib/sereg/$(printf '%s' "$data" | sha256sum | cut -c1-16)
      mkdir -p "$real"
      chown "$owner" "$real"
      rmdir "$data"
      ln -sfn "$real" "$data"
      say "$owner cannot reach $data; the cluster lives in $real (linked from there)" >&2
      data=$real
    fi
  fi
  chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    sr_as_pg "$SR_PG_BIN/initdb" -D "$data" -U sereg --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null ||
      die "initdb failed"
  fi
  if ! sr_as_pg "$SR_PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    sr_as_pg "$SR_PG_BIN/pg_ctl" -D "$data" -w -l "$data/server.log" \
      -o "-c listen_addresses='' -c unix_socket_directories='$data' -p $port $extra" start >/dev/null ||
      { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  echo "host=$data port=$port user=sereg"
}

sr_pg_stop() {
  local data=$1
  [ -L "$data" ] && data=$(readlink -f "$data")
  sr_as_pg "$SR_PG_BIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}
