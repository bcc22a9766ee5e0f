//! `mailkit serve-imap`: flags → settings → the IMAP service
//! ([`crate::server::imap`]) on the event loop.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::common::Prepared;
use crate::cli::ServeImap;
use crate::net::pool::Pool;
use crate::net::{Runtime, ServiceOpts};
use crate::proto::imap::server::ImapConfig;
use crate::server::imap::{ImapService, ImapSettings};
use crate::store::feed::Feed;

/// Jobs that may wait for a worker; more are refused with a "try again".
const MAX_PENDING_JOBS: usize = 1024;

/// How often folders selected by a session are looked at for changes
/// made by other processes.
pub const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Runs the IMAP server until it is stopped.
pub fn run(args: ServeImap) -> anyhow::Result<()> {
    let rt = Runtime::new(Duration::from_secs(2)).context("cannot start the event loop")?;
    let feed = Feed::new();
    feed.spawn_watcher(WATCH_EVERY)
        .context("cannot start the folder watcher")?;
    super::common::start_retention(&args.server.common, &feed)?;
    let mut imap = prepare(args, &rt, &feed)?;
    // Declared after the service it borrows, so it is dropped first.
    let mut rt = rt;
    imap.add(&mut rt)?;
    rt.run().context("the event loop failed")?;
    eprintln!("mailkit: imap: stopped");
    Ok(())
}

/// The IMAP service for `args` on the store's change feed `feed` (whose
/// watcher the caller runs), its listeners bound and announced, to be
/// hosted on `rt`.
pub fn prepare(
    args: ServeImap,
    rt: &Runtime<'_>,
    feed: &Feed,
) -> anyhow::Result<Prepared<ImapService>> {
    let super::common::Setup {
        common,
        tls,
        listeners,
        login_without_tls,
    } = super::common::setup(
        &args.server,
        args.auth_any,
        "any password opens any mailbox",
        "imap",
    )?;
    let cfg = ImapConfig {
        hostname: common.hostname.clone(),
        timeout: Duration::from_secs(args.server.timeout),
        max_literal: u32::try_from(args.max_message_size).unwrap_or(u32::MAX),
        auth_delay: Duration::from_millis(args.server.common.auth_delay_ms),
        max_auth_failures: args.server.common.max_auth_failures,
        starttls: tls.is_some(),
        login_without_tls,
    };
    let throwaway = common.users.is_none();
    let tls_on = tls.is_some();
    let (completer, inbox) = rt.channel();
    let pool = Pool::spawn("imap", Pool::default_threads(), MAX_PENDING_JOBS)
        .context("cannot start the worker threads")?;
    let service = ImapService::new(
        ImapSettings {
            session: cfg,
            root: args.server.common.maildir.clone(),
            users: common.users.map(Arc::new),
            domains: common.domains,
            tls,
            max_user_connections: args.imap.max_user_connections as usize,
            hostname: common.hostname.clone(),
        },
        completer,
        pool,
        feed.clone(),
    )
    .context("cannot start the change feed")?;
    if throwaway {
        eprintln!("mailkit: imap: throwaway mode: any password opens any mailbox (give --users FILE to check passwords)");
    }
    let warn = if !tls_on {
        "passwords cross the network in clear text: give --tls-cert/--tls-key or --tls-self-signed"
    } else {
        "give --users FILE, or anyone can read the store"
    };
    super::common::announce(
        "imap",
        listeners.iter().map(|l| &l.socket),
        (!tls_on || throwaway).then_some(warn),
    )?;
    let opts = ServiceOpts {
        name: "imap",
        max_connections: args.server.common.max_connections as usize,
        record_dir: args.server.common.record.clone(),
    };
    Ok(Prepared::new(service, inbox, opts, listeners))
}
