#!/usr/bin/env bash
# bench/tls.sh - what TLS costs serve-smtp, in one run, loopback only:
#  1. sessions per second (connect, greeting, QUIT) over plain TCP and over
#     implicit TLS (one full handshake each): `mailkit replay --jobs 10` of
#     N tiny transcripts against the plain and the --tls-listen port;
#  2. 1 KB messages per second at 10 sessions, plain and over STARTTLS:
#     `mailkit send --count M --connections 10 [--starttls --insecure]`.
# serve-smtp uses --tls-self-signed (an ECDSA P-256 certificate from rcgen).
#
#   bench/tls.sh            # N=2000 M=20000 REPEAT=3
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-2000} M=${M:-20000} REPEAT=${REPEAT:-3}
WORK=${WORK:-/var/tmp/mailkit-tls-bench}
PLAIN=127.0.0.1:${PLAIN_PORT:-2701} TLS=127.0.0.1:${TLS_PORT:-2702}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
rm -rf "$WORK"; mkdir -p "$WORK/t"
"$MAILKIT" serve-smtp --quiet --listen "$PLAIN" --tls-listen "$TLS" --tls-self-signed \
  --maildir "$WORK/mail" >/dev/null 2>"$WORK/server.log" &
SRV=$!
trap 'kill $SRV 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q "listening on $TLS" "$WORK/server.log" && break; sleep 0.05; done
for i in $(seq "$N"); do printf 'S: 220 x\nC: QUIT\nS: 221 bye\n' >"$WORK/t/$i.txt"; done
BODY=$(python3 -c "print(('x'*63+'\n')*16, end='')")
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
sp=() st=() mp=() mt=()
for r in $(seq "$REPEAT"); do
  sp+=("$(rate "$N" "$(secs "$MAILKIT" replay --quiet --jobs 10 --server "$PLAIN" "$WORK/t")")")
  st+=("$(rate "$N" "$(secs "$MAILKIT" replay --quiet --jobs 10 --tls --insecure --server "$TLS" "$WORK/t")")")
  mp+=("$(rate "$M" "$(secs "$MAILKIT" send --server "$PLAIN" --count "$M" --connections 10 --from a@crepes.fr --to bob@hamburger.edu --body "$BODY")")")
  mt+=("$(rate "$M" "$(secs "$MAILKIT" send --server "$PLAIN" --count "$M" --connections 10 --starttls --insecure --from a@crepes.fr --to bob@hamburger.edu --body "$BODY")")")
  echo "run $r: sessions/s plain ${sp[-1]}, TLS ${st[-1]}; 1 KB msgs/s plain ${mp[-1]}, STARTTLS ${mt[-1]}"
done
SP=$(printf '%s\n' "${sp[@]}" | median) ST=$(printf '%s\n' "${st[@]}" | median)
MP=$(printf '%s\n' "${mp[@]}" | median) MT=$(printf '%s\n' "${mt[@]}" | median)
echo
echo "| serve-smtp, 10 concurrent clients | plain | TLS | TLS / plain |"
echo "|---|---:|---:|---:|"
awk -v p="$SP" -v t="$ST" -v n="$N" 'BEGIN { printf "| sessions/s (connect, greeting, QUIT; %d sessions) | %d | %d | %.2f |\n", n, p, t, t / p }'
awk -v p="$MP" -v t="$MT" -v n="$M" 'BEGIN { printf "| 1 KB messages/s, stored durably (%d messages) | %d | %d | %.2f |\n", n, p, t, t / p }'
