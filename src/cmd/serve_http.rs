//! `mailkit serve-http`: flags → settings → the index thread and the HTTP
//! service ([`crate::server::http`]) on the event loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::common::Prepared;
use crate::cli::ServeHttp;
use crate::net::pool::Pool;
use crate::net::{Runtime, ServiceOpts};
use crate::proto::http::server::HttpConfig;
use crate::server::http::api::{Api, Siblings};
use crate::server::http::events::Hub;
use crate::server::http::guard::Guard;
use crate::server::http::index::Shared;
use crate::server::http::{watch, HttpService, HttpSettings};
use crate::store::feed::Feed;
use crate::store::folder_cache::FolderCache;

/// Jobs that may wait for a worker; more are answered 503.
const MAX_PENDING_JOBS: usize = 1024;

/// How often folders are looked at for changes made by other processes,
/// and the store for new mailboxes.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Most message records the folder cache keeps for changes.
const CACHED_MESSAGES: usize = 200_000;

/// Runs the HTTP server until it is stopped.
pub fn run(args: ServeHttp) -> anyhow::Result<()> {
    let rt = Runtime::new(Duration::from_secs(2)).context("cannot start the event loop")?;
    let feed = Feed::new();
    feed.spawn_watcher(WATCH_EVERY)
        .context("cannot start the folder watcher")?;
    super::common::start_retention(&args.server.common, &feed)?;
    let mut http = prepare(args, &rt, &feed, Siblings::default())?;
    // Declared after the service it borrows, so it is dropped first.
    let mut rt = rt;
    http.add(&mut rt)?;
    rt.run().context("the event loop failed")?;
    eprintln!("mailkit: http: stopped");
    Ok(())
}

/// The HTTP service for `args` on the store's change feed `feed` (whose
/// watcher the caller runs), its index thread started and its listeners
/// bound and announced, to be hosted on `rt`; `siblings` are what the
/// other services of the process lend it (`mailkit serve`).
pub fn prepare(
    args: ServeHttp,
    rt: &Runtime<'_>,
    feed: &Feed,
    siblings: Siblings,
) -> anyhow::Result<Prepared<HttpService>> {
    for o in &args.http.cors {
        if o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) {
            bail!("--cors {o:?} is not an origin: give scheme://host[:port], e.g. https://app.example:3000, or *");
        }
    }
    let super::common::Setup {
        common,
        tls,
        listeners,
        ..
    } = super::common::setup(
        &args.server,
        args.auth_any,
        "every mailbox is open to anyone who reaches the port (HTTP Basic logins need --users FILE)",
        "http",
    )?;
    let root = std::fs::canonicalize(&args.server.common.maildir).with_context(|| {
        format!(
            "cannot use --maildir {}",
            args.server.common.maildir.display()
        )
    })?;
    let mut hosts: Vec<String> = args
        .http
        .allow_host
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    hosts.push(common.hostname.to_lowercase());
    let throwaway = common.users.is_none();
    let (completer, inbox) = rt.channel();
    let pool = Pool::spawn("http", Pool::default_threads(), MAX_PENDING_JOBS)
        .context("cannot start the worker threads")?;
    let shared = Arc::new(Shared::new(root));
    let hub = Hub::new(completer.clone());
    let api = Arc::new(Api {
        shared: shared.clone(),
        hub: hub.clone(),
        cache: Arc::new(FolderCache::new(CACHED_MESSAGES)),
        started: Instant::now(),
        feed: feed.clone(),
        transcripts: args.http.transcripts.clone(),
        siblings,
    });
    let service = HttpService::new(
        HttpSettings {
            session: HttpConfig {
                timeout: Duration::from_secs(args.server.timeout),
                max_session: Duration::from_secs(args.server.common.max_session_time),
                max_body: args.http.max_request_size,
                ..HttpConfig::default()
            },
            users: common.users.map(Arc::new),
            domains: common.domains,
            tls,
            guard: Guard {
                hosts,
                cors: args.http.cors.clone(),
            },
            access_log: args.http.access_log,
            auth_delay: Duration::from_millis(args.server.common.auth_delay_ms),
        },
        completer,
        pool,
        api,
    );
    watch::spawn(shared, feed.clone(), hub, WATCH_EVERY)
        .context("cannot start the index thread")?;
    if throwaway {
        eprintln!("mailkit: http: throwaway mode: every mailbox is shown without a login (give --users FILE for HTTP Basic logins)");
    }
    super::common::announce("http", listeners.iter().map(|l| &l.socket), None)?;
    for l in &listeners {
        if let Ok(a) = l.socket.local_addr() {
            let scheme = if l.implicit_tls { "https" } else { "http" };
            eprintln!("mailkit: http: the web page is at {scheme}://{a}/");
        }
    }
    let opts = ServiceOpts {
        name: "http",
        max_connections: args.server.common.max_connections as usize,
        record_dir: args.server.common.record.clone(),
    };
    Ok(Prepared::new(service, inbox, opts, listeners))
}
