# Shared helpers for scripts/run, scripts/test and scripts/sqlx-prepare.
# Every ensure_* step installs what is missing and skips what is present, so a
# fresh Debian 12 machine and a warm one run the same scripts.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Build outside the clone so CI and later clones reuse compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/threadspace/target}"
TOOLS_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/threadspace/tools"
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"
# Queries are checked at compile time against .sqlx/, not a live database.
export SQLX_OFFLINE="${SQLX_OFFLINE:-true}"
# Scripts build once per run: incremental caches only cost disk (tens of GB).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
PG_ADMIN_URL="${THREADSPACE_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132

log() { printf '\033[1;35m==>\033[0m %s\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt)"
  if [ $APT_UPDATED -eq 0 ]; then sudo_if_needed apt-get update -q; APT_UPDATED=1; fi
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    log "installing rustup (apt)"
    apt_install rustup curl
    rustup default stable
  fi
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
  if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_build_tools() {
  ensure_rust
  apt_install pkg-config gcc curl
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes 15-25 min once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Not --locked: its lock file pins a webpki-roots the registry no longer has.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  ensure_node
  if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    log "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
    mkdir -p "$TOOLS_DIR"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
}

ensure_node() {
  command -v npm >/dev/null || apt_install nodejs npm
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    # A development server on loopback: trust local TCP connections.
    local hba; hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
    sudo_if_needed sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  apt_install postgresql-client
  log "starting PostgreSQL"
  local ver; ver=$(ls /etc/postgresql | sort -n | tail -1)
  sudo_if_needed pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; return 1
}

ensure_redis() {
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG; then return 0; fi
  apt_install redis-server
  log "starting Redis"
  sudo_if_needed mkdir -p /var/lib/redis /var/log/redis
  sudo_if_needed redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/threadspace.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && return 0; sleep 0.5; done
  echo "Redis did not come up on 127.0.0.1:6379" >&2; return 1
}

# moto, an S3-protocol server from PyPI, for the S3 storage tests; in its own
# virtualenv under the cache. The tests start it themselves (THREADSPACE_MOTO).
MOTO_VERSION=5.2.5
ensure_moto() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/threadspace/moto"
  export THREADSPACE_MOTO="$venv/bin/moto_server"
  # Not `grep -q`: it exits early, pip gets SIGPIPE, and pipefail fails the test.
  if [ -x "$THREADSPACE_MOTO" ] && "$venv/bin/pip" show moto 2>/dev/null | grep "^Version: $MOTO_VERSION" >/dev/null; then
    return 0
  fi
  command -v python3 >/dev/null || apt_install python3
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  log "installing moto $MOTO_VERSION (S3 test server, PyPI)"
  python3 -m venv "$venv" || { apt_install python3-venv; python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q "moto[server]==$MOTO_VERSION"
}

pg_url() { echo "$PG_ADMIN_URL/$1"; }
psql_admin() { psql "$(pg_url postgres)" -v ON_ERROR_STOP=1 "$@"; }

# Creates a database unless it exists.
ensure_database() {
  local db="$1"
  if ! psql_admin -tAc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
    log "creating database $db"
    psql_admin -q -c "create database \"$db\""
  fi
}

# aiosmtpd, an SMTP server from PyPI, for the mail tests; in its own
# virtualenv under the cache. The tests start it themselves
# (THREADSPACE_SMTP_SINK is the virtualenv's python).
AIOSMTPD_VERSION=1.4.6
ensure_smtp_sink() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/threadspace/aiosmtpd"
  export THREADSPACE_SMTP_SINK="$venv/bin/python"
  if [ -x "$THREADSPACE_SMTP_SINK" ] && "$venv/bin/pip" show aiosmtpd 2>/dev/null | grep "^Version: $AIOSMTPD_VERSION" >/dev/null; then
    return 0
  fi
  command -v python3 >/dev/null || apt_install python3
  log "installing aiosmtpd $AIOSMTPD_VERSION (SMTP test server, PyPI)"
  python3 -m venv "$venv" || { apt_install python3-venv; python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q "aiosmtpd==$AIOSMTPD_VERSION"
}

# The Meilisearch server for tests: not in any registry, so it comes from the
# shared tools folder beside the project (../shared/tools/meilisearch) when
# that exists. Unpacks it once (checking its SHA256SUMS), starts it on a free
# port with a fresh master key and a temporary database, and exports
# THREADSPACE_TEST_MEILI_URL and THREADSPACE_TEST_MEILI_KEY for the tests.
# Returns 1 (the caller prints SKIPPED) when the folder is absent.
start_test_meili() {
  local dir="" d
  for d in "${THREADSPACE_MEILI_TOOLS:-}" "$ROOT/../shared/tools/meilisearch" "/work/shared/tools/meilisearch"; do
    if [ -n "$d" ] && ls "$d"/meilisearch-*.xz >/dev/null 2>&1; then dir="$d"; break; fi
  done
  [ -n "$dir" ] || return 1
  local xz; xz="$(ls "$dir"/meilisearch-*.xz | sort | tail -1)"
  local bin="${XDG_CACHE_HOME:-$HOME/.cache}/threadspace/$(basename "${xz%.xz}")"
  if [ ! -x "$bin" ]; then
    command -v xz >/dev/null || apt_install xz-utils
    (cd "$dir" && sha256sum --quiet -c --ignore-missing SHA256SUMS) || { echo "meilisearch: checksum mismatch" >&2; return 1; }
    mkdir -p "$(dirname "$bin")"
    xz -dc "$xz" > "$bin.tmp" && chmod +x "$bin.tmp" && mv "$bin.tmp" "$bin"
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  MEILI_TEST_DIR="$(mktemp -d)"
  THREADSPACE_TEST_MEILI_KEY="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  "$bin" --db-path "$MEILI_TEST_DIR/data" --http-addr "127.0.0.1:$port" --master-key "$THREADSPACE_TEST_MEILI_KEY" \
    --no-analytics --env development ${MEILI_TEST_ARGS:-} >"$MEILI_TEST_DIR/log" 2>&1 &
  MEILI_TEST_PID=$!
  export THREADSPACE_TEST_MEILI_URL="http://127.0.0.1:$port" THREADSPACE_TEST_MEILI_KEY
  for _ in $(seq 1 100); do
    curl -sf "$THREADSPACE_TEST_MEILI_URL/health" 2>/dev/null | grep -q available && { log "Meilisearch $(basename "$bin") at $THREADSPACE_TEST_MEILI_URL"; return 0; }
    kill -0 "$MEILI_TEST_PID" 2>/dev/null || { cat "$MEILI_TEST_DIR/log" >&2; return 1; }
    sleep 0.1
  done
  echo "meilisearch did not become healthy" >&2
  return 1
}

stop_test_meili() {
  # `wait` returns the killed server's status (143): never let it end a `set -e` caller.
  if [ -n "${MEILI_TEST_PID:-}" ]; then
    kill "$MEILI_TEST_PID" 2>/dev/null || true
    wait "$MEILI_TEST_PID" 2>/dev/null || true
  fi
  if [ -n "${MEILI_TEST_DIR:-}" ]; then rm -rf "$MEILI_TEST_DIR"; fi
  MEILI_TEST_PID=""
  return 0
}
