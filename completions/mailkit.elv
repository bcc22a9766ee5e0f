
use builtin;
use str;

set edit:completion:arg-completer[mailkit] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mailkit'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mailkit'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve-smtp 'Receive mail over SMTP and store it in Maildirs (RFC 5321)'
            cand send 'Compose and send a message over SMTP, or load a server (swaks-style)'
            cand serve-pop3 'Serve the mail store over POP3 (RFC 1939)'
            cand serve-imap 'Serve the mail store over IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1)'
            cand serve-http 'Serve the mail store to browsers and test suites over HTTP'
            cand serve 'Run every server in one process: SMTP, POP3, IMAP and HTTP'
            cand fetch 'Retrieve mail over POP3 into a Maildir, an mbox or stdout'
            cand parse 'Show and validate messages (RFC 5322, MIME): one file or a corpus'
            cand replay 'Replay recorded sessions (S:/C: transcripts) against a server or a client'
            cand hash-password 'Print a password hash for a --users file line'
            cand queue 'Look at and manage the outbound queue (like Postfix''s mailq/postqueue)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;serve-smtp'= {
            cand --listen 'Address to listen on (repeatable); port 0 picks a free port'
            cand --tls-listen 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)'
            cand --timeout 'Idle time in seconds before a client is disconnected (nothing is lost)'
            cand --maildir 'The mail store: one Maildir per address'
            cand --hostname 'Host name for the greeting and trace fields [default: this host''s name]'
            cand --domain 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN'
            cand --users 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works'
            cand --max-connections 'Most simultaneous connections (more are told to try later and closed)'
            cand --max-session-time 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever'
            cand --max-auth-failures 'Failed logins before a connection is closed'
            cand --auth-delay-ms 'Delay before answering a failed login, in milliseconds (doubles each time)'
            cand --record 'Write a transcript of every session into DIR (one file per session)'
            cand --max-messages 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)'
            cand --max-age 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)'
            cand --tls-cert 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen'
            cand --tls-key 'PEM private key for --tls-cert'
            cand --max-message-size 'Largest message accepted, in bytes; K, M and G suffixes allowed'
            cand --max-memory 'Memory for messages being received, all connections together; past it a message is discarded with 452 4.3.1 (try again later)'
            cand --max-recipients 'Most recipients per message (more get 452 4.5.3)'
            cand --max-hops 'Refuse a message that already has this many Received: fields: it is in a mail loop (554 5.4.6; RFC 5321 §6.3, Postfix''s hopcount_limit)'
            cand --exit-after 'Exit (status 0) after N messages have been accepted'
            cand --shutdown-grace 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421'
            cand --chaos 'Inject failures, for testing how an app copes with a failing mail server (repeatable, or comma-separated): `sender=CODE:PERCENT`, `recipient=CODE:PERCENT`, `auth=CODE:PERCENT` (Mailpit''s triggers; CODE defaults to 451), `delay=MS` before every reply, `disconnect=PERCENT` of DATA commands cut off mid-message, `tempfail-after=N` (451 for every message after N). Every hit is logged. Changed at run time with PUT /api/v1/chaos under `serve`'
            cand --discard-ehlo-keyword 'Do not offer this ESMTP extension (repeatable; Postfix''s smtpd_discard_ehlo_keywords): CHUNKING, BINARYMIME, DSN, PIPELINING or SMTPUTF8, left out of EHLO and refused if used, to test how clients cope with a server without it'
            cand --route 'Relay mail for DOMAIN to HOST:PORT (repeatable; `*.DOMAIN` for its subdomains). Only authenticated or --relay-from clients may relay, and only with --domain set'
            cand --relay-to 'Relay mail for every other domain through this smarthost'
            cand --relay-auth 'AUTH to the smarthost (and routes) as USER:PASS, after STARTTLS when offered'
            cand --relay-from 'Clients in this network may relay without AUTH (repeatable), e.g. 127.0.0.0/8'
            cand --queue 'The outbound queue [default: MAILDIR/.queue]'
            cand --retry-base 'First retry after this many seconds; doubling, at most an hour'
            cand --max-queue-age 'Give up (and bounce) after this many seconds in the queue [default: 432000, 5 days]'
            cand --delay-warning 'Warn the sender (RFC 3464 delayed) after this many seconds [default: 14400, 4 hours]'
            cand --max-outbound 'Most outbound connections at once (at most 2 per destination)'
            cand --resolver 'The DNS server for MX lookups [default: the first nameserver in /etc/resolv.conf]'
            cand --mx-port 'The SMTP port of mail hosts found in the DNS (tests run them on loopback)'
            cand --tls-self-signed 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
            cand --require-tls 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
            cand --allow-insecure-auth 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
            cand -q 'Do not log each accepted message'
            cand --quiet 'Do not log each accepted message'
            cand --smtp-auth-accept-any 'AUTH succeeds with any user name and password even with --users (Mailpit''s flag of this name, for apps that insist on logging in); such a login never opens the relay'
            cand --enable-chaos 'Allow chaos to be set at run time (GET/PUT /api/v1/chaos) with every failure off until then (Mailpit''s flag; implied by --chaos)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;send'= {
            cand --server 'SMTP server, HOST[:PORT] (port 25 when omitted, 465 with --tls) [default: env MAILKIT_SMTP_SERVER, else MAILKIT_SERVER, else 127.0.0.1:1025]'
            cand -f 'Envelope sender and From field [default: $USER@this host]'
            cand --from 'Envelope sender and From field [default: $USER@this host]'
            cand -t 'Recipient (repeatable; comma-separated lists too); `Name <addr>` allowed'
            cand --to 'Recipient (repeatable; comma-separated lists too); `Name <addr>` allowed'
            cand --cc 'Cc recipient (repeatable)'
            cand --bcc 'Blind copy: in the envelope only, never in the message (repeatable)'
            cand -s 'Subject (any Unicode; encoded as RFC 2047 words when needed)'
            cand --subject 'Subject (any Unicode; encoded as RFC 2047 words when needed)'
            cand --body 'Body text [default: stdin when it is not a terminal, else empty]'
            cand --body-file 'Read the body text from a UTF-8 file'
            cand --attach 'Attach a file (repeatable); its media type comes from its extension'
            cand --attach-type 'Media type of the attachments, in order (overrides the extension''s)'
            cand -H 'An extra header field, "Name: value" (repeatable); replaces a composed field of the same name'
            cand --header 'An extra header field, "Name: value" (repeatable); replaces a composed field of the same name'
            cand --message 'Send a prepared message from FILE, or - for stdin, as it is'
            cand --helo 'Name to give in EHLO/HELO [default: this host''s name]'
            cand --timeout 'Seconds to wait for each server reply'
            cand --dsn-notify 'Ask for delivery status notifications (RFC 3461 NOTIFY, on every recipient): NEVER, or a comma list of SUCCESS, FAILURE, DELAY. With any DSN flag each recipient also carries ORCPT=rfc822;ADDR. The server must offer DSN (else exit 23)'
            cand --dsn-ret 'How much of the message a failure report returns (RFC 3461 RET)'
            cand --envid 'The envelope id the reports quote (RFC 3461 ENVID; at most 100 characters)'
            cand --transcript 'Write the session in the S:/C: transcript format to FILE (- for stdout)'
            cand --count 'Load: send N messages in all'
            cand --connections 'Load: over C concurrent connections, each pipelined'
            cand --ca-file 'Trust the CA certificates in this PEM file instead of the built-in roots'
            cand --auth 'Authenticate (RFC 4954) as USER with PASS; the mechanism is chosen from what the server offers (PLAIN, else LOGIN)'
            cand --auth-user 'Authenticate as USER (password from --auth-password, --password-file or MAILKIT_PASSWORD)'
            cand --auth-password 'The password for --auth-user'
            cand --password-file 'Read the password for --auth-user from FILE (first line)'
            cand --auth-mechanism 'Force the AUTH mechanism: PLAIN or LOGIN'
            cand --read-recipients 'Take the recipients from the message''s To/Cc/Bcc and remove Bcc (sendmail -t)'
            cand --dump 'Print the composed message and send nothing'
            cand --all-recipients 'Fail (exit 24) when any recipient is refused, instead of sending to the others'
            cand --no-pipelining 'Do not pipeline commands even when the server offers PIPELINING'
            cand --no-chunking 'Send with DATA even when the server offers CHUNKING (BDAT, RFC 3030, is used by default when offered)'
            cand --binarymime 'Send the message as BODY=BINARYMIME (RFC 3030 §3): its bytes as they are, with BDAT, no line-length limit; the server must offer CHUNKING and BINARYMIME'
            cand -v 'Show the dialogue (C:/S: lines) on stderr'
            cand --verbose 'Show the dialogue (C:/S: lines) on stderr'
            cand --starttls 'Upgrade to TLS with STARTTLS (SMTP) or STLS (POP3); fail if the server does not offer it'
            cand --tls 'TLS from the first byte (implicit TLS: SMTPS port 465, POP3S 995)'
            cand --insecure 'Do not verify the server''s certificate (the connection is still encrypted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;serve-pop3'= {
            cand --listen 'Address to listen on (repeatable); port 0 picks a free port'
            cand --tls-listen 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)'
            cand --timeout 'Idle time in seconds before a client is disconnected (nothing is lost)'
            cand --maildir 'The mail store: one Maildir per address'
            cand --hostname 'Host name for the greeting and trace fields [default: this host''s name]'
            cand --domain 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN'
            cand --users 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works'
            cand --max-connections 'Most simultaneous connections (more are told to try later and closed)'
            cand --max-session-time 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever'
            cand --max-auth-failures 'Failed logins before a connection is closed'
            cand --auth-delay-ms 'Delay before answering a failed login, in milliseconds (doubles each time)'
            cand --record 'Write a transcript of every session into DIR (one file per session)'
            cand --max-messages 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)'
            cand --max-age 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)'
            cand --tls-cert 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen'
            cand --tls-key 'PEM private key for --tls-cert'
            cand --tls-self-signed 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
            cand --require-tls 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
            cand --allow-insecure-auth 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
            cand --auth-any 'Allow throwaway mode (no --users) on a non-loopback --listen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;serve-imap'= {
            cand --listen 'Address to listen on (repeatable); port 0 picks a free port'
            cand --tls-listen 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)'
            cand --timeout 'Idle time in seconds before a client is disconnected (nothing is lost)'
            cand --maildir 'The mail store: one Maildir per address'
            cand --hostname 'Host name for the greeting and trace fields [default: this host''s name]'
            cand --domain 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN'
            cand --users 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works'
            cand --max-connections 'Most simultaneous connections (more are told to try later and closed)'
            cand --max-session-time 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever'
            cand --max-auth-failures 'Failed logins before a connection is closed'
            cand --auth-delay-ms 'Delay before answering a failed login, in milliseconds (doubles each time)'
            cand --record 'Write a transcript of every session into DIR (one file per session)'
            cand --max-messages 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)'
            cand --max-age 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)'
            cand --tls-cert 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen'
            cand --tls-key 'PEM private key for --tls-cert'
            cand --max-message-size 'Largest message APPEND takes, in bytes; K, M and G suffixes allowed'
            cand --max-user-connections 'Most sessions logged in as one user at once'
            cand --tls-self-signed 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
            cand --require-tls 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
            cand --allow-insecure-auth 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
            cand --auth-any 'Allow throwaway mode (no --users) on a non-loopback --listen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;serve-http'= {
            cand --listen 'Address to listen on (repeatable); port 0 picks a free port'
            cand --tls-listen 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)'
            cand --timeout 'Idle time in seconds before a client is disconnected (nothing is lost)'
            cand --maildir 'The mail store: one Maildir per address'
            cand --hostname 'Host name for the greeting and trace fields [default: this host''s name]'
            cand --domain 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN'
            cand --users 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works'
            cand --max-connections 'Most simultaneous connections (more are told to try later and closed)'
            cand --max-session-time 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever'
            cand --max-auth-failures 'Failed logins before a connection is closed'
            cand --auth-delay-ms 'Delay before answering a failed login, in milliseconds (doubles each time)'
            cand --record 'Write a transcript of every session into DIR (one file per session)'
            cand --max-messages 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)'
            cand --max-age 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)'
            cand --tls-cert 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen'
            cand --tls-key 'PEM private key for --tls-cert'
            cand --cors 'Let pages of ORIGIN (`https://app.example:3000`, or `*`) call the API from a browser (CORS; repeatable). The event stream stays same-origin'
            cand --allow-host 'Another host name this server may be called by (the Host header; repeatable). IP addresses, localhost and --hostname always work; other names are refused, against DNS rebinding'
            cand --max-request-size 'Largest request body in bytes; K and M suffixes allowed'
            cand --transcripts 'The directory serve-smtp --record writes its transcripts into: /api/v1/message/{ID}/transcript shows the session that delivered a message'
            cand --tls-self-signed 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
            cand --require-tls 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
            cand --allow-insecure-auth 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
            cand --auth-any 'Allow throwaway mode (no --users: everyone sees every mailbox) on a non-loopback --listen'
            cand --access-log 'Print one line per request on stderr (method, path, status, size, time)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;serve'= {
            cand --smtp 'SMTP listen address (repeatable; port 0 picks a free port; `off`: no SMTP)'
            cand --pop3 'POP3 listen address (repeatable; `off`: no POP3)'
            cand --imap 'IMAP listen address (repeatable; `off`: no IMAP)'
            cand --http 'HTTP listen address, the web page and the API (repeatable; `off`: no HTTP)'
            cand --smtp-tls-listen 'SMTP with TLS from the first byte, as port 465 (repeatable)'
            cand --pop3-tls-listen 'POP3 with TLS from the first byte, as port 995 (repeatable)'
            cand --imap-tls-listen 'IMAP with TLS from the first byte, as port 993 (repeatable)'
            cand --http-tls-listen 'HTTPS (repeatable)'
            cand --timeout 'Idle time in seconds before a client is disconnected [default: each protocol''s own: SMTP 300, POP3 600, IMAP 1800, HTTP 120]'
            cand --maildir 'The mail store: one Maildir per address'
            cand --hostname 'Host name for the greeting and trace fields [default: this host''s name]'
            cand --domain 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN'
            cand --users 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works'
            cand --max-connections 'Most simultaneous connections (more are told to try later and closed)'
            cand --max-session-time 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever'
            cand --max-auth-failures 'Failed logins before a connection is closed'
            cand --auth-delay-ms 'Delay before answering a failed login, in milliseconds (doubles each time)'
            cand --record 'Write a transcript of every session into DIR (one file per session)'
            cand --max-messages 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)'
            cand --max-age 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)'
            cand --tls-cert 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen'
            cand --tls-key 'PEM private key for --tls-cert'
            cand --max-message-size 'Largest message SMTP accepts and IMAP APPEND takes, in bytes; K, M and G suffixes allowed'
            cand --max-memory 'Memory for messages being received, all connections together; past it a message is discarded with 452 4.3.1 (try again later)'
            cand --max-recipients 'Most recipients per message (more get 452 4.5.3)'
            cand --max-hops 'Refuse a message that already has this many Received: fields: it is in a mail loop (554 5.4.6; RFC 5321 §6.3, Postfix''s hopcount_limit)'
            cand --exit-after 'Exit (status 0) after N messages have been accepted'
            cand --shutdown-grace 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421'
            cand --chaos 'Inject failures, for testing how an app copes with a failing mail server (repeatable, or comma-separated): `sender=CODE:PERCENT`, `recipient=CODE:PERCENT`, `auth=CODE:PERCENT` (Mailpit''s triggers; CODE defaults to 451), `delay=MS` before every reply, `disconnect=PERCENT` of DATA commands cut off mid-message, `tempfail-after=N` (451 for every message after N). Every hit is logged. Changed at run time with PUT /api/v1/chaos under `serve`'
            cand --discard-ehlo-keyword 'Do not offer this ESMTP extension (repeatable; Postfix''s smtpd_discard_ehlo_keywords): CHUNKING, BINARYMIME, DSN, PIPELINING or SMTPUTF8, left out of EHLO and refused if used, to test how clients cope with a server without it'
            cand --route 'Relay mail for DOMAIN to HOST:PORT (repeatable; `*.DOMAIN` for its subdomains). Only authenticated or --relay-from clients may relay, and only with --domain set'
            cand --relay-to 'Relay mail for every other domain through this smarthost'
            cand --relay-auth 'AUTH to the smarthost (and routes) as USER:PASS, after STARTTLS when offered'
            cand --relay-from 'Clients in this network may relay without AUTH (repeatable), e.g. 127.0.0.0/8'
            cand --queue 'The outbound queue [default: MAILDIR/.queue]'
            cand --retry-base 'First retry after this many seconds; doubling, at most an hour'
            cand --max-queue-age 'Give up (and bounce) after this many seconds in the queue [default: 432000, 5 days]'
            cand --delay-warning 'Warn the sender (RFC 3464 delayed) after this many seconds [default: 14400, 4 hours]'
            cand --max-outbound 'Most outbound connections at once (at most 2 per destination)'
            cand --resolver 'The DNS server for MX lookups [default: the first nameserver in /etc/resolv.conf]'
            cand --mx-port 'The SMTP port of mail hosts found in the DNS (tests run them on loopback)'
            cand --max-user-connections 'Most sessions logged in as one user at once'
            cand --cors 'Let pages of ORIGIN (`https://app.example:3000`, or `*`) call the API from a browser (CORS; repeatable). The event stream stays same-origin'
            cand --allow-host 'Another host name this server may be called by (the Host header; repeatable). IP addresses, localhost and --hostname always work; other names are refused, against DNS rebinding'
            cand --max-request-size 'Largest request body in bytes; K and M suffixes allowed'
            cand --transcripts 'The directory serve-smtp --record writes its transcripts into: /api/v1/message/{ID}/transcript shows the session that delivered a message'
            cand --tls-self-signed 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)'
            cand --require-tls 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS'
            cand --allow-insecure-auth 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)'
            cand --auth-any 'Allow throwaway mode (no --users) on a non-loopback address'
            cand -q 'Do not log each accepted message'
            cand --quiet 'Do not log each accepted message'
            cand --smtp-auth-accept-any 'AUTH succeeds with any user name and password even with --users (Mailpit''s flag of this name, for apps that insist on logging in); such a login never opens the relay'
            cand --enable-chaos 'Allow chaos to be set at run time (GET/PUT /api/v1/chaos) with every failure off until then (Mailpit''s flag; implied by --chaos)'
            cand --access-log 'Print one line per request on stderr (method, path, status, size, time)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;fetch'= {
            cand --server 'Server, HOST[:PORT] (POP3: port 110 when omitted, 995 with --tls; IMAP: 143, 993 with --tls) [default: env MAILKIT_FETCH_SERVER, else 127.0.0.1:1110, or 127.0.0.1:1143 with --protocol imap]'
            cand --protocol 'Protocol: pop3, or imap (folders, flags kept, UIDs remembered)'
            cand -u 'Login name (an address, or the local part the server accepts)'
            cand --user 'Login name (an address, or the local part the server accepts)'
            cand --password 'Password [or --password-file, or env MAILKIT_PASSWORD]'
            cand --password-file 'Read the password from the first line of FILE'
            cand --state-file 'With --new-only: keep the UIDLs of fetched messages in FILE'
            cand --to-maildir 'Store into this Maildir (DIR/{tmp,new,cur}, created)'
            cand --to-mbox 'Append to this mbox file (mboxrd quoting)'
            cand --wait 'First wait until the mailbox holds at least N messages (up to --timeout)'
            cand --timeout 'Seconds to wait for each reply (and for --wait in all)'
            cand --folder 'IMAP: a folder to fetch (repeatable) [default: INBOX]'
            cand --ca-file 'Trust the CA certificates in this PEM file instead of the built-in roots'
            cand --keep 'Leave the messages on the server (the default)'
            cand --delete 'Delete each message on the server once it is stored locally'
            cand --new-only 'Fetch only messages not fetched before. Their UIDLs are kept in DEST.mailkit-uidl beside --to-maildir/--to-mbox, and in ./.mailkit-uidl when writing to stdout, unless --state-file says where'
            cand --stdout 'Write the messages to stdout in mbox form (the default destination)'
            cand --list 'List number, size, UIDL, From, Subject and Date; fetch no bodies'
            cand --all-folders 'IMAP: fetch every folder the server lists'
            cand --starttls 'Upgrade to TLS with STARTTLS (SMTP) or STLS (POP3); fail if the server does not offer it'
            cand --tls 'TLS from the first byte (implicit TLS: SMTPS port 465, POP3S 995)'
            cand --insecure 'Do not verify the server''s certificate (the connection is still encrypted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;parse'= {
            cand --extract 'Write each attachment into DIR (created), with a safe file name; an existing file is never overwritten'
            cand --part 'Print part N''s decoded body (N as numbered in the default view and in --json''s `part`; 0 is the whole message''s body)'
            cand --json 'One JSON object per message, one per line (jq can stream them)'
            cand --bodies 'With --json: add each text part''s body, decoded to UTF-8, as `text`'
            cand --validate 'Report RFC 5322/MIME defects as `FILE:LINE: error|warning: TEXT (RULE)`; exit 1 when there is an error'
            cand --strict 'With --validate: warnings count as errors for the exit status'
            cand --utf8 'Allow UTF-8 in header fields (RFC 6532: mail sent with SMTPUTF8)'
            cand -q 'No progress bar, no closing summary'
            cand --quiet 'No progress bar, no closing summary'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;replay'= {
            cand --server 'Play the client side against this server, HOST[:PORT] (port 25, 110 or 143 by the transcript''s protocol when omitted)'
            cand --listen 'With --serve: address to listen on; port 0 picks a free port [default: 127.0.0.1:1025, :1110 or :1143 by protocol]'
            cand --timeout 'Longest wait for the peer''s next line, in seconds'
            cand --jobs 'With --server: transcripts played at once (concurrent sessions on one loop)'
            cand --password 'Put this text where a recorded C: line says `<redacted>` (recorders never write passwords)'
            cand --ca-file 'With --server: trust the CA certificates in this PEM file'
            cand --serve 'Play the server side: listen, and check each client that connects'
            cand --once 'With --serve: play one session, then exit with its verdict'
            cand --strict 'Compare every line byte for byte (replies, bodies, commands)'
            cand --delay 'Honour `# +SECONDS` lines: pause that long before the next step'
            cand -q 'Print only mismatches and the summary'
            cand --quiet 'Print only mismatches and the summary'
            cand --tls 'TLS from the first byte (SMTPS/POP3S/IMAPS style; with --serve it needs --tls-self-signed). A STARTTLS or STLS in a transcript starts TLS by itself'
            cand --insecure 'With --server: do not verify the server''s certificate'
            cand --tls-self-signed 'With --serve: a certificate made at start, for a STARTTLS/STLS in the transcript (or every connection, with --tls)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;hash-password'= {
            cand --scheme 'The scheme: ARGON2ID (default) or SHA512-CRYPT (Dovecot-compatible both)'
            cand --user 'Prefix the hash with `ADDRESS:`, ready to append to the users file'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue'= {
            cand --queue 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'What waits: id, arrival, sender, and each recipient''s state, attempts, next try and last reply'
            cand show 'One entry in full, with its message''s header'
            cand delete 'Remove an entry without a bounce'
            cand flush 'Ask a running server to try every pending recipient now'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;queue;list'= {
            cand --queue 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;show'= {
            cand --queue 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;delete'= {
            cand --queue 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;flush'= {
            cand --queue 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;help'= {
            cand list 'What waits: id, arrival, sender, and each recipient''s state, attempts, next try and last reply'
            cand show 'One entry in full, with its message''s header'
            cand delete 'Remove an entry without a bounce'
            cand flush 'Ask a running server to try every pending recipient now'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;queue;help;list'= {
        }
        &'mailkit;queue;help;show'= {
        }
        &'mailkit;queue;help;delete'= {
        }
        &'mailkit;queue;help;flush'= {
        }
        &'mailkit;queue;help;help'= {
        }
        &'mailkit;help'= {
            cand serve-smtp 'Receive mail over SMTP and store it in Maildirs (RFC 5321)'
            cand send 'Compose and send a message over SMTP, or load a server (swaks-style)'
            cand serve-pop3 'Serve the mail store over POP3 (RFC 1939)'
            cand serve-imap 'Serve the mail store over IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1)'
            cand serve-http 'Serve the mail store to browsers and test suites over HTTP'
            cand serve 'Run every server in one process: SMTP, POP3, IMAP and HTTP'
            cand fetch 'Retrieve mail over POP3 into a Maildir, an mbox or stdout'
            cand parse 'Show and validate messages (RFC 5322, MIME): one file or a corpus'
            cand replay 'Replay recorded sessions (S:/C: transcripts) against a server or a client'
            cand hash-password 'Print a password hash for a --users file line'
            cand queue 'Look at and manage the outbound queue (like Postfix''s mailq/postqueue)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;help;serve-smtp'= {
        }
        &'mailkit;help;send'= {
        }
        &'mailkit;help;serve-pop3'= {
        }
        &'mailkit;help;serve-imap'= {
        }
        &'mailkit;help;serve-http'= {
        }
        &'mailkit;help;serve'= {
        }
        &'mailkit;help;fetch'= {
        }
        &'mailkit;help;parse'= {
        }
        &'mailkit;help;replay'= {
        }
        &'mailkit;help;hash-password'= {
        }
        &'mailkit;help;queue'= {
            cand list 'What waits: id, arrival, sender, and each recipient''s state, attempts, next try and last reply'
            cand show 'One entry in full, with its message''s header'
            cand delete 'Remove an entry without a bounce'
            cand flush 'Ask a running server to try every pending recipient now'
        }
        &'mailkit;help;queue;list'= {
        }
        &'mailkit;help;queue;show'= {
        }
        &'mailkit;help;queue;delete'= {
        }
        &'mailkit;help;queue;flush'= {
        }
        &'mailkit;help;help'= {
        }
    ]
    $completions[$command]
}
