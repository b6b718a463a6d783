#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the test suite on 127.0.0.1 and print its URL.
# Installs Debian's postgresql package first when no server is on the machine (as root).
# Idempotent: a server already answering on the port is reused.
set -euo pipefail
port="${SPINEBOT_PG_PORT:-54329}"
dir="${SPINEBOT_PG_DIR:-/tmp/spinebot-pg-$port}"
url="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed: run 'sudo apt-get install postgresql'" >&2
    exit 1
  fi
  echo "Installing PostgreSQL (Debian packages)…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin="$(find_bin)"
fi

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  echo "$url"
  exit 0
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
rm -rf "$dir"
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  >&2 || { cat "$dir/server.log" >&2; exit 1; }
echo "$url"
