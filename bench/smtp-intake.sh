#!/usr/bin/env bash
# bench/smtp-intake.sh - serve-smtp beside its peers in one run, loopback only.
#
# Load: Postfix smtp-source (HELO, no pipelining, connection reuse), 1 KB
# messages, 10 and 100 sessions. Servers, one fresh process per cell:
#   sink      Postfix smtp-sink (stores nothing: the ceiling)
#   aiosmtpd  python -m aiosmtpd with its Sink handler (stores nothing)
#   postfix   a private Postfix (queue files fsynced, then discarded)
#   mailkit   mailkit serve-smtp storing durably into a fresh Maildir on disk
# Then mailkit's memory with 10,000 idle connections.
#
# Needs: apt-get install postfix (smtp-source, smtp-sink, master), pip install
# aiosmtpd, and a release build (cargo build --release).
# Knobs: CONCS="10 100" SIZES=1024 REPEAT=3 SERVERS="sink aiosmtpd postfix mailkit"
#        IDLE_CONNS=10000 OUT=/tmp/mailkit-bench/<ts> BENCH_DIR=/var/tmp/mailkit-bench
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/../shared/bench" && pwd)}
MAILKIT=${MAILKIT:-$ROOT/target/release/mailkit}
BENCH_DIR=${BENCH_DIR:-/var/tmp/mailkit-bench}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
[[ -x /usr/sbin/smtp-source ]] || { echo "needs Postfix's smtp-source: apt-get install postfix" >&2; exit 2; }
mkdir -p "$BENCH_DIR"

# A fresh Maildir for every server start (exec keeps the PID the scripts
# watch). Old ones are removed only after the last measurement: on ext4
# without a journal, inodes freed in the last 30 s are skipped when new
# files are created, so deleting 100,000 messages right before a run would
# slow the next server down.
rm -rf "$BENCH_DIR"/mail-*
WRAP="$BENCH_DIR/mailkit-fresh.sh"
cat >"$WRAP" <<WRAPEOF
#!/usr/bin/env bash
exec "$MAILKIT" serve-smtp --quiet --maildir "$BENCH_DIR/mail-\$(date +%s%N)" --listen 127.0.0.1:2530 --max-connections 20000 "\$@"
WRAPEOF
chmod +x "$WRAP"
trap 'rm -rf "$BENCH_DIR"/mail-*' EXIT
sleep "${SETTLE:-30}"   # let earlier deletions age out (see above)

export OUT=${OUT:-/tmp/mailkit-bench/$(date +%Y%m%d-%H%M%S)}
export SERVERS=${SERVERS:-"sink aiosmtpd postfix mailkit"}
export CONCS=${CONCS:-"10 100"} SIZES=${SIZES:-1024} REPEAT=${REPEAT:-3}
export MAILKIT_CMD="$WRAP" MAILKIT_ADDR=127.0.0.1:2530 IDLE=0
"$SHARED/run-matrix.sh"

echo
echo "== mailkit with ${IDLE_CONNS:-10000} idle connections"
"$SHARED/smtp-throughput.sh" --name mailkit --addr 127.0.0.1:2530 -m 0 --rss \
  --idle-conns "${IDLE_CONNS:-10000}" --log-dir "$OUT/logs" -- "$WRAP" | tee -a "$OUT/raw.txt"

echo
echo "== ratios (msgs/s, median of $REPEAT)"
awk '
  function kv(line, arr,   i, n, f, p) { delete arr; n = split(line, f, " ")
    for (i = 1; i <= n; i++) { p = index(f[i], "="); if (p) arr[substr(f[i], 1, p - 1)] = substr(f[i], p + 1) } }
  /stat=median/ { kv($0, a); r[a["server"], a["conc"], a["size"]] = a["msgs_per_s"]; c[a["conc"] SUBSEP a["size"]] = 1 }
  /idle_conns=/ { kv($0, a); idle = sprintf("mailkit idle: %s connections opened, %s banners, %s KB RSS per connection (%s KB PSS)", a["opened"], a["banners"], a["per_conn_kb"], a["pss_per_conn_kb"]) }
  END {
    print "| conc | size | mailkit | smtp-sink | aiosmtpd | postfix | mailkit/sink | mailkit/aiosmtpd | mailkit/postfix |"
    print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (k in c) { split(k, p, SUBSEP); m = r["mailkit", p[1], p[2]]; sk = r["sink", p[1], p[2]]; ai = r["aiosmtpd", p[1], p[2]]; pf = r["postfix", p[1], p[2]]
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p[1], p[2], m, sk, ai, pf,
        (sk > 0 ? sprintf("%.2f", m / sk) : "NA"), (ai > 0 ? sprintf("%.2f", m / ai) : "NA"), (pf > 0 ? sprintf("%.2f", m / pf) : "NA") }
    if (idle) print "\n" idle
  }' "$OUT/raw.txt" | tee "$OUT/ratios.md"
echo "results in $OUT"
