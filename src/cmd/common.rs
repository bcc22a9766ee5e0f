//! What every server command does the same way: check the host name and
//! domains, load the users file, bind the listeners, announce them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use mio::net::TcpListener;

use crate::net;
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
        Some(path) => Some(Users::load(path, &domains).context("--users")?),
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
pub fn announce(proto: &str, listeners: &[TcpListener], warn: Option<&str>) -> anyhow::Result<()> {
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

/// `HOST[:PORT]` with `port` added when the text has none (IPv6 literals
/// with or without brackets), ready for `to_socket_addrs`.
pub fn with_default_port(server: &str, port: u16) -> String {
    if server.starts_with('[') {
        if server.contains("]:") {
            server.to_string()
        } else {
            format!("{server}:{port}")
        }
    } else if server.matches(':').count() == 1 {
        server.to_string()
    } else if server.contains(':') {
        format!("[{server}]:{port}")
    } else {
        format!("{server}:{port}")
    }
}
