#!/usr/bin/env bash
# bench/parse.sh - `mailkit parse --json` and `parse --validate` beside
# Python's email package (policy.default, walking every part) over one
# generated corpus, in one run. Prints seconds per run, the medians and the
# ratios.
#
#   bench/parse.sh          # N=10000 REPEAT=3
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-10000} REPEAT=${REPEAT:-3}
CORPUS=${CORPUS:-/var/tmp/mailkit-parse-corpus-$N}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
if [[ ! -f $CORPUS/.done ]]; then
  echo "generating $N messages in $CORPUS ..."
  rm -rf "$CORPUS"
  python3 "$HERE/parse/make-corpus.py" "$CORPUS" "$N"
  touch "$CORPUS/.done"
fi
echo "corpus: $N messages, $(du -sh "$CORPUS" | cut -f1)"

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# Warm the page cache for everyone.
cat "$CORPUS"/*.eml >/dev/null
py=() js=() va=()
for r in $(seq "$REPEAT"); do
  py+=("$(secs python3 "$HERE/parse/python-email.py" "$CORPUS")")
  js+=("$(secs "$MAILKIT" parse --json --quiet "$CORPUS")")
  va+=("$(secs "$MAILKIT" parse --validate --quiet "$CORPUS")")
  echo "run $r: python email ${py[-1]} s, mailkit parse --json ${js[-1]} s, mailkit parse --validate ${va[-1]} s"
done
P=$(printf '%s\n' "${py[@]}" | median)
J=$(printf '%s\n' "${js[@]}" | median)
V=$(printf '%s\n' "${va[@]}" | median)
echo
echo "| tool | messages | seconds (median of $REPEAT) | messages/s |"
echo "|---|---:|---:|---:|"
for row in "Python email (policy.default, walk)|$P" "mailkit parse --json|$J" "mailkit parse --validate|$V"; do
  awk -F'|' -v n="$N" '{ printf "| %s | %d | %.3f | %.0f |\n", $1, n, $2, n / $2 }' <<<"$row"
done
echo
awk -v p="$P" -v j="$J" -v v="$V" 'BEGIN { printf "--json: %.1fx faster than Python; --validate: %.1fx faster\n", p / j, p / v }'
