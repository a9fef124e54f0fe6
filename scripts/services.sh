#!/usr/bin/env bash
# Redis and PostgreSQL for the tests, CI and the demo. URLs come from REDIS_URL and
# DATABASE_URL, or the machine's defaults below.
#
#   scripts/services.sh ensure            fail unless both answer (starts nothing)
#   scripts/services.sh ci                start the machine's services when down, wait 30 s
#   eval "$(scripts/services.sh demo)"    use what answers, else start private servers under
#                                         .demo/ (Redis :6390, PostgreSQL :5440); prints exports
#   scripts/services.sh demo-stop         stop the private servers (their data stays in .demo/)
#   . scripts/services.sh [MODE]          sourced: defines the svc_* functions; with a mode, runs
#                                         it, and `demo` then exports into the calling shell
#
# ensure, ci and demo also create the database named in DATABASE_URL when it is missing.
# Messages go to stderr; only the export line goes to stdout.

SVC_DEFAULT_REDIS_URL=redis://127.0.0.1:6379/0
SVC_DEFAULT_DATABASE_URL=postgres://127.0.0.1:5432/overpay
SVC_WAIT_S=30
SVC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SVC_DEMO_DIR=$SVC_ROOT/.demo
SVC_DEMO_REDIS_PORT=${DEMO_REDIS_PORT:-6390}
SVC_DEMO_PG_PORT=${DEMO_PG_PORT:-5440}

svc_say() {
  printf 'services: %s\n' "$*" >&2
}

# The URL with any password replaced, for messages.
svc_shown() {
  printf '%s' "$1" | sed -E 's#(//[^:/@]*):[^@/]*@#\1:***@#'
}

svc_redis_url() {
  printf '%s' "${REDIS_URL:-$SVC_DEFAULT_REDIS_URL}"
}

svc_database_url() {
  printf '%s' "${DATABASE_URL:-$SVC_DEFAULT_DATABASE_URL}"
}

# True when Redis at URL $1 answers PING.
svc_redis_up() {
  local reply
  reply=$(timeout 5 redis-cli -u "$1" ping 2>/dev/null) && [[ $reply == PONG ]]
}

# True when the PostgreSQL server at URL $1 accepts connections.
svc_pg_up() {
  timeout 10 pg_isready -q -t 5 -d "$1" >/dev/null 2>&1
}

# Waits until both answer, up to SVC_WAIT_S seconds; says which one did not.
svc_wait_both() {
  local redis_url=$1 db_url=$2 deadline=$((SECONDS + SVC_WAIT_S)) ok=0
  while ((SECONDS < deadline)); do
    svc_redis_up "$redis_url" && svc_pg_up "$db_url" && return 0
    sleep 0.5
  done
  if svc_redis_up "$redis_url"; then
    ok=$((ok + 1))
  else
    svc_say "FAILED: Redis does not answer at $(svc_shown "$redis_url") after ${SVC_WAIT_S} s"
  fi
  if svc_pg_up "$db_url"; then
    ok=$((ok + 1))
  else
    svc_say "FAILED: PostgreSQL does not answer at $(svc_shown "$db_url") after ${SVC_WAIT_S} s"
  fi
  ((ok == 2))
}

# Creates the database named in URL $1 when it is missing, connecting to `postgres` on the
# same server. The name travels as a psql variable, never pasted into the SQL.
svc_ensure_database() {
  local url=$1 base query='' name admin exists
  base=${url%%\?*}
  [[ $url == *\?* ]] && query="?${url#*\?}"
  name=${base#*://}
  [[ $name == */* ]] || return 0
  name=${name#*/}
  [[ -n $name && $name != postgres ]] || return 0
  admin="${base%/*}/postgres$query"

  exists=$(psql -X -q -tA -v ON_ERROR_STOP=1 -v db="$name" -d "$admin" \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db'") || {
    svc_say "FAILED: cannot query databases at $(svc_shown "$admin")"
    return 1
  }
  [[ $exists == 1 ]] && return 0
  svc_say "creating database $name"
  psql -X -q -v ON_ERROR_STOP=1 -v db="$name" -d "$admin" <<<'CREATE DATABASE :"db"' >&2
}

svc_ensure() {
  local redis_url db_url ok=0
  redis_url=$(svc_redis_url)
  db_url=$(svc_database_url)
  if svc_redis_up "$redis_url"; then
    ok=$((ok + 1))
  else
    svc_say "Redis does not answer at $(svc_shown "$redis_url")"
  fi
  if svc_pg_up "$db_url"; then
    ok=$((ok + 1))
    svc_ensure_database "$db_url" || ok=0
  else
    svc_say "PostgreSQL does not answer at $(svc_shown "$db_url")"
  fi
  if ((ok < 2)); then
    svc_say "start them with: scripts/services.sh ci (machine services) or demo (private ones)"
    return 1
  fi
  svc_say "Redis and PostgreSQL answer"
}

svc_ci() {
  local redis_url db_url
  redis_url=$(svc_redis_url)
  db_url=$(svc_database_url)

  if ! svc_redis_up "$redis_url"; then
    svc_say "Redis down at $(svc_shown "$redis_url"); starting the machine's redis-server"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 ||
      svc_say "redis-server exited with $? (log: /var/log/redis/ci.log)"
  fi
  if ! svc_pg_up "$db_url"; then
    svc_say "PostgreSQL down at $(svc_shown "$db_url"); starting the machine's cluster"
    # shellcheck disable=SC2046 # one version directory, as the machine is set up
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start >&2 ||
      svc_say "pg_ctlcluster exited with $? (logs: /var/log/postgresql/)"
  fi

  svc_wait_both "$redis_url" "$db_url" || return 1
  svc_ensure_database "$db_url" || return 1
  svc_say "Redis and PostgreSQL answer"
}

# Runs a PostgreSQL server binary as the `postgres` OS user when we are root
# (initdb and postgres refuse to run as root).
svc_as_pg() {
  if ((EUID != 0)); then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

# Directory holding initdb and pg_ctl: PATH first, then the newest /usr/lib/postgresql/*/bin.
svc_pg_bindir() {
  local initdb dir
  if initdb=$(command -v initdb); then
    dir=$(dirname "$(readlink -f "$initdb")")
    [[ -x $dir/pg_ctl ]] && {
      printf '%s' "$dir"
      return 0
    }
  fi
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
    sort -V | tail -n 1)
  [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]] || return 1
  printf '%s' "$dir"
}

svc_demo_redis_start() {
  local url="redis://127.0.0.1:$SVC_DEMO_REDIS_PORT/0" deadline=$((SECONDS + 10))
  if svc_redis_up "$url"; then
    svc_say "private Redis already answers at $url"
    return 0
  fi
  mkdir -p "$SVC_DEMO_DIR/redis"
  svc_say "starting private Redis at $url"
  redis-server --port "$SVC_DEMO_REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --dir "$SVC_DEMO_DIR/redis" --pidfile "$SVC_DEMO_DIR/redis.pid" \
    --logfile "$SVC_DEMO_DIR/redis.log" >&2 || {
    svc_say "FAILED: redis-server did not start (log: $SVC_DEMO_DIR/redis.log)"
    return 1
  }
  until svc_redis_up "$url"; do
    if ((SECONDS >= deadline)); then
      svc_say "FAILED: private Redis does not answer (log: $SVC_DEMO_DIR/redis.log)"
      return 1
    fi
    sleep 0.2
  done
}

svc_demo_pg_start() {
  local bindir data=$SVC_DEMO_DIR/pg run=$SVC_DEMO_DIR/pg-run port=$SVC_DEMO_PG_PORT
  if pg_isready -q -h 127.0.0.1 -p "$port" -t 2; then
    svc_say "private PostgreSQL already answers on port $port"
    return 0
  fi
  bindir=$(svc_pg_bindir) || {
    svc_say "FAILED: no initdb and pg_ctl on PATH or under /usr/lib/postgresql/*/bin"
    return 1
  }
  # The socket path must fit in sockaddr_un (107 bytes).
  if ((${#run} + ${#port} + 10 > 107)); then
    svc_say "FAILED: socket directory $run is too long for a unix socket; move the project"
    return 1
  fi

  mkdir -p "$data" "$run"
  chmod 700 "$data"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || {
      svc_say "FAILED: running as root needs a 'postgres' OS user to own $data"
      return 1
    }
    chown postgres: "$data" "$run"
    runuser -u postgres -- test -w "$run" 2>/dev/null || {
      svc_say "FAILED: user postgres cannot reach $run (check the parent directories' modes)"
      return 1
    }
  fi

  if [[ ! -f $data/PG_VERSION ]]; then
    svc_say "creating a private PostgreSQL cluster in $data"
    svc_as_pg "$bindir/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C >&2 || {
      svc_say "FAILED: initdb"
      return 1
    }
  fi
  svc_say "starting private PostgreSQL on port $port"
  svc_as_pg "$bindir/pg_ctl" -D "$data" -l "$run/postgres.log" -w -t "$SVC_WAIT_S" \
    -o "-p $port -c listen_addresses=127.0.0.1 -k '$run'" start >&2 || {
    svc_say "FAILED: pg_ctl start (log: $run/postgres.log)"
    return 1
  }
}

svc_demo() {
  local redis_url db_url name
  redis_url=$(svc_redis_url)
  db_url=$(svc_database_url)

  if svc_redis_up "$redis_url"; then
    svc_say "using Redis at $(svc_shown "$redis_url")"
  else
    svc_demo_redis_start || return 1
    redis_url="redis://127.0.0.1:$SVC_DEMO_REDIS_PORT/0"
  fi

  if svc_pg_up "$db_url"; then
    svc_say "using PostgreSQL at $(svc_shown "$db_url")"
  else
    # Keep the database name the caller asked for; only the server is private.
    name=${db_url%%\?*}
    name=${name#*://}
    if [[ $name == */* && -n ${name#*/} ]]; then name=${name#*/}; else name=overpay; fi
    svc_demo_pg_start || return 1
    db_url="postgres://postgres@127.0.0.1:$SVC_DEMO_PG_PORT/$name"
  fi
  svc_ensure_database "$db_url" || return 1

  printf 'export DATABASE_URL=%q REDIS_URL=%q\n' "$db_url" "$redis_url"
}

svc_demo_stop() {
  local pidfile=$SVC_DEMO_DIR/redis.pid data=$SVC_DEMO_DIR/pg pid bindir i
  if [[ -f $pidfile ]] && pid=$(<"$pidfile") && [[ -r /proc/$pid/cmdline ]] &&
    grep -q redis-server "/proc/$pid/cmdline"; then
    svc_say "stopping private Redis (pid $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    rm -f "$pidfile"
  else
    svc_say "no private Redis running"
  fi

  if [[ -f $data/postmaster.pid ]]; then
    bindir=$(svc_pg_bindir) || {
      svc_say "FAILED: no pg_ctl to stop the private PostgreSQL in $data"
      return 1
    }
    svc_say "stopping private PostgreSQL"
    svc_as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2
  else
    svc_say "no private PostgreSQL running"
  fi
}

svc_main() {
  case ${1:-} in
    ensure) svc_ensure ;;
    ci) svc_ci ;;
    demo) svc_demo ;;
    demo-stop) svc_demo_stop ;;
    *)
      svc_say "usage: scripts/services.sh ensure|ci|demo|demo-stop"
      return 2
      ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -uo pipefail
  svc_main "$@"
  exit $?
fi

# Sourced. Bash hands the caller's own arguments to a sourced file given none, so only a
# known mode does anything here.
case ${1:-} in
  demo)
    if svc_exports=$(svc_demo); then
      eval "$svc_exports"
      unset svc_exports
    else
      unset svc_exports
      return 1
    fi
    ;;
  ensure | ci | demo-stop) svc_main "$1" ;;
esac
