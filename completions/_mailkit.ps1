
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
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;serve-smtp' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (repeatable); port 0 picks a free port')
            [CompletionResult]::new('--maildir', '--maildir', [CompletionResultType]::ParameterName, 'The mail store: one Maildir per recipient address')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name for the greeting and Received fields [default: this host''s name]')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'A local domain (repeatable); mail for other domains is refused (550 5.7.1). Without it every domain is local')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Users file (`address:password` lines): only these addresses exist in the local domains (others: 550 5.1.1)')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Largest message accepted, in bytes; K, M and G suffixes allowed')
            [CompletionResult]::new('--max-recipients', '--max-recipients', [CompletionResultType]::ParameterName, 'Most recipients per message (more get 452 4.5.3)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most simultaneous connections (more get 421 and are closed)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Idle time in seconds before a client gets 421 and is disconnected')
            [CompletionResult]::new('--max-session-time', '--max-session-time', [CompletionResultType]::ParameterName, 'Longest a session may last in seconds, however busy (then 421)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write a transcript of every session into DIR (one file per session)')
            [CompletionResult]::new('--exit-after', '--exit-after', [CompletionResultType]::ParameterName, 'Exit (status 0) after N messages have been accepted')
            [CompletionResult]::new('--shutdown-grace', '--shutdown-grace', [CompletionResultType]::ParameterName, 'Seconds sessions may run on after SIGINT/SIGTERM before they get 421')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not log each accepted message')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not log each accepted message')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;help' {
            [CompletionResult]::new('serve-smtp', 'serve-smtp', [CompletionResultType]::ParameterValue, 'Receive mail over SMTP and store it in Maildirs (RFC 5321)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;help;serve-smtp' {
            break
        }
        'mailkit;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
