#!/usr/bin/env bash
# Soak: umphone load against umphone serve for a long run (default 10 minutes, 2 calls/s, at most 50
# at once), sampling both processes' RSS and open file descriptors every 10 s into soak.csv, so a
# leak shows as a slope; each process also writes its live event-loop resources (timers, sockets) every
# 10 s (UMPHONE_RESOURCES_FILE), after a full garbage collection (node --expose-gc: a pause of some
# milliseconds every 10 s), so its heap figure is the live set and its slope a leak, not garbage the
# collector has not reached yet. Not a test (it takes minutes); run it by hand:
#
#   scripts/load-soak.sh            # 10m, 2/s, 50 at once
#   scripts/load-soak.sh 30m 5 100
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10m}
RATE=${2:-2}
CONC=${3:-50}
DIR=$(mktemp -d)
PORT=${PORT:-26060}
UMPHONE_RESOURCES_FILE="$DIR/serve.resources" node --expose-gc bin/umphone serve --port "$PORT" --worker-port $((PORT + 5)) --data-dir "$DIR/um-data" > "$DIR/serve.out" 2>&1 &
SERVE=$!
for _ in $(seq 100); do grep -q 'Ctrl-C stops' "$DIR/serve.out" 2>/dev/null && break; sleep 0.1; done
UMPHONE_RESOURCES_FILE="$DIR/load.resources" node --expose-gc bin/umphone load scripts/examples/load-leave-message.yaml --var port="$PORT" --duration "$DURATION" \
  --rate "$RATE" --concurrency "$CONC" --json "$DIR/load.json" > "$DIR/load.out" 2> "$DIR/progress.txt" &
LOAD=$!
echo "t_s,load_rss_kb,load_fds,serve_rss_kb,serve_fds" > "$DIR/soak.csv"
T0=$(date +%s)
sample() {
  local p=$1
  echo "$(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0),$(ls /proc/$p/fd 2>/dev/null | wc -l)"
}
while kill -0 "$LOAD" 2>/dev/null; do
  echo "$(( $(date +%s) - T0 )),$(sample $LOAD),$(sample $SERVE)" >> "$DIR/soak.csv"
  sleep 10
done
wait "$LOAD" || true
sleep 2
echo "$(( $(date +%s) - T0 )),0,0,$(sample $SERVE)" >> "$DIR/soak.csv"
# The server's resources once its last call has ended (the interval writes every 10 s).
sleep 9
kill -TERM "$SERVE"; wait "$SERVE" || true
cat "$DIR/load.out"
for who in load serve; do
  echo "$who: live resources (timers, sockets ...) first, middle and last sample:"
  f="$DIR/$who.resources"
  n=$(wc -l < "$f")
  sed -n "1p;$(( (n + 1) / 2 ))p;${n}p" "$f" | node -e 'for (const l of require("fs").readFileSync(0, "utf8").trim().split("\n")) { const r = JSON.parse(l); console.log(`  ${r.t_s}s rss ${(r.rss / 2 ** 20).toFixed(0)} MB heap ${(r.heapUsed / 2 ** 20).toFixed(0)} MB ${Object.entries(r.resources).map(([k, v]) => `${k} ${v}`).join(", ")}`); }'
done
echo "samples (every 10 s): $DIR/soak.csv"
column -s, -t "$DIR/soak.csv" | awk 'NR == 1 || NR % 6 == 2'
