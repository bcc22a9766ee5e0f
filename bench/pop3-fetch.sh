#!/usr/bin/env bash
# bench/pop3-fetch.sh - serve-pop3 beside Dovecot's POP3 serving the same
# Maildir, one run, loopback only. The same client for both:
# `mailkit fetch --stdout` (to /dev/null, so the client writes nothing).
#
#   bench/pop3-fetch.sh     # N=5000 SIZE=10240 REPEAT=3
#
# Needs: apt-get install dovecot-pop3d; run as root (Dovecot is started
# with a private config on a high port, as ../shared/interop does).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAILKIT=${MAILKIT:-$HERE/../target/release/mailkit}
N=${N:-5000} SIZE=${SIZE:-10240} REPEAT=${REPEAT:-3}
WORK=${WORK:-/var/tmp/mailkit-pop3-bench}
MK_PORT=${MK_PORT:-2810} DC_PORT=${DC_PORT:-2811}
[[ -x $MAILKIT ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v dovecot >/dev/null || { echo "needs dovecot: apt-get install dovecot-pop3d" >&2; exit 2; }

rm -rf "$WORK"; mkdir -p "$WORK/run" "$WORK/state" "$WORK/mail"
USER_ADDR=bob@bench.test
python3 - "$WORK/mail/$USER_ADDR" "$N" "$SIZE" <<'PY'
import mailbox, sys
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
md = mailbox.Maildir(path, create=True)
line = b"x" * 75 + b"\n"
for i in range(n):
    head = f"From: alice@bench.test\nTo: bob@bench.test\nSubject: bench {i}\nMessage-ID: <{i}@bench.test>\n\n".encode()
    md.add(head + (line * (size // 76 + 1))[: max(0, size - len(head))])
PY
chown -R 65534:65534 "$WORK/mail"
chmod 755 "$WORK"
printf '%s:{PLAIN}pw\n' "$USER_ADDR" >"$WORK/passwd"
printf '%s:pw\n' "$USER_ADDR" >"$WORK/users"
cat >"$WORK/dovecot.conf" <<CONF
base_dir = $WORK/run
state_dir = $WORK/state
log_path = $WORK/dovecot.log
protocols = pop3
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:$WORK/mail/%u
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
pop3_uidl_format = %08Xv%08Xu
ssl = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $WORK/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$WORK/mail/%u
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DC_PORT
  }
}
service imap-login {
  inet_listener imap {
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
dovecot -F -c "$WORK/dovecot.conf" &
DC=$!
"$MAILKIT" serve-pop3 --listen "127.0.0.1:$MK_PORT" --maildir "$WORK/mail" --users "$WORK/users" 2>"$WORK/mailkit.log" &
MK=$!
trap 'kill $MK $DC 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for p in $MK_PORT $DC_PORT; do
  for _ in $(seq 50); do ss -Hltn "sport = :$p" | grep -q . && break; sleep 0.1; done
done

run() {  # $1 port -> msgs/s
  local t0 t1
  t0=$(date +%s.%N)
  "$MAILKIT" fetch --server "127.0.0.1:$1" --user "$USER_ADDR" --password pw --stdout --timeout 120 >/dev/null 2>"$WORK/fetch.err"
  t1=$(date +%s.%N)
  awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "warm-up (Dovecot builds its index on the first login): dovecot $(run $DC_PORT) msgs/s, mailkit $(run $MK_PORT) msgs/s"
dc=() mk=()
for ((i = 1; i <= REPEAT; i++)); do
  d=$(run $DC_PORT); m=$(run $MK_PORT); dc+=("$d"); mk+=("$m")
  echo "run $i: dovecot $d msgs/s, mailkit serve-pop3 $m msgs/s"
done
D=$(printf '%s\n' "${dc[@]}" | median); M=$(printf '%s\n' "${mk[@]}" | median)
echo
echo "| POP3 server | messages | size | msgs/s fetched (median of $REPEAT) |"
echo "|---|---:|---:|---:|"
echo "| Dovecot $(dovecot --version | cut -d' ' -f1) | $N | $SIZE | $D |"
echo "| mailkit serve-pop3 | $N | $SIZE | $M |"
awk -v m="$M" -v d="$D" 'BEGIN { printf "\nmailkit / Dovecot = %.2f\n", m / d }'
