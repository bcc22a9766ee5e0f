#!/usr/bin/env bash
# bench/relay.sh - serve-smtp as a relay beside the same server's local
# intake, one run, loopback only. Load: Postfix smtp-source, 10 sessions,
# 1 KB messages. The relay queues each message durably (before its 250)
# and delivers it to Postfix smtp-sink; its figure is messages per second
# from the first message in to the queue being empty again (everything
# delivered and removed). Local intake: the same load to a local mailbox.
#
#   bench/relay.sh           # N=20000 C=10 SIZE=1024 REPEAT=3
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-20000} C=${C:-10} SIZE=${SIZE:-1024} REPEAT=${REPEAT:-3}
WORK=${WORK:-/var/tmp/mailkit-relay-bench}
A=127.0.0.1:${A_PORT:-2801} SINK=127.0.0.1:${SINK_PORT:-2802}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
[[ -x /usr/sbin/smtp-source && -x /usr/sbin/smtp-sink ]] || { echo "needs Postfix: apt-get install postfix" >&2; exit 2; }
rm -rf "$WORK"; mkdir -p "$WORK"
/usr/sbin/smtp-sink -u nobody -m 2000 "$SINK" 2048 &
SINKPID=$!
"$MAILKIT" serve-smtp --quiet --listen "$A" --hostname relay.test --domain local.test \
  --relay-from 127.0.0.0/8 --route "sink.test=$SINK" --maildir "$WORK/mail" >/dev/null 2>"$WORK/a.log" &
APID=$!
trap 'kill $APID $SINKPID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q "listening on $A" "$WORK/a.log" && break; sleep 0.05; done
now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
loc=() rel=()
for r in $(seq "$REPEAT"); do
  t0=$(now)
  /usr/sbin/smtp-source -s "$C" -l "$SIZE" -m "$N" -d -f alice@local.test -t bob@local.test "$A"
  t1=$(now)
  loc+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')")
  t0=$(now)
  /usr/sbin/smtp-source -s "$C" -l "$SIZE" -m "$N" -d -f alice@local.test -t someone@sink.test "$A"
  t_in=$(now)
  while [[ $(find "$WORK/mail/.queue/env" -type f | wc -l) -gt 0 ]]; do sleep 0.05; done
  t1=$(now)
  rel+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')")
  echo "run $r: local intake ${loc[-1]} msgs/s; relayed ${rel[-1]} msgs/s (in $(awk -v a="$t0" -v b="$t_in" 'BEGIN { printf "%.2f", b - a }') s, drained $(awk -v a="$t_in" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s later)"
done
L=$(printf '%s\n' "${loc[@]}" | median) R=$(printf '%s\n' "${rel[@]}" | median)
echo
echo "| serve-smtp, smtp-source -s $C, $SIZE-byte messages | msgs/s (median of $REPEAT) |"
echo "|---|---:|"
echo "| local intake (stored in a Maildir) | $L |"
echo "| relayed (queued durably, delivered to smtp-sink, queue empty) | $R |"
awk -v l="$L" -v r="$R" 'BEGIN { printf "\nrelayed / local = %.2f\n", r / l }'
