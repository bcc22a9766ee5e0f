#!/usr/bin/env bash
# bench/http.sh - serve-http's index and API beside maildev, in one run,
# loopback only:
#   1. index: serve-http over a store of N messages (10 mailboxes; about
#      1.2 KB each): seconds from start to /readyz 200 (the index built),
#      and the process's RSS then;
#   2. load: wrk, C connections for D seconds each, p50/p99 latency and
#      requests/s of the first page of the list (GET /api/v1/messages),
#      a subject search for one message's whole subject
#      (subject:"Report 42 about topic42"), a subject word in 1 % of the
#      messages (subject:topic42: a page of 50 of 1,000 matches) and a
#      body word in 0.2 % (zanzibar);
#   3. maildev (npm maildev 2.x) holding MD_N of the same messages (sent
#      over SMTP), under the same load: its list (GET /email: maildev has
#      no paging, its page downloads every message), its search (GET
#      /email?subject=EXACT: the only server-side search it has, an exact
#      field match, so it is set beside the whole-subject search; it has
#      no word search) and, for the body word, the list again (maildev's
#      page searches bodies in the browser, after downloading them all).
# Prints a table and mailkit's advantage (maildev's p50 / mailkit's p50).
#
#   bench/http.sh            # N=100000 MD_N=10000 C=50 D=10
#   N=20000 MD_N=2000 D=5 bench/http.sh
#
# Needs: wrk (apt-get install wrk), node and npm (maildev is installed into
# $WORK/maildev from the npm registry on the first run).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-100000} MD_N=${MD_N:-10000} C=${C:-50} D=${D:-10}
WORK=${WORK:-/var/tmp/mailkit-http-bench}
MK_PORT=${MK_PORT:-2830} MD_WEB=${MD_WEB:-2831} MD_SMTP=${MD_SMTP:-2832}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
command -v npm >/dev/null || { echo "needs node and npm" >&2; exit 2; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

mkdir -p "$WORK"
rm -rf "$WORK/mail"
if [[ ! -x $WORK/maildev/node_modules/.bin/maildev ]]; then
  echo "installing maildev ..."
  mkdir -p "$WORK/maildev" && (cd "$WORK/maildev" && npm install --silent maildev@2 >/dev/null)
fi
echo "making $N messages ..."
python3 "$HERE/http/make-corpus.py" maildir "$WORK/mail" "$N" 10
sync

# wrk's p50, p99 (ms) and requests/s for URL.
load() {
  local out
  out=$(wrk -t2 -c"$C" -d"${D}s" --timeout 60s --latency "$1")
  python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def ms(v):
    n, u = float(re.match(r"[\d.]+", v).group()), re.sub(r"[\d.]+", "", v)
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
p = {k: ms(v) for k, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
print(f"{p['50']:.2f} {p['99']:.2f} {rps:.1f}" + (f" ({errs.group(0)})" if errs else ""))
PY
}

echo "== 1. serve-http: index of $N messages"
t0=$(date +%s.%N)
"$MAILKIT" serve-http --listen 127.0.0.1:$MK_PORT --maildir "$WORK/mail" 2>"$WORK/mailkit.log" &
pids+=($!); MK_PID=$!
until curl -sf "http://127.0.0.1:$MK_PORT/readyz" >/dev/null; do sleep 0.02; done
t1=$(date +%s.%N)
build=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$MK_PID/status)
echo "index built in ${build} s; RSS ${rss} MB"

echo "== 2. serve-http under wrk -c$C -d${D}s"
base="http://127.0.0.1:$MK_PORT/api/v1"
mk_list=$(load "$base/messages")
mk_subj=$(load "$base/search?query=subject%3A%22Report%2042%20about%20topic42%22")
mk_word=$(load "$base/search?query=subject%3Atopic42")
mk_body=$(load "$base/search?query=zanzibar")
for r in "list $mk_list" "subject $mk_subj" "subject-word $mk_word" "body $mk_body"; do echo "  $r"; done
kill "$MK_PID"; wait "$MK_PID" 2>/dev/null || true

echo "== 3. maildev with $MD_N messages"
rm -rf "$WORK/maildev-store"
"$WORK/maildev/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp $MD_SMTP --web $MD_WEB \
  --mail-directory "$WORK/maildev-store" --silent >"$WORK/maildev.log" 2>&1 &
pids+=($!); MD_PID=$!
until curl -sf "http://127.0.0.1:$MD_WEB/email" >/dev/null; do sleep 0.1; done
python3 "$HERE/http/make-corpus.py" smtp 127.0.0.1:$MD_SMTP "$MD_N" 10
until [[ $(curl -s "http://127.0.0.1:$MD_WEB/email" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -ge $MD_N ]]; do sleep 0.5; done
md_list=$(load "http://127.0.0.1:$MD_WEB/email")
md_subj=$(load "http://127.0.0.1:$MD_WEB/email?subject=Report%2042%20about%20topic42")
md_body=$md_list
for r in "list $md_list" "subject $md_subj" "body(list) $md_body"; do echo "  $r"; done

echo
echo "| request | mailkit ($N msgs) p50 / p99 ms, req/s | maildev ($MD_N msgs) p50 / p99 ms, req/s | p50 ratio |"
echo "|---|---|---|---|"
row() {
  python3 - "$@" <<'PY'
import sys
name, mk, md = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
if not md:
    print(f"| {name} | {mk[0]} / {mk[1]}, {mk[2]} | (no such search) | |")
else:
    print(f"| {name} | {mk[0]} / {mk[1]}, {mk[2]} | {md[0]} / {md[1]}, {md[2]} | {float(md[0]) / float(mk[0]):.0f}x |")
PY
}
row "first page of the list" "$mk_list" "$md_list"
row "whole-subject search" "$mk_subj" "$md_subj"
row "subject word, 1 %" "$mk_word" ""
row "body-word search" "$mk_body" "$md_body"
echo
echo "index build: ${build} s for $N messages, RSS ${rss} MB"
