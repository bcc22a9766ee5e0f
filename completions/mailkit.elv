
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
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;serve-smtp'= {
            cand --listen 'Address to listen on (repeatable); port 0 picks a free port'
            cand --maildir 'The mail store: one Maildir per recipient address'
            cand --hostname 'Host name for the greeting and Received fields [default: this host''s name]'
            cand --domain 'A local domain (repeatable); mail for other domains is refused (550 5.7.1). Without it every domain is local'
            cand --users 'Users file (`address:password` lines): only these addresses exist in the local domains (others: 550 5.1.1)'
            cand --max-message-size 'Largest message accepted, in bytes; K, M and G suffixes allowed'
            cand --max-recipients 'Most recipients per message (more get 452 4.5.3)'
            cand --max-connections 'Most simultaneous connections (more get 421 and are closed)'
            cand --timeout 'Idle time in seconds before a client gets 421 and is disconnected'
            cand --max-session-time 'Longest a session may last in seconds, however busy (then 421)'
            cand --record 'Write a transcript of every session into DIR (one file per session)'
            cand --exit-after 'Exit (status 0) after N messages have been accepted'
            cand --shutdown-grace 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421'
            cand -q 'Do not log each accepted message'
            cand --quiet 'Do not log each accepted message'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;help'= {
            cand serve-smtp 'Receive mail over SMTP and store it in Maildirs (RFC 5321)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;help;serve-smtp'= {
        }
        &'mailkit;help;help'= {
        }
    ]
    $completions[$command]
}
