//! Integration tests: the real binary on real loopback sockets.

mod cli;
mod dovecot;
mod dovecot_imap;
mod dsn;
mod errors;
mod fetch;
mod fetch_imap;
mod generated;
mod hardening;
mod imap_clients;
mod parse;
mod postfix;
mod queue;
mod readme;
mod relay;
mod replay;
mod send;
mod serve;
mod serve_http;
mod serve_imap;
mod serve_pop3;
mod serve_smtp;
mod support;
mod tls;
