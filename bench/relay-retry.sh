#!/usr/bin/env bash
# bench/relay-retry.sh - relayed intake while the queue is saving retries,
# loopback only. The next hop (Postfix smtp-sink -r rcpt) answers 4xx to
# every RCPT, so each message relayed is queued, tried, and its new state
# (attempts, next try, last reply) saved: a retry storm. Load: `mailkit
# send --count N --connections 10` (the relay's intake, msg/s), then the
# time until every entry's retry state is on disk.
#
#   bench/relay-retry.sh                      # N=5000 REPEAT=3
#   BASELINE=/path/to/older/mailkit bench/relay-retry.sh   # both, interleaved
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-5000} REPEAT=${REPEAT:-3}
WORK=${WORK:-/var/tmp/mailkit-retry-bench}
A=127.0.0.1:${A_PORT:-2811} SINK=127.0.0.1:${SINK_PORT:-2812}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
[[ -x /usr/sbin/smtp-sink ]] || { echo "needs Postfix's smtp-sink: apt-get install postfix" >&2; exit 2; }
mkdir -p "$WORK"
/usr/sbin/smtp-sink -u nobody -r rcpt "$SINK" 2048 &
SINKPID=$!
trap 'kill $SINKPID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

one() { # BIN -> "intake_msgs_per_s seconds_until_saved"
  local bin=$1 d="$WORK/run-$(date +%s%N)"
  mkdir -p "$d"
  "$bin" serve-smtp --quiet --listen "$A" --hostname relay.test --domain local.test \
    --relay-from 127.0.0.0/8 --route "far.test=$SINK" --retry-base 600 \
    --maildir "$d/mail" >/dev/null 2>"$d/log" &
  local pid=$!
  for _ in $(seq 100); do grep -q "listening on $A" "$d/log" && break; sleep 0.05; done
  local t0 t1 rate
  t0=$(date +%s.%N)
  rate=$("$MAILKIT" send --server "$A" --from a@local.test --to x@far.test --count "$N" \
    --connections 10 --body hi 2>&1 | grep -oE '[0-9.]+ msg/s' | cut -d' ' -f1)
  for _ in $(seq 1200); do
    [[ $(find "$d/mail/.queue/env" -type f 2>/dev/null | wc -l) -ge $N ]] && break
    sleep 0.05
  done
  t1=$(date +%s.%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$rate $(echo "$t1 - $t0" | bc)"
}

bins=("$MAILKIT")
[[ -n ${BASELINE:-} ]] && bins=("$BASELINE" "$MAILKIT")
for r in $(seq "$REPEAT"); do
  for b in "${bins[@]}"; do
    read -r rate secs < <(one "$b")
    echo "run $r: $b: intake $rate msg/s, all $N retry states saved after $secs s"
  done
done
