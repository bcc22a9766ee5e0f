
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mailkit' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mailkit'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mailkit' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve-smtp', 'serve-smtp', [CompletionResultType]::ParameterValue, 'Receive mail over SMTP and store it in Maildirs (RFC 5321)')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Compose and send a message over SMTP, or load a server (swaks-style)')
            [CompletionResult]::new('serve-pop3', 'serve-pop3', [CompletionResultType]::ParameterValue, 'Serve the mail store over POP3 (RFC 1939)')
            [CompletionResult]::new('serve-imap', 'serve-imap', [CompletionResultType]::ParameterValue, 'Serve the mail store over IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1)')
            [CompletionResult]::new('serve-http', 'serve-http', [CompletionResultType]::ParameterValue, 'Serve the mail store to browsers and test suites over HTTP')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run every server in one process: SMTP, POP3, IMAP and HTTP')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Retrieve mail over POP3 into a Maildir, an mbox or stdout')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Show and validate messages (RFC 5322, MIME): one file or a corpus')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Replay recorded sessions (S:/C: transcripts) against a server or a client')
            [CompletionResult]::new('hash-password', 'hash-password', [CompletionResultType]::ParameterValue, 'Print a password hash for a --users file line')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'Look at and manage the outbound queue (like Postfix''s mailq/postqueue)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;serve-smtp' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (repeatable); port 0 picks a free port')
            [CompletionResult]::new('--tls-listen', '--tls-listen', [CompletionResultType]::ParameterName, 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Idle time in seconds before a client is disconnected (nothing is lost)')
            [CompletionResult]::new('--maildir', '--maildir', [CompletionResultType]::ParameterName, 'The mail store: one Maildir per address')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name for the greeting and trace fields [default: this host''s name]')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most simultaneous connections (more are told to try later and closed)')
            [CompletionResult]::new('--max-session-time', '--max-session-time', [CompletionResultType]::ParameterName, 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever')
            [CompletionResult]::new('--max-auth-failures', '--max-auth-failures', [CompletionResultType]::ParameterName, 'Failed logins before a connection is closed')
            [CompletionResult]::new('--auth-delay-ms', '--auth-delay-ms', [CompletionResultType]::ParameterName, 'Delay before answering a failed login, in milliseconds (doubles each time)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write a transcript of every session into DIR (one file per session)')
            [CompletionResult]::new('--max-messages', '--max-messages', [CompletionResultType]::ParameterName, 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'PEM private key for --tls-cert')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Largest message accepted, in bytes; K, M and G suffixes allowed')
            [CompletionResult]::new('--max-memory', '--max-memory', [CompletionResultType]::ParameterName, 'Memory for messages being received, all connections together; past it a message is discarded with 452 4.3.1 (try again later)')
            [CompletionResult]::new('--max-recipients', '--max-recipients', [CompletionResultType]::ParameterName, 'Most recipients per message (more get 452 4.5.3)')
            [CompletionResult]::new('--max-hops', '--max-hops', [CompletionResultType]::ParameterName, 'Refuse a message that already has this many Received: fields: it is in a mail loop (554 5.4.6; RFC 5321 §6.3, Postfix''s hopcount_limit)')
            [CompletionResult]::new('--exit-after', '--exit-after', [CompletionResultType]::ParameterName, 'Exit (status 0) after N messages have been accepted')
            [CompletionResult]::new('--shutdown-grace', '--shutdown-grace', [CompletionResultType]::ParameterName, 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421')
            [CompletionResult]::new('--chaos', '--chaos', [CompletionResultType]::ParameterName, 'Inject failures, for testing how an app copes with a failing mail server (repeatable, or comma-separated): `sender=CODE:PERCENT`, `recipient=CODE:PERCENT`, `auth=CODE:PERCENT` (Mailpit''s triggers; CODE defaults to 451), `delay=MS` before every reply, `disconnect=PERCENT` of DATA commands cut off mid-message, `tempfail-after=N` (451 for every message after N). Every hit is logged. Changed at run time with PUT /api/v1/chaos under `serve`')
            [CompletionResult]::new('--discard-ehlo-keyword', '--discard-ehlo-keyword', [CompletionResultType]::ParameterName, 'Do not offer this ESMTP extension (repeatable; Postfix''s smtpd_discard_ehlo_keywords): CHUNKING, BINARYMIME, DSN, PIPELINING or SMTPUTF8, left out of EHLO and refused if used, to test how clients cope with a server without it')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Relay mail for DOMAIN to HOST:PORT (repeatable; `*.DOMAIN` for its subdomains). Only authenticated or --relay-from clients may relay, and only with --domain set')
            [CompletionResult]::new('--relay-to', '--relay-to', [CompletionResultType]::ParameterName, 'Relay mail for every other domain through this smarthost')
            [CompletionResult]::new('--relay-auth', '--relay-auth', [CompletionResultType]::ParameterName, 'AUTH to the smarthost (and routes) as USER:PASS, after STARTTLS when offered')
            [CompletionResult]::new('--relay-from', '--relay-from', [CompletionResultType]::ParameterName, 'Clients in this network may relay without AUTH (repeatable), e.g. 127.0.0.0/8')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The outbound queue [default: MAILDIR/.queue]')
            [CompletionResult]::new('--retry-base', '--retry-base', [CompletionResultType]::ParameterName, 'First retry after this many seconds; doubling, at most an hour')
            [CompletionResult]::new('--max-queue-age', '--max-queue-age', [CompletionResultType]::ParameterName, 'Give up (and bounce) after this many seconds in the queue [default: 432000, 5 days]')
            [CompletionResult]::new('--delay-warning', '--delay-warning', [CompletionResultType]::ParameterName, 'Warn the sender (RFC 3464 delayed) after this many seconds [default: 14400, 4 hours]')
            [CompletionResult]::new('--max-outbound', '--max-outbound', [CompletionResultType]::ParameterName, 'Most outbound connections at once (at most 2 per destination)')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'The DNS server for MX lookups [default: the first nameserver in /etc/resolv.conf]')
            [CompletionResult]::new('--mx-port', '--mx-port', [CompletionResultType]::ParameterName, 'The SMTP port of mail hosts found in the DNS (tests run them on loopback)')
            [CompletionResult]::new('--tls-self-signed', '--tls-self-signed', [CompletionResultType]::ParameterName, 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)')
            [CompletionResult]::new('--require-tls', '--require-tls', [CompletionResultType]::ParameterName, 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS')
            [CompletionResult]::new('--allow-insecure-auth', '--allow-insecure-auth', [CompletionResultType]::ParameterName, 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not log each accepted message')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not log each accepted message')
            [CompletionResult]::new('--smtp-auth-accept-any', '--smtp-auth-accept-any', [CompletionResultType]::ParameterName, 'AUTH succeeds with any user name and password even with --users (Mailpit''s flag of this name, for apps that insist on logging in); such a login never opens the relay')
            [CompletionResult]::new('--enable-chaos', '--enable-chaos', [CompletionResultType]::ParameterName, 'Allow chaos to be set at run time (GET/PUT /api/v1/chaos) with every failure off until then (Mailpit''s flag; implied by --chaos)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;send' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'SMTP server, HOST[:PORT] (port 25 when omitted, 465 with --tls) [default: env MAILKIT_SMTP_SERVER, else MAILKIT_SERVER, else 127.0.0.1:1025]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Envelope sender and From field [default: $USER@this host]')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Envelope sender and From field [default: $USER@this host]')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Recipient (repeatable; comma-separated lists too); `Name <addr>` allowed')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient (repeatable; comma-separated lists too); `Name <addr>` allowed')
            [CompletionResult]::new('--cc', '--cc', [CompletionResultType]::ParameterName, 'Cc recipient (repeatable)')
            [CompletionResult]::new('--bcc', '--bcc', [CompletionResultType]::ParameterName, 'Blind copy: in the envelope only, never in the message (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Subject (any Unicode; encoded as RFC 2047 words when needed)')
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Subject (any Unicode; encoded as RFC 2047 words when needed)')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Body text [default: stdin when it is not a terminal, else empty]')
            [CompletionResult]::new('--body-file', '--body-file', [CompletionResultType]::ParameterName, 'Read the body text from a UTF-8 file')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Attach a file (repeatable); its media type comes from its extension')
            [CompletionResult]::new('--attach-type', '--attach-type', [CompletionResultType]::ParameterName, 'Media type of the attachments, in order (overrides the extension''s)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'An extra header field, "Name: value" (repeatable); replaces a composed field of the same name')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'An extra header field, "Name: value" (repeatable); replaces a composed field of the same name')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Send a prepared message from FILE, or - for stdin, as it is')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'Name to give in EHLO/HELO [default: this host''s name]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each server reply')
            [CompletionResult]::new('--dsn-notify', '--dsn-notify', [CompletionResultType]::ParameterName, 'Ask for delivery status notifications (RFC 3461 NOTIFY, on every recipient): NEVER, or a comma list of SUCCESS, FAILURE, DELAY. With any DSN flag each recipient also carries ORCPT=rfc822;ADDR. The server must offer DSN (else exit 23)')
            [CompletionResult]::new('--dsn-ret', '--dsn-ret', [CompletionResultType]::ParameterName, 'How much of the message a failure report returns (RFC 3461 RET)')
            [CompletionResult]::new('--envid', '--envid', [CompletionResultType]::ParameterName, 'The envelope id the reports quote (RFC 3461 ENVID; at most 100 characters)')
            [CompletionResult]::new('--transcript', '--transcript', [CompletionResultType]::ParameterName, 'Write the session in the S:/C: transcript format to FILE (- for stdout)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Load: send N messages in all')
            [CompletionResult]::new('--connections', '--connections', [CompletionResultType]::ParameterName, 'Load: over C concurrent connections, each pipelined')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the built-in roots')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Authenticate (RFC 4954) as USER with PASS; the mechanism is chosen from what the server offers (PLAIN, else LOGIN)')
            [CompletionResult]::new('--auth-user', '--auth-user', [CompletionResultType]::ParameterName, 'Authenticate as USER (password from --auth-password, --password-file or MAILKIT_PASSWORD)')
            [CompletionResult]::new('--auth-password', '--auth-password', [CompletionResultType]::ParameterName, 'The password for --auth-user')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password for --auth-user from FILE (first line)')
            [CompletionResult]::new('--auth-mechanism', '--auth-mechanism', [CompletionResultType]::ParameterName, 'Force the AUTH mechanism: PLAIN or LOGIN')
            [CompletionResult]::new('--read-recipients', '--read-recipients', [CompletionResultType]::ParameterName, 'Take the recipients from the message''s To/Cc/Bcc and remove Bcc (sendmail -t)')
            [CompletionResult]::new('--dump', '--dump', [CompletionResultType]::ParameterName, 'Print the composed message and send nothing')
            [CompletionResult]::new('--all-recipients', '--all-recipients', [CompletionResultType]::ParameterName, 'Fail (exit 24) when any recipient is refused, instead of sending to the others')
            [CompletionResult]::new('--no-pipelining', '--no-pipelining', [CompletionResultType]::ParameterName, 'Do not pipeline commands even when the server offers PIPELINING')
            [CompletionResult]::new('--no-chunking', '--no-chunking', [CompletionResultType]::ParameterName, 'Send with DATA even when the server offers CHUNKING (BDAT, RFC 3030, is used by default when offered)')
            [CompletionResult]::new('--binarymime', '--binarymime', [CompletionResultType]::ParameterName, 'Send the message as BODY=BINARYMIME (RFC 3030 §3): its bytes as they are, with BDAT, no line-length limit; the server must offer CHUNKING and BINARYMIME')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the dialogue (C:/S: lines) on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the dialogue (C:/S: lines) on stderr')
            [CompletionResult]::new('--starttls', '--starttls', [CompletionResultType]::ParameterName, 'Upgrade to TLS with STARTTLS (SMTP) or STLS (POP3); fail if the server does not offer it')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS from the first byte (implicit TLS: SMTPS port 465, POP3S 995)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (the connection is still encrypted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;serve-pop3' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (repeatable); port 0 picks a free port')
            [CompletionResult]::new('--tls-listen', '--tls-listen', [CompletionResultType]::ParameterName, 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Idle time in seconds before a client is disconnected (nothing is lost)')
            [CompletionResult]::new('--maildir', '--maildir', [CompletionResultType]::ParameterName, 'The mail store: one Maildir per address')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name for the greeting and trace fields [default: this host''s name]')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most simultaneous connections (more are told to try later and closed)')
            [CompletionResult]::new('--max-session-time', '--max-session-time', [CompletionResultType]::ParameterName, 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever')
            [CompletionResult]::new('--max-auth-failures', '--max-auth-failures', [CompletionResultType]::ParameterName, 'Failed logins before a connection is closed')
            [CompletionResult]::new('--auth-delay-ms', '--auth-delay-ms', [CompletionResultType]::ParameterName, 'Delay before answering a failed login, in milliseconds (doubles each time)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write a transcript of every session into DIR (one file per session)')
            [CompletionResult]::new('--max-messages', '--max-messages', [CompletionResultType]::ParameterName, 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'PEM private key for --tls-cert')
            [CompletionResult]::new('--tls-self-signed', '--tls-self-signed', [CompletionResultType]::ParameterName, 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)')
            [CompletionResult]::new('--require-tls', '--require-tls', [CompletionResultType]::ParameterName, 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS')
            [CompletionResult]::new('--allow-insecure-auth', '--allow-insecure-auth', [CompletionResultType]::ParameterName, 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)')
            [CompletionResult]::new('--auth-any', '--auth-any', [CompletionResultType]::ParameterName, 'Allow throwaway mode (no --users) on a non-loopback --listen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;serve-imap' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (repeatable); port 0 picks a free port')
            [CompletionResult]::new('--tls-listen', '--tls-listen', [CompletionResultType]::ParameterName, 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Idle time in seconds before a client is disconnected (nothing is lost)')
            [CompletionResult]::new('--maildir', '--maildir', [CompletionResultType]::ParameterName, 'The mail store: one Maildir per address')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name for the greeting and trace fields [default: this host''s name]')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most simultaneous connections (more are told to try later and closed)')
            [CompletionResult]::new('--max-session-time', '--max-session-time', [CompletionResultType]::ParameterName, 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever')
            [CompletionResult]::new('--max-auth-failures', '--max-auth-failures', [CompletionResultType]::ParameterName, 'Failed logins before a connection is closed')
            [CompletionResult]::new('--auth-delay-ms', '--auth-delay-ms', [CompletionResultType]::ParameterName, 'Delay before answering a failed login, in milliseconds (doubles each time)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write a transcript of every session into DIR (one file per session)')
            [CompletionResult]::new('--max-messages', '--max-messages', [CompletionResultType]::ParameterName, 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'PEM private key for --tls-cert')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Largest message APPEND takes, in bytes; K, M and G suffixes allowed')
            [CompletionResult]::new('--max-user-connections', '--max-user-connections', [CompletionResultType]::ParameterName, 'Most sessions logged in as one user at once')
            [CompletionResult]::new('--tls-self-signed', '--tls-self-signed', [CompletionResultType]::ParameterName, 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)')
            [CompletionResult]::new('--require-tls', '--require-tls', [CompletionResultType]::ParameterName, 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS')
            [CompletionResult]::new('--allow-insecure-auth', '--allow-insecure-auth', [CompletionResultType]::ParameterName, 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)')
            [CompletionResult]::new('--auth-any', '--auth-any', [CompletionResultType]::ParameterName, 'Allow throwaway mode (no --users) on a non-loopback --listen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;serve-http' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (repeatable); port 0 picks a free port')
            [CompletionResult]::new('--tls-listen', '--tls-listen', [CompletionResultType]::ParameterName, 'Also listen here with TLS from the first byte (as SMTPS, POP3S, IMAPS and HTTPS do; repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Idle time in seconds before a client is disconnected (nothing is lost)')
            [CompletionResult]::new('--maildir', '--maildir', [CompletionResultType]::ParameterName, 'The mail store: one Maildir per address')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name for the greeting and trace fields [default: this host''s name]')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most simultaneous connections (more are told to try later and closed)')
            [CompletionResult]::new('--max-session-time', '--max-session-time', [CompletionResultType]::ParameterName, 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever')
            [CompletionResult]::new('--max-auth-failures', '--max-auth-failures', [CompletionResultType]::ParameterName, 'Failed logins before a connection is closed')
            [CompletionResult]::new('--auth-delay-ms', '--auth-delay-ms', [CompletionResultType]::ParameterName, 'Delay before answering a failed login, in milliseconds (doubles each time)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write a transcript of every session into DIR (one file per session)')
            [CompletionResult]::new('--max-messages', '--max-messages', [CompletionResultType]::ParameterName, 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'PEM private key for --tls-cert')
            [CompletionResult]::new('--cors', '--cors', [CompletionResultType]::ParameterName, 'Let pages of ORIGIN (`https://app.example:3000`, or `*`) call the API from a browser (CORS; repeatable). The event stream stays same-origin')
            [CompletionResult]::new('--allow-host', '--allow-host', [CompletionResultType]::ParameterName, 'Another host name this server may be called by (the Host header; repeatable). IP addresses, localhost and --hostname always work; other names are refused, against DNS rebinding')
            [CompletionResult]::new('--max-request-size', '--max-request-size', [CompletionResultType]::ParameterName, 'Largest request body in bytes; K and M suffixes allowed')
            [CompletionResult]::new('--transcripts', '--transcripts', [CompletionResultType]::ParameterName, 'The directory serve-smtp --record writes its transcripts into: /api/v1/message/{ID}/transcript shows the session that delivered a message')
            [CompletionResult]::new('--tls-self-signed', '--tls-self-signed', [CompletionResultType]::ParameterName, 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)')
            [CompletionResult]::new('--require-tls', '--require-tls', [CompletionResultType]::ParameterName, 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS')
            [CompletionResult]::new('--allow-insecure-auth', '--allow-insecure-auth', [CompletionResultType]::ParameterName, 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)')
            [CompletionResult]::new('--auth-any', '--auth-any', [CompletionResultType]::ParameterName, 'Allow throwaway mode (no --users: everyone sees every mailbox) on a non-loopback --listen')
            [CompletionResult]::new('--access-log', '--access-log', [CompletionResultType]::ParameterName, 'Print one line per request on stderr (method, path, status, size, time)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;serve' {
            [CompletionResult]::new('--smtp', '--smtp', [CompletionResultType]::ParameterName, 'SMTP listen address (repeatable; port 0 picks a free port; `off`: no SMTP)')
            [CompletionResult]::new('--pop3', '--pop3', [CompletionResultType]::ParameterName, 'POP3 listen address (repeatable; `off`: no POP3)')
            [CompletionResult]::new('--imap', '--imap', [CompletionResultType]::ParameterName, 'IMAP listen address (repeatable; `off`: no IMAP)')
            [CompletionResult]::new('--http', '--http', [CompletionResultType]::ParameterName, 'HTTP listen address, the web page and the API (repeatable; `off`: no HTTP)')
            [CompletionResult]::new('--smtp-tls-listen', '--smtp-tls-listen', [CompletionResultType]::ParameterName, 'SMTP with TLS from the first byte, as port 465 (repeatable)')
            [CompletionResult]::new('--pop3-tls-listen', '--pop3-tls-listen', [CompletionResultType]::ParameterName, 'POP3 with TLS from the first byte, as port 995 (repeatable)')
            [CompletionResult]::new('--imap-tls-listen', '--imap-tls-listen', [CompletionResultType]::ParameterName, 'IMAP with TLS from the first byte, as port 993 (repeatable)')
            [CompletionResult]::new('--http-tls-listen', '--http-tls-listen', [CompletionResultType]::ParameterName, 'HTTPS (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Idle time in seconds before a client is disconnected [default: each protocol''s own: SMTP 300, POP3 600, IMAP 1800, HTTP 120]')
            [CompletionResult]::new('--maildir', '--maildir', [CompletionResultType]::ParameterName, 'The mail store: one Maildir per address')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name for the greeting and trace fields [default: this host''s name]')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'A local domain (repeatable). SMTP refuses mail for others (550 5.7.1; without --domain every domain is local); with exactly one, a bare login name NAME means NAME@DOMAIN')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Users file (`address:password` lines): the addresses that exist in the local domains and their passwords. Without it any login works')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most simultaneous connections (more are told to try later and closed)')
            [CompletionResult]::new('--max-session-time', '--max-session-time', [CompletionResultType]::ParameterName, 'Longest a session may last in seconds, however busy: a client dripping bytes cannot hold a connection (or a maildrop''s lock) for ever')
            [CompletionResult]::new('--max-auth-failures', '--max-auth-failures', [CompletionResultType]::ParameterName, 'Failed logins before a connection is closed')
            [CompletionResult]::new('--auth-delay-ms', '--auth-delay-ms', [CompletionResultType]::ParameterName, 'Delay before answering a failed login, in milliseconds (doubles each time)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write a transcript of every session into DIR (one file per session)')
            [CompletionResult]::new('--max-messages', '--max-messages', [CompletionResultType]::ParameterName, 'Keep at most N messages in each mailbox''s INBOX, removing the oldest (by time received) first (Mailpit''s --max-messages; off by default)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d (Mailpit''s --max-age; off by default)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'PEM private key for --tls-cert')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Largest message SMTP accepts and IMAP APPEND takes, in bytes; K, M and G suffixes allowed')
            [CompletionResult]::new('--max-memory', '--max-memory', [CompletionResultType]::ParameterName, 'Memory for messages being received, all connections together; past it a message is discarded with 452 4.3.1 (try again later)')
            [CompletionResult]::new('--max-recipients', '--max-recipients', [CompletionResultType]::ParameterName, 'Most recipients per message (more get 452 4.5.3)')
            [CompletionResult]::new('--max-hops', '--max-hops', [CompletionResultType]::ParameterName, 'Refuse a message that already has this many Received: fields: it is in a mail loop (554 5.4.6; RFC 5321 §6.3, Postfix''s hopcount_limit)')
            [CompletionResult]::new('--exit-after', '--exit-after', [CompletionResultType]::ParameterName, 'Exit (status 0) after N messages have been accepted')
            [CompletionResult]::new('--shutdown-grace', '--shutdown-grace', [CompletionResultType]::ParameterName, 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421')
            [CompletionResult]::new('--chaos', '--chaos', [CompletionResultType]::ParameterName, 'Inject failures, for testing how an app copes with a failing mail server (repeatable, or comma-separated): `sender=CODE:PERCENT`, `recipient=CODE:PERCENT`, `auth=CODE:PERCENT` (Mailpit''s triggers; CODE defaults to 451), `delay=MS` before every reply, `disconnect=PERCENT` of DATA commands cut off mid-message, `tempfail-after=N` (451 for every message after N). Every hit is logged. Changed at run time with PUT /api/v1/chaos under `serve`')
            [CompletionResult]::new('--discard-ehlo-keyword', '--discard-ehlo-keyword', [CompletionResultType]::ParameterName, 'Do not offer this ESMTP extension (repeatable; Postfix''s smtpd_discard_ehlo_keywords): CHUNKING, BINARYMIME, DSN, PIPELINING or SMTPUTF8, left out of EHLO and refused if used, to test how clients cope with a server without it')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Relay mail for DOMAIN to HOST:PORT (repeatable; `*.DOMAIN` for its subdomains). Only authenticated or --relay-from clients may relay, and only with --domain set')
            [CompletionResult]::new('--relay-to', '--relay-to', [CompletionResultType]::ParameterName, 'Relay mail for every other domain through this smarthost')
            [CompletionResult]::new('--relay-auth', '--relay-auth', [CompletionResultType]::ParameterName, 'AUTH to the smarthost (and routes) as USER:PASS, after STARTTLS when offered')
            [CompletionResult]::new('--relay-from', '--relay-from', [CompletionResultType]::ParameterName, 'Clients in this network may relay without AUTH (repeatable), e.g. 127.0.0.0/8')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The outbound queue [default: MAILDIR/.queue]')
            [CompletionResult]::new('--retry-base', '--retry-base', [CompletionResultType]::ParameterName, 'First retry after this many seconds; doubling, at most an hour')
            [CompletionResult]::new('--max-queue-age', '--max-queue-age', [CompletionResultType]::ParameterName, 'Give up (and bounce) after this many seconds in the queue [default: 432000, 5 days]')
            [CompletionResult]::new('--delay-warning', '--delay-warning', [CompletionResultType]::ParameterName, 'Warn the sender (RFC 3464 delayed) after this many seconds [default: 14400, 4 hours]')
            [CompletionResult]::new('--max-outbound', '--max-outbound', [CompletionResultType]::ParameterName, 'Most outbound connections at once (at most 2 per destination)')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'The DNS server for MX lookups [default: the first nameserver in /etc/resolv.conf]')
            [CompletionResult]::new('--mx-port', '--mx-port', [CompletionResultType]::ParameterName, 'The SMTP port of mail hosts found in the DNS (tests run them on loopback)')
            [CompletionResult]::new('--max-user-connections', '--max-user-connections', [CompletionResultType]::ParameterName, 'Most sessions logged in as one user at once')
            [CompletionResult]::new('--cors', '--cors', [CompletionResultType]::ParameterName, 'Let pages of ORIGIN (`https://app.example:3000`, or `*`) call the API from a browser (CORS; repeatable). The event stream stays same-origin')
            [CompletionResult]::new('--allow-host', '--allow-host', [CompletionResultType]::ParameterName, 'Another host name this server may be called by (the Host header; repeatable). IP addresses, localhost and --hostname always work; other names are refused, against DNS rebinding')
            [CompletionResult]::new('--max-request-size', '--max-request-size', [CompletionResultType]::ParameterName, 'Largest request body in bytes; K and M suffixes allowed')
            [CompletionResult]::new('--transcripts', '--transcripts', [CompletionResultType]::ParameterName, 'The directory serve-smtp --record writes its transcripts into: /api/v1/message/{ID}/transcript shows the session that delivered a message')
            [CompletionResult]::new('--tls-self-signed', '--tls-self-signed', [CompletionResultType]::ParameterName, 'Make a certificate for --hostname at start (its SHA-256 fingerprint is printed)')
            [CompletionResult]::new('--require-tls', '--require-tls', [CompletionResultType]::ParameterName, 'Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS')
            [CompletionResult]::new('--allow-insecure-auth', '--allow-insecure-auth', [CompletionResultType]::ParameterName, 'Offer AUTH and password logins without TLS too (they are offered in the clear only on a loopback-only throwaway server otherwise)')
            [CompletionResult]::new('--auth-any', '--auth-any', [CompletionResultType]::ParameterName, 'Allow throwaway mode (no --users) on a non-loopback address')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not log each accepted message')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not log each accepted message')
            [CompletionResult]::new('--smtp-auth-accept-any', '--smtp-auth-accept-any', [CompletionResultType]::ParameterName, 'AUTH succeeds with any user name and password even with --users (Mailpit''s flag of this name, for apps that insist on logging in); such a login never opens the relay')
            [CompletionResult]::new('--enable-chaos', '--enable-chaos', [CompletionResultType]::ParameterName, 'Allow chaos to be set at run time (GET/PUT /api/v1/chaos) with every failure off until then (Mailpit''s flag; implied by --chaos)')
            [CompletionResult]::new('--access-log', '--access-log', [CompletionResultType]::ParameterName, 'Print one line per request on stderr (method, path, status, size, time)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;fetch' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server, HOST[:PORT] (POP3: port 110 when omitted, 995 with --tls; IMAP: 143, 993 with --tls) [default: env MAILKIT_FETCH_SERVER, else 127.0.0.1:1110, or 127.0.0.1:1143 with --protocol imap]')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol: pop3, or imap (folders, flags kept, UIDs remembered)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name (an address, or the local part the server accepts)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name (an address, or the local part the server accepts)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password [or --password-file, or env MAILKIT_PASSWORD]')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE')
            [CompletionResult]::new('--state-file', '--state-file', [CompletionResultType]::ParameterName, 'With --new-only: keep the UIDLs of fetched messages in FILE')
            [CompletionResult]::new('--to-maildir', '--to-maildir', [CompletionResultType]::ParameterName, 'Store into this Maildir (DIR/{tmp,new,cur}, created)')
            [CompletionResult]::new('--to-mbox', '--to-mbox', [CompletionResultType]::ParameterName, 'Append to this mbox file (mboxrd quoting)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'First wait until the mailbox holds at least N messages (up to --timeout)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each reply (and for --wait in all)')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'IMAP: a folder to fetch (repeatable) [default: INBOX]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the built-in roots')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Leave the messages on the server (the default)')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Delete each message on the server once it is stored locally')
            [CompletionResult]::new('--new-only', '--new-only', [CompletionResultType]::ParameterName, 'Fetch only messages not fetched before. Their UIDLs are kept in DEST.mailkit-uidl beside --to-maildir/--to-mbox, and in ./.mailkit-uidl when writing to stdout, unless --state-file says where')
            [CompletionResult]::new('--stdout', '--stdout', [CompletionResultType]::ParameterName, 'Write the messages to stdout in mbox form (the default destination)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List number, size, UIDL, From, Subject and Date; fetch no bodies')
            [CompletionResult]::new('--all-folders', '--all-folders', [CompletionResultType]::ParameterName, 'IMAP: fetch every folder the server lists')
            [CompletionResult]::new('--starttls', '--starttls', [CompletionResultType]::ParameterName, 'Upgrade to TLS with STARTTLS (SMTP) or STLS (POP3); fail if the server does not offer it')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS from the first byte (implicit TLS: SMTPS port 465, POP3S 995)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (the connection is still encrypted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;parse' {
            [CompletionResult]::new('--extract', '--extract', [CompletionResultType]::ParameterName, 'Write each attachment into DIR (created), with a safe file name; an existing file is never overwritten')
            [CompletionResult]::new('--part', '--part', [CompletionResultType]::ParameterName, 'Print part N''s decoded body (N as numbered in the default view and in --json''s `part`; 0 is the whole message''s body)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per message, one per line (jq can stream them)')
            [CompletionResult]::new('--bodies', '--bodies', [CompletionResultType]::ParameterName, 'With --json: add each text part''s body, decoded to UTF-8, as `text`')
            [CompletionResult]::new('--validate', '--validate', [CompletionResultType]::ParameterName, 'Report RFC 5322/MIME defects as `FILE:LINE: error|warning: TEXT (RULE)`; exit 1 when there is an error')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'With --validate: warnings count as errors for the exit status')
            [CompletionResult]::new('--utf8', '--utf8', [CompletionResultType]::ParameterName, 'Allow UTF-8 in header fields (RFC 6532: mail sent with SMTPUTF8)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, no closing summary')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, no closing summary')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;replay' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Play the client side against this server, HOST[:PORT] (port 25, 110 or 143 by the transcript''s protocol when omitted)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'With --serve: address to listen on; port 0 picks a free port [default: 127.0.0.1:1025, :1110 or :1143 by protocol]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for the peer''s next line, in seconds')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --server: transcripts played at once (concurrent sessions on one loop)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Put this text where a recorded C: line says `<redacted>` (recorders never write passwords)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'With --server: trust the CA certificates in this PEM file')
            [CompletionResult]::new('--serve', '--serve', [CompletionResultType]::ParameterName, 'Play the server side: listen, and check each client that connects')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'With --serve: play one session, then exit with its verdict')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Compare every line byte for byte (replies, bodies, commands)')
            [CompletionResult]::new('--delay', '--delay', [CompletionResultType]::ParameterName, 'Honour `# +SECONDS` lines: pause that long before the next step')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only mismatches and the summary')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only mismatches and the summary')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS from the first byte (SMTPS/POP3S/IMAPS style; with --serve it needs --tls-self-signed). A STARTTLS or STLS in a transcript starts TLS by itself')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'With --server: do not verify the server''s certificate')
            [CompletionResult]::new('--tls-self-signed', '--tls-self-signed', [CompletionResultType]::ParameterName, 'With --serve: a certificate made at start, for a STARTTLS/STLS in the transcript (or every connection, with --tls)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;hash-password' {
            [CompletionResult]::new('--scheme', '--scheme', [CompletionResultType]::ParameterName, 'The scheme: ARGON2ID (default) or SHA512-CRYPT (Dovecot-compatible both)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Prefix the hash with `ADDRESS:`, ready to append to the users file')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue' {
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'What waits: id, arrival, sender, and each recipient''s state, attempts, next try and last reply')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One entry in full, with its message''s header')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Remove an entry without a bounce')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Ask a running server to try every pending recipient now')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;queue;list' {
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;show' {
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;delete' {
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;flush' {
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'What waits: id, arrival, sender, and each recipient''s state, attempts, next try and last reply')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One entry in full, with its message''s header')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Remove an entry without a bounce')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Ask a running server to try every pending recipient now')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;queue;help;list' {
            break
        }
        'mailkit;queue;help;show' {
            break
        }
        'mailkit;queue;help;delete' {
            break
        }
        'mailkit;queue;help;flush' {
            break
        }
        'mailkit;queue;help;help' {
            break
        }
        'mailkit;help' {
            [CompletionResult]::new('serve-smtp', 'serve-smtp', [CompletionResultType]::ParameterValue, 'Receive mail over SMTP and store it in Maildirs (RFC 5321)')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Compose and send a message over SMTP, or load a server (swaks-style)')
            [CompletionResult]::new('serve-pop3', 'serve-pop3', [CompletionResultType]::ParameterValue, 'Serve the mail store over POP3 (RFC 1939)')
            [CompletionResult]::new('serve-imap', 'serve-imap', [CompletionResultType]::ParameterValue, 'Serve the mail store over IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1)')
            [CompletionResult]::new('serve-http', 'serve-http', [CompletionResultType]::ParameterValue, 'Serve the mail store to browsers and test suites over HTTP')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run every server in one process: SMTP, POP3, IMAP and HTTP')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Retrieve mail over POP3 into a Maildir, an mbox or stdout')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Show and validate messages (RFC 5322, MIME): one file or a corpus')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Replay recorded sessions (S:/C: transcripts) against a server or a client')
            [CompletionResult]::new('hash-password', 'hash-password', [CompletionResultType]::ParameterValue, 'Print a password hash for a --users file line')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'Look at and manage the outbound queue (like Postfix''s mailq/postqueue)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;help;serve-smtp' {
            break
        }
        'mailkit;help;send' {
            break
        }
        'mailkit;help;serve-pop3' {
            break
        }
        'mailkit;help;serve-imap' {
            break
        }
        'mailkit;help;serve-http' {
            break
        }
        'mailkit;help;serve' {
            break
        }
        'mailkit;help;fetch' {
            break
        }
        'mailkit;help;parse' {
            break
        }
        'mailkit;help;replay' {
            break
        }
        'mailkit;help;hash-password' {
            break
        }
        'mailkit;help;queue' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'What waits: id, arrival, sender, and each recipient''s state, attempts, next try and last reply')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One entry in full, with its message''s header')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Remove an entry without a bounce')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Ask a running server to try every pending recipient now')
            break
        }
        'mailkit;help;queue;list' {
            break
        }
        'mailkit;help;queue;show' {
            break
        }
        'mailkit;help;queue;delete' {
            break
        }
        'mailkit;help;queue;flush' {
            break
        }
        'mailkit;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
