# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mailkit_global_optspecs
    string join \n h/help V/version
end

function __fish_mailkit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mailkit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mailkit_using_subcommand
    set -l cmd (__fish_mailkit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mailkit -n "__fish_mailkit_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_needs_command" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "serve-smtp" -d 'Receive mail over SMTP and store it in Maildirs (RFC 5321)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "send" -d 'Compose and send a message over SMTP, or load a server (swaks-style)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "serve-pop3" -d 'Serve the mail store over POP3 (RFC 1939)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "serve-imap" -d 'Serve the mail store over IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "serve-http" -d 'Serve the mail store to browsers and test suites over HTTP'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "serve" -d 'Run every server in one process: SMTP, POP3, IMAP and HTTP'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "fetch" -d 'Retrieve mail over POP3 into a Maildir, an mbox or stdout'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "parse" -d 'Show and validate messages (RFC 5322, MIME): one file or a corpus'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "replay" -d 'Replay recorded sessions (S:/C: transcripts) against a server or a client'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "hash-password" -d 'Print a password hash for a --users file line'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "queue" -d 'Look at and manage the outbound queue (like Postfix\'s mailq/postqueue)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l listen -d 'Address to listen on (repeatable); port 0 picks a free port' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l tls-listen -d 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l timeout -d 'Idle time in seconds before a client is disconnected (nothing is lost)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l maildir -d 'The mail store: one Maildir per address' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l hostname -d 'Host name for the greeting and trace fields [default: this host\'s name]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l domain -d 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l users -d 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-connections -d 'Most simultaneous connections (more are told to try later and closed)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-session-time -d 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop\'s lock) for ever' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-auth-failures -d 'Failed logins before a connection is closed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l auth-delay-ms -d 'Delay before answering a failed login, in milliseconds (doubles each time)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l record -d 'Write a transcript of every session into DIR (one file per session)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-messages -d 'Keep at most N messages in each mailbox\'s INBOX, removing the oldest (by time received) first (Mailpit\'s --max-messages; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-age -d 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit\'s --max-age; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l tls-cert -d 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l tls-key -d 'PEM private key for --tls-cert' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-message-size -d 'Largest message accepted, in bytes; K, M and G suffixes allowed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-memory -d 'Memory for messages being received, all connections together; past it a message is discarded with 452 4.3.1 (try again later)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-recipients -d 'Most recipients per message (more get 452 4.5.3)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-hops -d 'Refuse a message that already has this many Received: fields: it is in a mail loop (554 5.4.6; RFC 5321 §6.3, Postfix\'s hopcount_limit)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l exit-after -d 'Exit (status 0) after N messages have been accepted' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l shutdown-grace -d 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l chaos -d 'Inject failures, for testing how an app copes with a failing mail server (repeatable, or comma-separated): `sender=CODE:PERCENT`, `recipient=CODE:PERCENT`, `auth=CODE:PERCENT` (Mailpit\'s triggers; CODE defaults to 451), `delay=MS` before every reply, `disconnect=PERCENT` of DATA commands cut off mid-message, `tempfail-after=N` (451 for every message after N). Every hit is logged. Changed at run time with PUT /api/v1/chaos under `serve`' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l discard-ehlo-keyword -d 'Do not offer this ESMTP extension (repeatable; Postfix\'s smtpd_discard_ehlo_keywords): CHUNKING, BINARYMIME, DSN, PIPELINING or SMTPUTF8, left out of EHLO and refused if used, to test how clients cope with a server without it' -r -f -a "CHUNKING\t''
BINARYMIME\t''
DSN\t''
PIPELINING\t''
SMTPUTF8\t''
chunking\t''
binarymime\t''
dsn\t''
pipelining\t''
smtputf8\t''"
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l route -d 'Relay mail for DOMAIN to HOST:PORT (repeatable; `*.DOMAIN` for its subdomains). Only authenticated or --relay-from clients may relay, and only with --domain set' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l relay-to -d 'Relay mail for every other domain through this smarthost' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l relay-auth -d 'AUTH to the smarthost (and routes) as USER:PASS, after STARTTLS when offered' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l relay-from -d 'Clients in this network may relay without AUTH (repeatable), e.g. 127.0.0.0/8' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l queue -d 'The outbound queue [default: MAILDIR/.queue]' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l retry-base -d 'First retry after this many seconds; doubling, at most an hour' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-queue-age -d 'Give up (and bounce) after this many seconds in the queue [default: 432000, 5 days]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l delay-warning -d 'Warn the sender (RFC 3464 delayed) after this many seconds [default: 14400, 4 hours]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l max-outbound -d 'Most outbound connections at once (at most 2 per destination)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l resolver -d 'The DNS server for MX lookups [default: the first nameserver in /etc/resolv.conf]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l mx-port -d 'The SMTP port of mail hosts found in the DNS (tests run them on loopback)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l tls-self-signed -d 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l require-tls -d 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l allow-insecure-auth -d 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -s q -l quiet -d 'Do not log each accepted message'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l smtp-auth-accept-any -d 'AUTH succeeds with any user name and password even with --users (Mailpit\'s flag of this name, for apps that insist on logging in); such a login never opens the relay'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -l enable-chaos -d 'Allow chaos to be set at run time (GET/PUT /api/v1/chaos) with every failure off until then (Mailpit\'s flag; implied by --chaos)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-smtp" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l server -d 'SMTP server, HOST[:PORT] (port 25 when omitted, 465 with --tls) [default: env MAILKIT_SMTP_SERVER, else MAILKIT_SERVER, else 127.0.0.1:1025]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s f -l from -d 'Envelope sender and From field [default: $USER@this host]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s t -l to -d 'Recipient (repeatable; comma-separated lists too); `Name <addr>` allowed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l cc -d 'Cc recipient (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l bcc -d 'Blind copy: in the envelope only, never in the message (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s s -l subject -d 'Subject (any Unicode; encoded as RFC 2047 words when needed)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l body -d 'Body text [default: stdin when it is not a terminal, else empty]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l body-file -d 'Read the body text from a UTF-8 file' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l attach -d 'Attach a file (repeatable); its media type comes from its extension' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l attach-type -d 'Media type of the attachments, in order (overrides the extension\'s)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s H -l header -d 'An extra header field, "Name: value" (repeatable); replaces a composed field of the same name' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l message -d 'Send a prepared message from FILE, or - for stdin, as it is' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l helo -d 'Name to give in EHLO/HELO [default: this host\'s name]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l timeout -d 'Seconds to wait for each server reply' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l dsn-notify -d 'Ask for delivery status notifications (RFC 3461 NOTIFY, on every recipient): NEVER, or a comma list of SUCCESS, FAILURE, DELAY. With any DSN flag each recipient also carries ORCPT=rfc822;ADDR. The server must offer DSN (else exit 23)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l dsn-ret -d 'How much of the message a failure report returns (RFC 3461 RET)' -r -f -a "full\t''
hdrs\t''
FULL\t''
HDRS\t''"
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l envid -d 'The envelope id the reports quote (RFC 3461 ENVID; at most 100 characters)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l transcript -d 'Write the session in the S:/C: transcript format to FILE (- for stdout)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l count -d 'Load: send N messages in all' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l connections -d 'Load: over C concurrent connections, each pipelined' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l ca-file -d 'Trust the CA certificates in this PEM file instead of the built-in roots' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l auth -d 'Authenticate (RFC 4954) as USER with PASS; the mechanism is chosen from what the server offers (PLAIN, else LOGIN)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l auth-user -d 'Authenticate as USER (password from --auth-password, --password-file or MAILKIT_PASSWORD)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l auth-password -d 'The password for --auth-user' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l password-file -d 'Read the password for --auth-user from FILE (first line)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l auth-mechanism -d 'Force the AUTH mechanism: PLAIN or LOGIN' -r -f -a "PLAIN\t''
LOGIN\t''"
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l read-recipients -d 'Take the recipients from the message\'s To/Cc/Bcc and remove Bcc (sendmail -t)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l dump -d 'Print the composed message and send nothing'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l all-recipients -d 'Fail (exit 24) when any recipient is refused, instead of sending to the others'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l no-pipelining -d 'Do not pipeline commands even when the server offers PIPELINING'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l no-chunking -d 'Send with DATA even when the server offers CHUNKING (BDAT, RFC 3030, is used by default when offered)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l binarymime -d 'Send the message as BODY=BINARYMIME (RFC 3030 §3): its bytes as they are, with BDAT, no line-length limit; the server must offer CHUNKING and BINARYMIME'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s v -l verbose -d 'Show the dialogue (C:/S: lines) on stderr'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l starttls -d 'Upgrade to TLS with STARTTLS (SMTP) or STLS (POP3); fail if the server does not offer it'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l tls -d 'TLS from the first byte (implicit TLS: SMTPS port 465, POP3S 995)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l insecure -d 'Do not verify the server\'s certificate (the connection is still encrypted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l listen -d 'Address to listen on (repeatable); port 0 picks a free port' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l tls-listen -d 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l timeout -d 'Idle time in seconds before a client is disconnected (nothing is lost)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l maildir -d 'The mail store: one Maildir per address' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l hostname -d 'Host name for the greeting and trace fields [default: this host\'s name]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l domain -d 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l users -d 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l max-connections -d 'Most simultaneous connections (more are told to try later and closed)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l max-session-time -d 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop\'s lock) for ever' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l max-auth-failures -d 'Failed logins before a connection is closed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l auth-delay-ms -d 'Delay before answering a failed login, in milliseconds (doubles each time)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l record -d 'Write a transcript of every session into DIR (one file per session)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l max-messages -d 'Keep at most N messages in each mailbox\'s INBOX, removing the oldest (by time received) first (Mailpit\'s --max-messages; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l max-age -d 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit\'s --max-age; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l tls-cert -d 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l tls-key -d 'PEM private key for --tls-cert' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l tls-self-signed -d 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l require-tls -d 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l allow-insecure-auth -d 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -l auth-any -d 'Allow throwaway mode (no --users) on a non-loopback --listen'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-pop3" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l listen -d 'Address to listen on (repeatable); port 0 picks a free port' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l tls-listen -d 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l timeout -d 'Idle time in seconds before a client is disconnected (nothing is lost)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l maildir -d 'The mail store: one Maildir per address' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l hostname -d 'Host name for the greeting and trace fields [default: this host\'s name]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l domain -d 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l users -d 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l max-connections -d 'Most simultaneous connections (more are told to try later and closed)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l max-session-time -d 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop\'s lock) for ever' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l max-auth-failures -d 'Failed logins before a connection is closed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l auth-delay-ms -d 'Delay before answering a failed login, in milliseconds (doubles each time)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l record -d 'Write a transcript of every session into DIR (one file per session)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l max-messages -d 'Keep at most N messages in each mailbox\'s INBOX, removing the oldest (by time received) first (Mailpit\'s --max-messages; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l max-age -d 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit\'s --max-age; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l tls-cert -d 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l tls-key -d 'PEM private key for --tls-cert' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l max-message-size -d 'Largest message APPEND takes, in bytes; K, M and G suffixes allowed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l max-user-connections -d 'Most sessions logged in as one user at once' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l tls-self-signed -d 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l require-tls -d 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l allow-insecure-auth -d 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -l auth-any -d 'Allow throwaway mode (no --users) on a non-loopback --listen'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-imap" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l listen -d 'Address to listen on (repeatable); port 0 picks a free port' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l tls-listen -d 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l timeout -d 'Idle time in seconds before a client is disconnected (nothing is lost)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l maildir -d 'The mail store: one Maildir per address' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l hostname -d 'Host name for the greeting and trace fields [default: this host\'s name]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l domain -d 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l users -d 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l max-connections -d 'Most simultaneous connections (more are told to try later and closed)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l max-session-time -d 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop\'s lock) for ever' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l max-auth-failures -d 'Failed logins before a connection is closed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l auth-delay-ms -d 'Delay before answering a failed login, in milliseconds (doubles each time)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l record -d 'Write a transcript of every session into DIR (one file per session)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l max-messages -d 'Keep at most N messages in each mailbox\'s INBOX, removing the oldest (by time received) first (Mailpit\'s --max-messages; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l max-age -d 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit\'s --max-age; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l tls-cert -d 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l tls-key -d 'PEM private key for --tls-cert' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l cors -d 'Let pages of ORIGIN (`https://app.example:3000`, or `*`) call the API from a browser (CORS; repeatable). The event stream stays same-origin' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l allow-host -d 'Another host name this server may be called by (the Host header; repeatable). IP addresses, localhost and --hostname always work; other names are refused, against DNS rebinding' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l max-request-size -d 'Largest request body in bytes; K and M suffixes allowed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l transcripts -d 'The directory serve-smtp --record writes its transcripts into: /api/v1/message/{ID}/transcript shows the session that delivered a message' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l tls-self-signed -d 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l require-tls -d 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l allow-insecure-auth -d 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l auth-any -d 'Allow throwaway mode (no --users: everyone sees every mailbox) on a non-loopback --listen'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -l access-log -d 'Print one line per request on stderr (method, path, status, size, time)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve-http" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l smtp -d 'SMTP listen address (repeatable; port 0 picks a free port; `off`: no SMTP)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l pop3 -d 'POP3 listen address (repeatable; `off`: no POP3)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l imap -d 'IMAP listen address (repeatable; `off`: no IMAP)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l http -d 'HTTP listen address, the web page and the API (repeatable; `off`: no HTTP)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l smtp-tls-listen -d 'SMTP with TLS from the first byte, as port 465 (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l pop3-tls-listen -d 'POP3 with TLS from the first byte, as port 995 (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l imap-tls-listen -d 'IMAP with TLS from the first byte, as port 993 (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l http-tls-listen -d 'HTTPS (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l timeout -d 'Idle time in seconds before a client is disconnected [default: each protocol\'s own: SMTP 300, POP3 600, IMAP 1800, HTTP 120]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l maildir -d 'The mail store: one Maildir per address' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l hostname -d 'Host name for the greeting and trace fields [default: this host\'s name]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l domain -d 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l users -d 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-connections -d 'Most simultaneous connections (more are told to try later and closed)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-session-time -d 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop\'s lock) for ever' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-auth-failures -d 'Failed logins before a connection is closed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l auth-delay-ms -d 'Delay before answering a failed login, in milliseconds (doubles each time)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l record -d 'Write a transcript of every session into DIR (one file per session)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-messages -d 'Keep at most N messages in each mailbox\'s INBOX, removing the oldest (by time received) first (Mailpit\'s --max-messages; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-age -d 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit\'s --max-age; off by default)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l tls-cert -d 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l tls-key -d 'PEM private key for --tls-cert' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-message-size -d 'Largest message SMTP accepts and IMAP APPEND takes, in bytes; K, M and G suffixes allowed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-memory -d 'Memory for messages being received, all connections together; past it a message is discarded with 452 4.3.1 (try again later)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-recipients -d 'Most recipients per message (more get 452 4.5.3)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-hops -d 'Refuse a message that already has this many Received: fields: it is in a mail loop (554 5.4.6; RFC 5321 §6.3, Postfix\'s hopcount_limit)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l exit-after -d 'Exit (status 0) after N messages have been accepted' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l shutdown-grace -d 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l chaos -d 'Inject failures, for testing how an app copes with a failing mail server (repeatable, or comma-separated): `sender=CODE:PERCENT`, `recipient=CODE:PERCENT`, `auth=CODE:PERCENT` (Mailpit\'s triggers; CODE defaults to 451), `delay=MS` before every reply, `disconnect=PERCENT` of DATA commands cut off mid-message, `tempfail-after=N` (451 for every message after N). Every hit is logged. Changed at run time with PUT /api/v1/chaos under `serve`' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l discard-ehlo-keyword -d 'Do not offer this ESMTP extension (repeatable; Postfix\'s smtpd_discard_ehlo_keywords): CHUNKING, BINARYMIME, DSN, PIPELINING or SMTPUTF8, left out of EHLO and refused if used, to test how clients cope with a server without it' -r -f -a "CHUNKING\t''
BINARYMIME\t''
DSN\t''
PIPELINING\t''
SMTPUTF8\t''
chunking\t''
binarymime\t''
dsn\t''
pipelining\t''
smtputf8\t''"
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l route -d 'Relay mail for DOMAIN to HOST:PORT (repeatable; `*.DOMAIN` for its subdomains). Only authenticated or --relay-from clients may relay, and only with --domain set' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l relay-to -d 'Relay mail for every other domain through this smarthost' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l relay-auth -d 'AUTH to the smarthost (and routes) as USER:PASS, after STARTTLS when offered' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l relay-from -d 'Clients in this network may relay without AUTH (repeatable), e.g. 127.0.0.0/8' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l queue -d 'The outbound queue [default: MAILDIR/.queue]' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l retry-base -d 'First retry after this many seconds; doubling, at most an hour' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-queue-age -d 'Give up (and bounce) after this many seconds in the queue [default: 432000, 5 days]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l delay-warning -d 'Warn the sender (RFC 3464 delayed) after this many seconds [default: 14400, 4 hours]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-outbound -d 'Most outbound connections at once (at most 2 per destination)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l resolver -d 'The DNS server for MX lookups [default: the first nameserver in /etc/resolv.conf]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l mx-port -d 'The SMTP port of mail hosts found in the DNS (tests run them on loopback)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-user-connections -d 'Most sessions logged in as one user at once' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l cors -d 'Let pages of ORIGIN (`https://app.example:3000`, or `*`) call the API from a browser (CORS; repeatable). The event stream stays same-origin' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l allow-host -d 'Another host name this server may be called by (the Host header; repeatable). IP addresses, localhost and --hostname always work; other names are refused, against DNS rebinding' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-request-size -d 'Largest request body in bytes; K and M suffixes allowed' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l transcripts -d 'The directory serve-smtp --record writes its transcripts into: /api/v1/message/{ID}/transcript shows the session that delivered a message' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l tls-self-signed -d 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l require-tls -d 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l allow-insecure-auth -d 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l auth-any -d 'Allow throwaway mode (no --users) on a non-loopback address'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -s q -l quiet -d 'Do not log each accepted message'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l smtp-auth-accept-any -d 'AUTH succeeds with any user name and password even with --users (Mailpit\'s flag of this name, for apps that insist on logging in); such a login never opens the relay'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l enable-chaos -d 'Allow chaos to be set at run time (GET/PUT /api/v1/chaos) with every failure off until then (Mailpit\'s flag; implied by --chaos)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l access-log -d 'Print one line per request on stderr (method, path, status, size, time)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l server -d 'Server, HOST[:PORT] (POP3: port 110 when omitted, 995 with --tls; IMAP: 143, 993 with --tls) [default: env MAILKIT_FETCH_SERVER, else 127.0.0.1:1110, or 127.0.0.1:1143 with --protocol imap]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l protocol -d 'Protocol: pop3, or imap (folders, flags kept, UIDs remembered)' -r -f -a "pop3\t''
imap\t''"
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s u -l user -d 'Login name (an address, or the local part the server accepts)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l password -d 'Password [or --password-file, or env MAILKIT_PASSWORD]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l state-file -d 'With --new-only: keep the UIDLs of fetched messages in FILE' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l to-maildir -d 'Store into this Maildir (DIR/{tmp,new,cur}, created)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l to-mbox -d 'Append to this mbox file (mboxrd quoting)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l wait -d 'First wait until the mailbox holds at least N messages (up to --timeout)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l timeout -d 'Seconds to wait for each reply (and for --wait in all)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l folder -d 'IMAP: a folder to fetch (repeatable) [default: INBOX]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l ca-file -d 'Trust the CA certificates in this PEM file instead of the built-in roots' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l keep -d 'Leave the messages on the server (the default)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l delete -d 'Delete each message on the server once it is stored locally'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l new-only -d 'Fetch only messages not fetched before. Their UIDLs are kept in DEST.mailkit-uidl beside --to-maildir/--to-mbox, and in ./.mailkit-uidl when writing to stdout, unless --state-file says where'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l stdout -d 'Write the messages to stdout in mbox form (the default destination)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l list -d 'List number, size, UIDL, From, Subject and Date; fetch no bodies'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l all-folders -d 'IMAP: fetch every folder the server lists'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l starttls -d 'Upgrade to TLS with STARTTLS (SMTP) or STLS (POP3); fail if the server does not offer it'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l tls -d 'TLS from the first byte (implicit TLS: SMTPS port 465, POP3S 995)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l insecure -d 'Do not verify the server\'s certificate (the connection is still encrypted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l extract -d 'Write each attachment into DIR (created), with a safe file name; an existing file is never overwritten' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l part -d 'Print part N\'s decoded body (N as numbered in the default view and in --json\'s `part`; 0 is the whole message\'s body)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l json -d 'One JSON object per message, one per line (jq can stream them)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l bodies -d 'With --json: add each text part\'s body, decoded to UTF-8, as `text`'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l validate -d 'Report RFC 5322/MIME defects as `FILE:LINE: error|warning: TEXT (RULE)`; exit 1 when there is an error'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l strict -d 'With --validate: warnings count as errors for the exit status'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l utf8 -d 'Allow UTF-8 in header fields (RFC 6532: mail sent with SMTPUTF8)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s q -l quiet -d 'No progress bar, no closing summary'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l server -d 'Play the client side against this server, HOST[:PORT] (port 25, 110 or 143 by the transcript\'s protocol when omitted)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l listen -d 'With --serve: address to listen on; port 0 picks a free port [default: 127.0.0.1:1025, :1110 or :1143 by protocol]' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l timeout -d 'Longest wait for the peer\'s next line, in seconds' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l jobs -d 'With --server: transcripts played at once (concurrent sessions on one loop)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l password -d 'Put this text where a recorded C: line says `<redacted>` (recorders never write passwords)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l ca-file -d 'With --server: trust the CA certificates in this PEM file' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l serve -d 'Play the server side: listen, and check each client that connects'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l once -d 'With --serve: play one session, then exit with its verdict'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l strict -d 'Compare every line byte for byte (replies, bodies, commands)'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l delay -d 'Honour `# +SECONDS` lines: pause that long before the next step'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -s q -l quiet -d 'Print only mismatches and the summary'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l tls -d 'TLS from the first byte (SMTPS/POP3S/IMAPS style; with --serve it needs --tls-self-signed). A STARTTLS or STLS in a transcript starts TLS by itself'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l insecure -d 'With --server: do not verify the server\'s certificate'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -l tls-self-signed -d 'With --serve: a certificate made at start, for a STARTTLS/STLS in the transcript (or every connection, with --tls)'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand replay" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand hash-password" -l scheme -d 'The scheme: ARGON2ID (default) or SHA512-CRYPT (Dovecot-compatible both)' -r -f -a "ARGON2ID\t''
SHA512-CRYPT\t''
argon2id\t''
sha512-crypt\t''"
complete -c mailkit -n "__fish_mailkit_using_subcommand hash-password" -l user -d 'Prefix the hash with `ADDRESS:`, ready to append to the users file' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand hash-password" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand hash-password" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -l queue -d 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -f -a "list" -d 'What waits: id, arrival, sender, and each recipient\'s state, attempts, next try and last reply'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -f -a "show" -d 'One entry in full, with its message\'s header'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -f -a "delete" -d 'Remove an entry without a bounce'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -f -a "flush" -d 'Ask a running server to try every pending recipient now'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list show delete flush help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -l queue -d 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -l queue -d 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from delete" -l queue -d 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l queue -d 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "list" -d 'What waits: id, arrival, sender, and each recipient\'s state, attempts, next try and last reply'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "show" -d 'One entry in full, with its message\'s header'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Remove an entry without a bounce'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "flush" -d 'Ask a running server to try every pending recipient now'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "serve-smtp" -d 'Receive mail over SMTP and store it in Maildirs (RFC 5321)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "send" -d 'Compose and send a message over SMTP, or load a server (swaks-style)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "serve-pop3" -d 'Serve the mail store over POP3 (RFC 1939)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "serve-imap" -d 'Serve the mail store over IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "serve-http" -d 'Serve the mail store to browsers and test suites over HTTP'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "serve" -d 'Run every server in one process: SMTP, POP3, IMAP and HTTP'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "fetch" -d 'Retrieve mail over POP3 into a Maildir, an mbox or stdout'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "parse" -d 'Show and validate messages (RFC 5322, MIME): one file or a corpus'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "replay" -d 'Replay recorded sessions (S:/C: transcripts) against a server or a client'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "hash-password" -d 'Print a password hash for a --users file line'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "queue" -d 'Look at and manage the outbound queue (like Postfix\'s mailq/postqueue)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from serve-smtp send serve-pop3 serve-imap serve-http serve fetch parse replay hash-password queue help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "list" -d 'What waits: id, arrival, sender, and each recipient\'s state, attempts, next try and last reply'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "show" -d 'One entry in full, with its message\'s header'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "delete" -d 'Remove an entry without a bounce'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "flush" -d 'Ask a running server to try every pending recipient now'
