//! What every server command does the same way: check the host name and
//! domains, load the users file, bind the listeners, announce them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use mio::net::TcpListener;

use crate::cli::{ClientTlsArgs, ServerTlsArgs};
use crate::net;
use crate::net::tls::ServerTls;
use crate::store::Users;

/// Settings every server shares, checked.
pub struct Common {
    /// Our host name.
    pub hostname: String,
    /// Local domains, lowercased.
    pub domains: Vec<String>,
    /// The users file, if given.
    pub users: Option<Users>,
}

/// Checks `--hostname`, `--domain` and `--users`, and creates `--record`.
pub fn settings(
    hostname: Option<&str>,
    domains: &[String],
    users: Option<&Path>,
    record: Option<&PathBuf>,
) -> anyhow::Result<Common> {
    let hostname = hostname
        .map(str::to_string)
        .unwrap_or_else(crate::util::hostname);
    if hostname.is_empty()
        || hostname
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        bail!("--hostname '{hostname}' is not a host name");
    }
    let domains: Vec<String> = domains.iter().map(|d| d.trim().to_lowercase()).collect();
    if let Some(bad) = domains
        .iter()
        .find(|d| d.is_empty() || d.contains(['@', '/', ' ']))
    {
        bail!("--domain '{bad}' is not a domain name");
    }
    let users = match users {
        Some(path) => {
            let u = Users::load(path, &domains).context("--users")?;
            // Passwords (or hashes to attack offline) for anyone to read.
            use std::os::unix::fs::PermissionsExt;
            if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0) {
                eprintln!(
                    "mailkit: warning: the users file {} is readable by every user of this machine; restrict it: chmod 600 {}",
                    path.display(),
                    path.display()
                );
            }
            Some(u)
        }
        None => None,
    };
    if let Some(dir) = record {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create --record directory {}", dir.display()))?;
    }
    Ok(Common {
        hostname,
        domains,
        users,
    })
}

/// A server service made from its flags, with what the loop needs to
/// host it: `serve-X` adds it to a loop of its own, `mailkit serve` adds
/// every protocol's to one loop.
pub struct Prepared<S: net::ServerService> {
    /// The service.
    pub service: S,
    inbox: Option<net::Inbox<S::Completion>>,
    opts: net::ServiceOpts,
    listeners: Vec<net::Listener>,
}

impl<S: net::ServerService> Prepared<S> {
    /// Packs a service with its inbox, options and listeners.
    pub fn new(
        service: S,
        inbox: net::Inbox<S::Completion>,
        opts: net::ServiceOpts,
        listeners: Vec<net::Listener>,
    ) -> Prepared<S> {
        Prepared {
            service,
            inbox: Some(inbox),
            opts,
            listeners,
        }
    }

    /// Hosts the service on `rt` (once).
    pub fn add<'a>(&'a mut self, rt: &mut net::Runtime<'a>) -> anyhow::Result<()>
    where
        S: 'a,
    {
        let inbox = self
            .inbox
            .take()
            .context("the service is on a loop already")?;
        let listeners = std::mem::take(&mut self.listeners);
        rt.add_server(&mut self.service, inbox, self.opts.clone(), listeners)
            .context("cannot start the event loop")
    }
}

/// What POP3, IMAP and HTTP prepare the same way before their services.
pub struct Setup {
    /// Host name, domains, users.
    pub common: Common,
    /// The certificate, if any.
    pub tls: Option<ServerTls>,
    /// The bound listeners.
    pub listeners: Vec<net::Listener>,
    /// Whether passwords may be sent without TLS ([`clear_logins_ok`]).
    pub login_without_tls: bool,
}

/// Checks the shared flags, refuses throwaway mode beyond loopback without
/// `--auth-any` (`open_to_all` says what would be open), creates the
/// store, loads the certificate and binds the listeners of `proto`.
pub fn setup<P: crate::cli::ServerDefaults>(
    server: &crate::cli::ServerArgs<P>,
    auth_any: bool,
    open_to_all: &str,
    proto: &str,
) -> anyhow::Result<Setup> {
    let c = &server.common;
    let common = settings(
        c.hostname.as_deref(),
        &c.domains,
        c.users.as_deref(),
        c.record.as_ref(),
    )?;
    check_exposure(
        &server.listen,
        &server.tls_listen,
        common.users.is_some(),
        auth_any,
        open_to_all,
    )?;
    std::fs::create_dir_all(&c.maildir)
        .with_context(|| format!("cannot use --maildir {}", c.maildir.display()))?;
    let tls = server_tls(&c.tls, &server.tls_listen, &common.hostname, proto)?;
    let Bound { listeners, asked } = bind_all(&server.listen, &server.tls_listen)?;
    let login_without_tls = clear_logins_ok(&c.tls, tls.is_some(), common.users.is_some(), &asked);
    Ok(Setup {
        common,
        tls,
        listeners,
        login_without_tls,
    })
}

/// Starts the retention thread when `--max-messages` or `--max-age` asks
/// for one, on `feed` (whose deliveries it follows).
pub fn start_retention(
    common: &crate::cli::CommonServerArgs,
    feed: &crate::store::feed::Feed,
) -> anyhow::Result<()> {
    let policy = crate::server::retention::Policy {
        max_messages: common
            .max_messages
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        max_age: common.max_age,
    };
    if policy.is_off() {
        return Ok(());
    }
    crate::server::retention::spawn(common.maildir.clone(), policy, feed.clone())
        .context("cannot start the retention thread")
}

/// Refuses throwaway mode (no `--users`: any login, or no login, works)
/// on a listener beyond loopback unless `--auth-any` says that is meant.
/// `what` says what would be open to anyone.
pub fn check_exposure(
    listen: &[SocketAddr],
    tls_listen: &[SocketAddr],
    users: bool,
    auth_any: bool,
    what: &str,
) -> anyhow::Result<()> {
    let beyond_loopback = listen
        .iter()
        .chain(tls_listen)
        .any(|a| !a.ip().is_loopback());
    if !users && beyond_loopback && !auth_any {
        bail!("without --users {what}; on a non-loopback --listen or --tls-listen that needs --auth-any (or give --users FILE)");
    }
    Ok(())
}

/// Binds every `--listen` address and raises the open-file limit.
pub fn bind(listen: &[SocketAddr]) -> anyhow::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    for addr in listen {
        listeners.push(net::listen(*addr)?);
    }
    net::raise_fd_limit();
    Ok(listeners)
}

/// Prints `mailkit: PROTO listening on ADDR` for each listener (the real
/// address, also for port 0), with `warn` for a non-loopback one.
pub fn announce<'a>(
    proto: &str,
    listeners: impl IntoIterator<Item = &'a TcpListener>,
    warn: Option<&str>,
) -> anyhow::Result<()> {
    for l in listeners {
        let addr = l
            .local_addr()
            .context("cannot read the listening address")?;
        if let (false, Some(w)) = (addr.ip().is_loopback(), warn) {
            eprintln!("mailkit: {proto}: warning: listening on {addr}, beyond this machine; {w}");
        }
        eprintln!("mailkit: {proto} listening on {addr}");
    }
    Ok(())
}

/// The server a client command talks to: `--server` when given, else the
/// first of `vars` that is set (each checked as `--server` is), else
/// `default`. Each command has a variable of its own, so setting one for
/// `send` does not redirect `fetch`.
pub fn server_choice(given: Option<&str>, vars: &[&str], default: &str) -> Result<String, String> {
    if let Some(s) = given {
        return Ok(s.to_string());
    }
    for v in vars {
        if let Ok(value) = std::env::var(v) {
            return crate::cli::server_arg(&value).map_err(|e| format!("{v}: {e}"));
        }
    }
    Ok(default.to_string())
}

/// The server's TLS identity from `--tls-cert/--tls-key` or
/// `--tls-self-signed` (fingerprint printed), or `None` without them.
pub fn server_tls(
    args: &ServerTlsArgs,
    tls_listen: &[SocketAddr],
    hostname: &str,
    proto: &str,
) -> anyhow::Result<Option<ServerTls>> {
    let tls = if args.tls_self_signed {
        // One certificate per host name in a process: `mailkit serve`'s
        // protocols present the same one (a client pins one fingerprint).
        static MADE: std::sync::Mutex<Vec<(String, ServerTls)>> = std::sync::Mutex::new(Vec::new());
        let mut made = MADE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, t)) = made.iter().find(|(h, _)| h == hostname) {
            eprintln!(
                "mailkit: {proto}: the same self-signed certificate, SHA-256 fingerprint {}",
                t.fingerprint
            );
            Some(t.clone())
        } else {
            let t = net::tls::server_self_signed(hostname).map_err(anyhow::Error::msg)?;
            eprintln!(
                "mailkit: {proto}: self-signed certificate for {hostname}, SHA-256 fingerprint {}",
                t.fingerprint
            );
            made.push((hostname.to_owned(), t.clone()));
            Some(t)
        }
    } else if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let t = net::tls::server_from_files(cert, key).map_err(anyhow::Error::msg)?;
        eprintln!(
            "mailkit: {proto}: certificate {} (SHA-256 {})",
            cert.display(),
            t.fingerprint
        );
        Some(t)
    } else {
        None
    };
    if tls.is_none() && (!tls_listen.is_empty() || args.require_tls) {
        bail!("--tls-listen and --require-tls need a certificate: give --tls-cert and --tls-key, or --tls-self-signed");
    }
    Ok(tls)
}

/// A server's bound listeners, plain ones first.
pub struct Bound {
    /// Every listener, the implicit-TLS ones marked.
    pub listeners: Vec<net::Listener>,
    /// Every address as asked for (to tell loopback-only servers).
    pub asked: Vec<SocketAddr>,
}

/// Binds the plain (`--listen`) and implicit-TLS (`--tls-listen`) listeners.
pub fn bind_all(listen: &[SocketAddr], tls_listen: &[SocketAddr]) -> anyhow::Result<Bound> {
    let plain = bind(listen)?.into_iter().map(|socket| net::Listener {
        socket,
        implicit_tls: false,
    });
    let tls = bind(tls_listen)?.into_iter().map(|socket| net::Listener {
        socket,
        implicit_tls: true,
    });
    Ok(Bound {
        listeners: plain.chain(tls).collect(),
        asked: listen.iter().chain(tls_listen).copied().collect(),
    })
}

/// Whether every address is loopback (a throwaway server may then offer
/// passwords in the clear).
pub fn all_loopback(addrs: &[SocketAddr]) -> bool {
    addrs.iter().all(|a| a.ip().is_loopback())
}

/// Whether passwords may be sent in the clear: never with
/// `--require-tls`; with `--allow-insecure-auth`; or on a loopback-only
/// server without TLS configured or without a users file (a throwaway
/// server for tests). Otherwise logins wait for TLS.
pub fn clear_logins_ok(args: &ServerTlsArgs, tls: bool, users: bool, addrs: &[SocketAddr]) -> bool {
    !args.require_tls && (args.allow_insecure_auth || (all_loopback(addrs) && (!tls || !users)))
}

/// A client's TLS configuration and server name for `--starttls`/`--tls`
/// (`--insecure`, `--ca-file` or the built-in roots), or `None` without them.
pub fn client_tls(
    args: &ClientTlsArgs,
    server: &str,
) -> Result<Option<net::tls::ClientTls>, String> {
    if !(args.starttls || args.tls) {
        return Ok(None);
    }
    let verify = match (&args.ca_file, args.insecure) {
        (_, true) => net::tls::Verify::Insecure,
        (Some(f), false) => net::tls::Verify::CaFile(f.clone()),
        (None, false) => net::tls::Verify::Roots,
    };
    let config = net::tls::client_config(&verify).map_err(|e| e.0)?;
    let name = net::tls::server_name(&crate::util::server_host(server)).map_err(|e| e.0)?;
    Ok(Some(net::tls::ClientTls { config, name }))
}
