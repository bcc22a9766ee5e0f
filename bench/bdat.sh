#!/usr/bin/env bash
# bench/bdat.sh - BDAT (RFC 3030 CHUNKING) against DATA into serve-smtp,
# loopback: `mailkit send --count N --connections C` with 1 KB and 100 KB
# bodies, by default (BDAT, the server offers CHUNKING) and with
# --no-chunking (DATA, dot-stuffed), alternating, REPEAT runs each on a
# fresh server, medians and the BDAT/DATA ratio printed.
#
#   bench/bdat.sh      # N1=20000 N100=2000 C=10 REPEAT=5 WORK=/var/tmp/mailkit-bdat-bench
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N1=${N1:-20000} N100=${N100:-2000} C=${C:-10} REPEAT=${REPEAT:-5}
WORK=${WORK:-/var/tmp/mailkit-bdat-bench}
ADDR=127.0.0.1:2860
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
SERVE=
cleanup() { [[ -n $SERVE ]] && kill "$SERVE" 2>/dev/null || true; }
trap cleanup EXIT

start() {
  cleanup
  rm -rf "$WORK"; mkdir -p "$WORK"
  "$MAILKIT" serve-smtp --listen $ADDR --maildir "$WORK/mail" --quiet --max-memory 4G \
    >/dev/null 2>"$WORK/serve.log" &
  SERVE=$!
  until grep -qs 'listening on' "$WORK/serve.log"; do sleep 0.05; done
}

# Lines of 76 characters, as a base64 attachment would have them.
body() { head -c "$1" /dev/zero | tr '\0' 'x' | fold -w 76; }

send() { # SIZE COUNT [flags...]: messages/s
  local size=$1 n=$2; shift 2
  "$MAILKIT" send --server $ADDR --from a@bench.test --to bob@bench.test --subject load \
    --body "$(body "$size")" --count "$n" --connections "$C" "$@" 2>&1 |
    grep -o '[0-9.]* msg/s' | cut -d' ' -f1
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| body | messages | BDAT msg/s (median of $REPEAT) | DATA msg/s | BDAT/DATA |"
echo "|---|---|---|---|---|"
for spec in "1024 $N1" "102400 $N100"; do
  read -r size n <<<"$spec"
  bdat=() data=()
  for _ in $(seq "$REPEAT"); do
    start; bdat+=("$(send "$size" "$n")")
    start; data+=("$(send "$size" "$n" --no-chunking)")
  done
  echo "  ($size B: BDAT ${bdat[*]}; DATA ${data[*]})" >&2
  b=$(printf '%s\n' "${bdat[@]}" | median)
  d=$(printf '%s\n' "${data[@]}" | median)
  printf '| %s B | %s | %s | %s | %s |\n' "$size" "$n" "$b" "$d" \
    "$(python3 -c "print(f'{float($b)/float($d):.2f}')")"
done
