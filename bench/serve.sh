#!/usr/bin/env bash
# bench/serve.sh - mailkit serve (every protocol in one process), loopback:
#   1. idle: RSS and threads of `mailkit serve` with SMTP, POP3, IMAP and
#      HTTP on, nothing connected;
#   2. intake: `mailkit send --count N --connections C` into its SMTP
#      port, messages per second, REPEAT runs, the median:
#      a. alone;
#      b. while the same process holds IDLE_N IMAP connections in IDLE
#         (dave's INBOX, bench/imap/idle.py) and a WebSocket event stream
#         (bench/http/events.py) that hears of every delivery.
#
#   3. latency: one message at a time, from its 250 to the IMAP IDLE
#      client's EXISTS and to the event stream's "new" (bench/serve/latency.py).
#
# Alone and beside runs alternate (each on a fresh server), so drift in
# the machine's disk and CPU falls on both alike. WORK on tmpfs
# (WORK=/dev/shm/...) takes the disk's noise out altogether (fsync free):
# the figure then is the server's, not the disk's.
#
#   bench/serve.sh          # N=20000 C=10 SIZE=1024 IDLE_N=1000 REPEAT=5 LAT=200
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-20000} C=${C:-10} SIZE=${SIZE:-1024} IDLE_N=${IDLE_N:-1000} REPEAT=${REPEAT:-5} LAT=${LAT:-200}
WORK=${WORK:-/var/tmp/mailkit-serve-bench}
SMTP=127.0.0.1:2840 POP3=127.0.0.1:2841 IMAP=127.0.0.1:2842 HTTP=127.0.0.1:2843
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
BODY=$(head -c "$SIZE" /dev/zero | tr '\0' 'x')

start() {
  rm -rf "$WORK"; mkdir -p "$WORK"
  "$MAILKIT" serve --smtp $SMTP --pop3 $POP3 --imap $IMAP --http $HTTP --maildir "$WORK/mail" \
    --quiet --max-user-connections 100000 2>"$WORK/serve.log" &
  SERVE=$!; pids+=($SERVE)
  until curl -sf "http://$HTTP/readyz" >/dev/null; do sleep 0.05; done
}

intake() {
  "$MAILKIT" send --server $SMTP --from a@bench.test --to bob@bench.test --subject load \
    --body "$BODY" --count "$N" --connections "$C" 2>&1 | grep -o '[0-9.]* msg/s' | cut -d' ' -f1
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== 1. idle"
start
sleep 2
rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$SERVE/status)
threads=$(awk '/Threads/ {print $2}' /proc/$SERVE/status)
echo "idle mailkit serve: RSS ${rss} MB, ${threads} threads"

echo "== 2. intake ($N x ${SIZE} B, $C connections): alone and beside $IDLE_N IMAP IDLE connections and an event stream, alternating"
alone=() beside=()
for _ in $(seq "$REPEAT"); do
  kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; start
  alone+=("$(intake)")
  kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; start
  mkdir -p "$WORK/mail/dave@bench.test/"{tmp,new,cur}
  coproc IDLE { python3 "$HERE/imap/idle.py" 127.0.0.1 "${IMAP#*:}" dave@bench.test pw "$IDLE_N"; }
  read -r ready <&"${IDLE[0]}"
  python3 "$HERE/http/events.py" "$HTTP" >"$WORK/events.txt" &
  EV=$!
  sleep 1
  beside+=("$(intake)")
  sleep 1
  kill "$EV" 2>/dev/null || true
  exec {IDLE[1]}>&-
  wait "$IDLE_PID" 2>/dev/null || true
  echo "  alone ${alone[-1]}, beside ${beside[-1]} ($ready; event stream heard $(grep -c '"new"' "$WORK/events.txt" || true) new events)"
done
echo "  alone runs: ${alone[*]}"
echo "  beside runs: ${beside[*]}"
a=$(printf '%s\n' "${alone[@]}" | median)
b=$(printf '%s\n' "${beside[@]}" | median)
echo
echo "| | messages/s (median of $REPEAT) |"
echo "|---|---|"
echo "| intake alone | $a |"
echo "| intake beside $IDLE_N IDLE + event stream | $b |"
python3 -c "print(f'ratio beside/alone: {float($b)/float($a):.2f}')"
echo "idle RSS ${rss} MB, ${threads} threads"

echo
echo "== 3. delivery latency: 250 -> IMAP IDLE and 250 -> the web page's event stream ($LAT messages)"
kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; start
python3 "$HERE/serve/latency.py" $SMTP $IMAP $HTTP "$LAT"
