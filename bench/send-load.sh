#!/usr/bin/env bash
# bench/send-load.sh - mailkit send's load generator beside Postfix smtp-source,
# both against one Postfix smtp-sink, in one run. Loopback only.
#
#   bench/send-load.sh            # N=20000 C=10 SIZE=1024 REPEAT=3
#
# Same load for both: N messages of SIZE body bytes over C sessions, one
# connection per session reused for all its messages (smtp-source -d).
# smtp-source does not pipeline; mailkit send pipelines when offered.
# Prints msgs/s per run, the medians, and the ratio mailkit/smtp-source.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-20000} C=${C:-10} SIZE=${SIZE:-1024} REPEAT=${REPEAT:-3}
ADDR=${ADDR:-127.0.0.1:2525}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
[[ -x /usr/sbin/smtp-sink && -x /usr/sbin/smtp-source ]] || { echo "needs Postfix: apt-get install postfix" >&2; exit 2; }
case ${ADDR%:*} in 127.*) ;; *) echo "loopback only" >&2; exit 2 ;; esac

/usr/sbin/smtp-sink -u nobody -m 2000 "$ADDR" 2048 &
SINK=$!
trap 'kill $SINK 2>/dev/null; wait $SINK 2>/dev/null' EXIT
sleep 0.5

# A SIZE-byte body in 64-byte lines, like smtp-source's.
BODY=$(python3 -c "import sys; n=int(sys.argv[1]); l='x'*63+'\n'; print((l*(n//64+1))[:n], end='')" "$SIZE")

rate() { awk -v n="$N" -v t="$1" 'BEGIN { printf "%.1f", n / t }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
src=() mk=()
for ((i = 1; i <= REPEAT; i++)); do
  t0=$(date +%s.%N)
  timeout 300 /usr/sbin/smtp-source -4 -s "$C" -l "$SIZE" -m "$N" -d -M localhost -f a@localhost -t b@localhost "$ADDR"
  t1=$(date +%s.%N)
  r=$(rate "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"); src+=("$r")
  echo "run $i: smtp-source $r msgs/s"
  t0=$(date +%s.%N)
  out=$(timeout 300 "$MAILKIT" send --server "$ADDR" --from a@localhost --to b@localhost --subject load \
        --body "$BODY" --count "$N" --connections "$C")
  t1=$(date +%s.%N)
  r=$(rate "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"); mk+=("$r")
  echo "run $i: mailkit send $r msgs/s (whole process; its own summary: ${out})"
done
s=$(printf '%s\n' "${src[@]}" | median); m=$(printf '%s\n' "${mk[@]}" | median)
echo
echo "| load generator | sessions | size | messages | msgs/s (median of $REPEAT) |"
echo "|---|---:|---:|---:|---:|"
echo "| smtp-source -d | $C | $SIZE | $N | $s |"
echo "| mailkit send | $C | $SIZE | $N | $m |"
awk -v m="$m" -v s="$s" 'BEGIN { printf "\nmailkit send / smtp-source = %.2f\n", m / s }'
