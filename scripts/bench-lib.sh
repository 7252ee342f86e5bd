# Shared by the bench-* scripts: a release server on its own database, and a
# signed-up owner with an API token. Source after lib.sh.

# bench_build: release server and loadgen.
bench_build() {
  ensure_postgres
  cargo build --quiet --release -p loadgen
  [ -x "$CARGO_TARGET_DIR/release/threadspace" ] || cargo leptos build --release
}

# bench_start DB PORT: serves DB on PORT; sets BENCH_URL, BENCH_PID, BENCH_DIR.
bench_start() {
  local db="$1" port="$2"
  BENCH_URL="http://127.0.0.1:$port"
  BENCH_DIR="$(mktemp -d)"
  DATABASE_URL="$(pg_url "$db")" THREADSPACE_ADDR="127.0.0.1:$port" THREADSPACE_DATA_DIR="$BENCH_DIR" \
    THREADSPACE_LOGIN_LIMIT_ACCOUNT=1000000 THREADSPACE_LOGIN_LIMIT_IP=1000000 RUST_LOG=warn \
    THREADSPACE_RATE_LIMIT_SCALE=${BENCH_RATE_LIMIT_SCALE:-1000} THREADSPACE_WS_PER_MEMBER=100000 THREADSPACE_WS_PER_IP=100000 \
    "$CARGO_TARGET_DIR/release/threadspace" serve >"$BENCH_DIR/server.log" 2>&1 &
  BENCH_PID=$!
  trap 'kill $BENCH_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do curl -sf "$BENCH_URL/readyz" >/dev/null && return 0; sleep 0.5; done
  cat "$BENCH_DIR/server.log"; return 1
}

# bench_token EMAIL: logs EMAIL in (or signs it up) and prints a new API token.
bench_token() {
  local jar="$BENCH_DIR/cookies"
  # Log in first: signing up again with an existing account creates another workspace.
  curl -sf -c "$jar" -H 'content-type: application/json' "$BENCH_URL/api/auth.login" \
    -d "{\"email\":\"$1\",\"password\":\"correct horse battery\"}" >/dev/null \
  || curl -sf -c "$jar" -H 'content-type: application/json' "$BENCH_URL/api/auth.signup" \
    -d "{\"workspace_name\":\"Bench\",\"email\":\"$1\",\"password\":\"correct horse battery\",\"display_name\":\"Bench Owner\"}" >/dev/null
  curl -sf -b "$jar" -H "origin: $BENCH_URL" -H 'content-type: application/json' "$BENCH_URL/api/tokens.create" \
    -d '{"label":"bench"}' | sed -E 's/.*"token":"([^"]+)".*/\1/'
}
