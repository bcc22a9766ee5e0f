#!/usr/bin/env bash
# bench/imap.sh - serve-imap beside Dovecot's IMAP over the same Maildirs,
# in one run, loopback only:
#   1. fetch: `mailkit fetch --protocol imap --stdout` of N messages of
#      SIZE bytes from each server (the same client for both), and from
#      imap/canned.py, which sends pre-rendered responses from memory: the
#      client's own ceiling on this machine;
#   2. search: `SEARCH TEXT WORD` over S varied messages (text,
#      quoted-printable and base64 parts; WORD in 1 %), Python imaplib,
#      R searches on one connection after a warm-up, Dovecot without FTS;
#   3. idle: mailkit's RSS with IDLE_N connections in IDLE (LOGIN, SELECT
#      INBOX of 10 messages, IDLE), per connection;
#   4. latency: serve-smtp and serve-imap as two processes on one store;
#      from the SMTP 250 to the IDLE client's `* N EXISTS`, L messages.
#
#   bench/imap.sh     # N=5000 SIZE=10240 S=10000 R=5 IDLE_N=10000 L=20 REPEAT=3
#   PARTS="fetch search" bench/imap.sh
#
# Needs: apt-get install dovecot-imapd; run as root (Dovecot is started
# with a private config on a high port, as ../shared/interop does).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-5000} SIZE=${SIZE:-10240} S=${S:-10000} R=${R:-5} REPEAT=${REPEAT:-3}
IDLE_N=${IDLE_N:-10000} L=${L:-20} WORD=${WORD:-zanzibar}
# The IDLE sessions' mailbox: dave (10 messages) or bob (N messages).
IDLE_USER=${IDLE_USER:-dave}
PARTS=${PARTS:-fetch search idle latency}
WORK=${WORK:-/var/tmp/mailkit-imap-bench}
MK_PORT=${MK_PORT:-2820} DC_PORT=${DC_PORT:-2821} SMTP_PORT=${SMTP_PORT:-2822} CAN_PORT=${CAN_PORT:-2823}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v dovecot >/dev/null || { echo "needs dovecot: apt-get install dovecot-imapd" >&2; exit 2; }
want() { [[ " $PARTS " == *" $1 "* ]]; }

rm -rf "$WORK"; mkdir -p "$WORK/run" "$WORK/state" "$WORK/mail"
echo "making the Maildirs ..."
python3 "$HERE/imap/make-corpus.py" fetch "$WORK/mail/bob@bench.test" "$N" "$SIZE"
python3 "$HERE/imap/make-corpus.py" search "$WORK/mail/carol@bench.test" "$S" "$WORD"
python3 "$HERE/imap/make-corpus.py" small "$WORK/mail/dave@bench.test" 10
chown -R 65534:65534 "$WORK/mail"
chmod 755 "$WORK"
: >"$WORK/passwd"; : >"$WORK/users"
for u in bob carol dave; do
  printf '%s@bench.test:{PLAIN}pw\n' $u >>"$WORK/passwd"
  printf '%s@bench.test:pw\n' $u >>"$WORK/users"
done
cat >"$WORK/dovecot.conf" <<CONF
base_dir = $WORK/run
state_dir = $WORK/state
log_path = $WORK/dovecot.log
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:$WORK/mail/%u
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
ssl = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $WORK/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$WORK/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DC_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
CONF
ulimit -n "$(ulimit -Hn)"
dovecot -F -c "$WORK/dovecot.conf" &
DC=$!
"$MAILKIT" serve-imap --listen "127.0.0.1:$MK_PORT" --maildir "$WORK/mail" --users "$WORK/users" \
  --max-connections $((IDLE_N + 100)) --max-user-connections $((IDLE_N + 100)) 2>"$WORK/mailkit.log" &
MK=$!
SM=
python3 "$HERE/imap/canned.py" "$CAN_PORT" "$N" "$SIZE" &
CAN=$!
trap 'kill $MK $DC $SM $CAN 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for p in $MK_PORT $DC_PORT $CAN_PORT; do
  for _ in $(seq 50); do ss -Hltn "sport = :$p" | grep -q . && break; sleep 0.1; done
done
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

if want fetch; then
  fetch() {  # $1 port -> msgs/s
    local t0 t1
    t0=$(date +%s.%N)
    "$MAILKIT" fetch --protocol imap --server "127.0.0.1:$1" --user bob@bench.test --password pw \
      --stdout --timeout 120 >/dev/null 2>"$WORK/fetch.err" || { cat "$WORK/fetch.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }'
  }
  echo
  echo "## fetch: $N messages of $SIZE bytes"
  echo "warm-up (Dovecot builds its index on the first login): dovecot $(fetch $DC_PORT) msgs/s, mailkit $(fetch $MK_PORT) msgs/s"
  dc=() mk=() cn=()
  for ((i = 1; i <= REPEAT; i++)); do
    d=$(fetch $DC_PORT); m=$(fetch $MK_PORT); c=$(fetch $CAN_PORT); dc+=("$d"); mk+=("$m"); cn+=("$c")
    echo "run $i: dovecot $d msgs/s, mailkit serve-imap $m msgs/s, canned (no server work) $c msgs/s"
  done
  FD=$(printf '%s\n' "${dc[@]}" | median); FM=$(printf '%s\n' "${mk[@]}" | median)
  FC=$(printf '%s\n' "${cn[@]}" | median)
  echo "| IMAP server | messages | size | msgs/s fetched (median of $REPEAT) |"
  echo "|---|---:|---:|---:|"
  echo "| Dovecot $(dovecot --version | cut -d' ' -f1) | $N | $SIZE | $FD |"
  echo "| mailkit serve-imap | $N | $SIZE | $FM |"
  echo "| canned responses from memory (the client's ceiling) | $N | $SIZE | $FC |"
  echo "fetch: mailkit / Dovecot = $(ratio "$FM" "$FD") (target >= 1.5); ceiling / Dovecot = $(ratio "$FC" "$FD")"
fi

if want search; then
  echo
  echo "## SEARCH TEXT $WORD in $S messages ($R searches after a warm-up, one connection)"
  sd=() sm=()
  for ((i = 1; i <= REPEAT; i++)); do
    d=$(python3 "$HERE/imap/search.py" 127.0.0.1 $DC_PORT carol@bench.test pw "$WORD" "$R")
    m=$(python3 "$HERE/imap/search.py" 127.0.0.1 $MK_PORT carol@bench.test pw "$WORD" "$R")
    echo "run $i: dovecot hits+seconds: $d; mailkit: $m"
    [[ ${d%% *} == "${m%% *}" ]] || echo "WARNING: the servers found different numbers of messages"
    sd+=($(echo "$d" | cut -d' ' -f2-)); sm+=($(echo "$m" | cut -d' ' -f2-))
  done
  SD=$(printf '%s\n' "${sd[@]}" | median); SM_=$(printf '%s\n' "${sm[@]}" | median)
  echo "| IMAP server | messages | hits | seconds per SEARCH TEXT (median of $((R * REPEAT))) |"
  echo "|---|---:|---:|---:|"
  echo "| Dovecot (no FTS) | $S | ${d%% *} | $SD |"
  echo "| mailkit serve-imap | $S | ${m%% *} | $SM_ |"
  echo "search: mailkit / Dovecot = $(ratio "$SD" "$SM_") (target >= 2)"
fi

rss() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
if want idle; then
  echo
  echo "## $IDLE_N connections in IDLE on serve-imap ($IDLE_USER's INBOX)"
  before=$(rss $MK)
  coproc IDLE { python3 "$HERE/imap/idle.py" 127.0.0.1 $MK_PORT "$IDLE_USER@bench.test" pw "$IDLE_N"; }
  read -r ready <&"${IDLE[0]}"
  sleep 1
  during=$(rss $MK)
  echo "$ready; RSS before ${before} KB, with the connections ${during} KB"
  exec {IDLE[1]}>&-
  wait "$IDLE_PID" || true
  awk -v a="$before" -v b="$during" -v n="$IDLE_N" \
    'BEGIN { printf "idle: %.2f KB per IDLE connection (target <= 4)\n", (b - a) / n }'
fi

if want latency; then
  echo
  echo "## SMTP 250 -> IMAP EXISTS, serve-smtp and serve-imap as two processes"
  "$MAILKIT" serve-smtp --listen "127.0.0.1:$SMTP_PORT" --maildir "$WORK/mail" --domain bench.test \
    --quiet 2>"$WORK/smtp.log" &
  SM=$!
  for _ in $(seq 50); do ss -Hltn "sport = :$SMTP_PORT" | grep -q . && break; sleep 0.1; done
  ms=$(python3 "$HERE/imap/latency.py" 127.0.0.1 $MK_PORT dave@bench.test pw 127.0.0.1 $SMTP_PORT dave@bench.test "$L")
  echo "ms: $ms"
  echo "$ms" | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END {
    printf "latency: median %.0f ms, max %.0f ms over %d messages (target <= 1000)\n", a[int((NR + 1) / 2)], a[NR], NR }'
fi
