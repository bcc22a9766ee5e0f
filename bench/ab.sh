#!/usr/bin/env bash
# bench/ab.sh - two mailkit builds side by side on the same work, interleaved
# in one run: a regression check for changes to hot paths (the event loop,
# the store, the parser). Loopback only.
#
#   OLD=/path/to/old/mailkit NEW=target/release/mailkit bench/ab.sh
#
# For each build, REPEAT times, alternating:
#   intake: serve-smtp storing durably, `mailkit send --count N
#           --connections C` (the NEW sender for both) -> msgs/s
#   fetch:  serve-pop3 over a Maildir of M x 10 KB messages, `mailkit fetch
#           --stdout` (the NEW client for both) -> msgs/s
#   parse:  `mailkit parse --json` over the same Maildir -> msgs/s
# Prints each run, the medians and NEW/OLD ratios.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NEW=${NEW:-$HERE/../target/release/mailkit}
OLD=${OLD:?set OLD to the other build}
N=${N:-20000} C=${C:-10} M=${M:-5000} REPEAT=${REPEAT:-3}
OUT=${OUT:-$(mktemp -d /tmp/mailkit-ab.XXXXXX)}
for b in "$NEW" "$OLD"; do [[ -x $b ]] || { echo "not executable: $b" >&2; exit 2; }; done

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }

# Start a server in the background (its pid in LOG.pid; stdout not the
# caller's pipe) and echo its address once it listens.
start() {
  local log=$1; shift
  "$@" --listen 127.0.0.1:0 >/dev/null 2>"$log" &
  echo $! >"$log.pid"
  for _ in $(seq 100); do
    grep -q 'listening on' "$log" 2>/dev/null && break
    sleep 0.05
  done
  sed -n 's/.* listening on //p' "$log" | head -1
}

# Stop the server started with log file $1 and wait until it is gone.
stop() {
  local pid
  pid=$(cat "$1.pid")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

# The Maildir every fetch and parse run reads: M messages of 10 KB.
SRC="$OUT/src"
mkdir -p "$SRC/bob@hamburger.edu/"{new,cur,tmp}
python3 - "$SRC/bob@hamburger.edu/new" "$M" <<'PY'
import os, sys
d, m = sys.argv[1], int(sys.argv[2])
body = ("x" * 63 + "\n") * 160
for i in range(m):
    with open(os.path.join(d, f"1700000000.M{i}P1Q{i}.bench"), "w") as f:
        f.write(f"From: a@b.c\nTo: bob@hamburger.edu\nSubject: m{i}\nDate: Tue, 02 Jan 2024 09:30:00 +0100\n\n{body}")
PY

intake() {
  local bin=$1 dir="$OUT/intake-$RANDOM"
  local addr
  addr=$(start "$dir.log" "$bin" serve-smtp --quiet --maildir "$dir")
  local t0 t1
  t0=$(now)
  "$NEW" send --server "$addr" --from a@b.c --to bob@hamburger.edu --body x \
    --count "$N" --connections "$C" >/dev/null
  t1=$(now)
  stop "$dir.log"
  rm -rf "$dir"
  rate "$N" "$t0" "$t1"
}

fetch() {
  local bin=$1 dir="$OUT/fetch-$RANDOM"
  cp -r "$SRC" "$dir"
  local addr
  addr=$(start "$dir.log" "$bin" serve-pop3 --maildir "$dir")
  local t0 t1
  t0=$(now)
  "$NEW" fetch --server "$addr" --user bob@hamburger.edu --password x --stdout >/dev/null
  t1=$(now)
  stop "$dir.log"
  rm -rf "$dir"
  rate "$M" "$t0" "$t1"
}

parse() {
  local bin=$1 t0 t1
  t0=$(now)
  "$bin" parse --json --quiet "$SRC/bob@hamburger.edu" >/dev/null
  t1=$(now)
  rate "$M" "$t0" "$t1"
}

for what in intake fetch parse; do
  new=() old=()
  for r in $(seq "$REPEAT"); do
    n=$($what "$NEW"); o=$($what "$OLD")
    echo "$what run $r: new $n msgs/s, old $o msgs/s"
    new+=("$n"); old+=("$o")
  done
  mn=$(printf '%s\n' "${new[@]}" | median)
  mo=$(printf '%s\n' "${old[@]}" | median)
  echo "$what median: new $mn, old $mo, new/old $(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.2f", a / b }')"
done
rm -rf "$OUT"
