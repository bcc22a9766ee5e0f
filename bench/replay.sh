#!/usr/bin/env bash
# bench/replay.sh - record N SMTP sessions (one `mailkit send` each, against
# serve-smtp --record), then replay all N against a fresh serve-smtp with
# --jobs J, in one run; prints sessions/s (median of REPEAT).
#
#   bench/replay.sh          # N=1000 J=10 REPEAT=3
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-1000} J=${J:-10} REPEAT=${REPEAT:-3}
WORK=${WORK:-/var/tmp/mailkit-replay-bench}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
rm -rf "$WORK"; mkdir -p "$WORK/rec"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
ADDR=
start() { # DIR LOG [FLAGS...]: starts serve-smtp, sets ADDR
  "$MAILKIT" serve-smtp --listen 127.0.0.1:0 --maildir "$1" "${@:3}" >/dev/null 2>"$2" &
  PIDS+=($!)
  for _ in $(seq 100); do
    ADDR=$(sed -n 's/.*smtp listening on //p' "$2"); [[ -n $ADDR ]] && return; sleep 0.05
  done
  echo "serve-smtp did not start" >&2; exit 1
}
start "$WORK/recmail" "$WORK/rec.log" --record "$WORK/rec"; REC=$ADDR
echo "recording $N sessions ..."
for i in $(seq "$N"); do
  "$MAILKIT" send --server "$REC" --from "alice@crepes.fr" --to "bob@hamburger.edu" \
    --subject "session $i" --body "Do you like ketchup?
How about pickles?" >/dev/null
done
for _ in $(seq 100); do [[ $(grep -l '^S: 221' "$WORK"/rec/*.txt | wc -l) -ge $N ]] && break; sleep 0.1; done
echo "recorded: $(ls "$WORK/rec" | wc -l) transcripts"
rates=()
for r in $(seq "$REPEAT"); do
  start "$WORK/fresh$r" "$WORK/fresh$r.log"
  t0=$(date +%s.%N)
  "$MAILKIT" replay --quiet --jobs "$J" --server "$ADDR" "$WORK/rec" >"$WORK/out$r" 2>&1 || { tail -5 "$WORK/out$r"; exit 1; }
  t1=$(date +%s.%N)
  rate=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
  rates+=("$rate")
  echo "run $r: $(tail -1 "$WORK/out$r"), $rate sessions/s (whole process)"
done
M=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo
echo "| replay | sessions | jobs | sessions/s (median of $REPEAT) |"
echo "|---|---:|---:|---:|"
echo "| mailkit replay --jobs $J vs serve-smtp | $N | $J | $M |"
