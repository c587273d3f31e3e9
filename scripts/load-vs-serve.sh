#!/usr/bin/env bash
# umphone load against umphone serve on this machine: N callers of
# scripts/examples/load-leave-message.yaml (302, greeting, DTMF, beep, 5 s message, hang up),
# all started within N/RATE seconds so that about N are in progress at once.
# Prints the load report and both processes' peak RSS and CPU time.
#
#   scripts/load-vs-serve.sh 100 50     # 100 callers at 50/s
#   scripts/load-vs-serve.sh 500 100
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
RATE=${2:-50}
shift 2 || true
DIR=$(mktemp -d)
PORT=${PORT:-25060}
WPORT=$((PORT + 5))
node bin/umphone serve --port "$PORT" --worker-port "$WPORT" --data-dir "$DIR/um-data" > "$DIR/serve.out" 2>&1 &
SERVE=$!
for _ in $(seq 100); do grep -q 'Ctrl-C stops' "$DIR/serve.out" 2>/dev/null && break; sleep 0.1; done
/usr/bin/time -f 'load:  max RSS %M kB, CPU %U s user + %S s sys, %e s' -o "$DIR/load.time" \
  node bin/umphone load scripts/examples/load-leave-message.yaml --var port="$PORT" \
  --calls "$N" --rate "$RATE" --concurrency "$N" --json "$DIR/load.json" -q "$@" || true
# The server's peak RSS and CPU time, read before it stops (clock ticks of /proc/PID/stat).
TICK=$(getconf CLK_TCK)
read -r UT ST < <(awk '{print $14, $15}' "/proc/$SERVE/stat")
echo "serve: max RSS $(awk '/VmHWM/ {print $2}' "/proc/$SERVE/status") kB, CPU $(echo "scale=2; $UT/$TICK" | bc) s user + $(echo "scale=2; $ST/$TICK" | bc) s sys, $(ls "/proc/$SERVE/fd" | wc -l) fds open after the run" > "$DIR/serve.time"
kill -TERM "$SERVE"; wait "$SERVE" || true
cat "$DIR/load.time" "$DIR/serve.time"
echo "server: $(grep -c 'saved in mailbox' "$DIR/serve.out" || true) messages kept; files in $DIR"
