//! `mailkit serve-pop3`: flags → settings → the POP3 service
//! ([`crate::server::pop3`]) on the event loop.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::common::Prepared;
use crate::cli::ServePop3;
use crate::net::pool::Pool;
use crate::net::{Runtime, ServiceOpts};
use crate::proto::pop3::server::Pop3Config;
use crate::server::pop3::{Pop3Service, Pop3Settings};
use crate::store::Password;

/// Jobs (logins, updates) that may wait for a worker; more are refused
/// with a "try again" so a flood cannot queue without bound.
const MAX_PENDING_JOBS: usize = 256;

/// Runs the POP3 server until it is stopped.
pub fn run(args: ServePop3) -> anyhow::Result<()> {
    let rt = Runtime::new(Duration::from_secs(2)).context("cannot start the event loop")?;
    super::common::start_retention(&args.server.common, &crate::store::feed::Feed::new())?;
    let mut pop3 = prepare(args, &rt)?;
    // Declared after the service it borrows, so it is dropped first.
    let mut rt = rt;
    pop3.add(&mut rt)?;
    rt.run().context("the event loop failed")?;
    eprintln!("mailkit: pop3: stopped");
    Ok(())
}

/// The POP3 service for `args`, its listeners bound and announced, to
/// be hosted on `rt`.
pub fn prepare(args: ServePop3, rt: &Runtime<'_>) -> anyhow::Result<Prepared<Pop3Service>> {
    let super::common::Setup {
        common,
        tls,
        listeners,
        login_without_tls,
    } = super::common::setup(
        &args.server,
        args.auth_any,
        "any password opens any mailbox",
        "pop3",
    )?;
    let apop = common.users.as_ref().is_some_and(|u| {
        !u.is_empty()
            && u.addresses()
                .all(|a| matches!(u.get(a), Some(Password::Plain(_))))
    });
    let cfg = Pop3Config {
        hostname: common.hostname.clone(),
        timeout: Duration::from_secs(args.server.timeout),
        max_session_time: Duration::from_secs(args.server.common.max_session_time),
        output_budget: crate::proto::OUTPUT_BUDGET,
        apop,
        auth_delay: Duration::from_millis(args.server.common.auth_delay_ms),
        max_auth_failures: args.server.common.max_auth_failures,
        stls: tls.is_some(),
        login_without_tls,
    };
    let throwaway = common.users.is_none();
    let tls_on = tls.is_some();
    let (completer, inbox) = rt.channel();
    let pool = Pool::spawn("pop3", Pool::default_threads(), MAX_PENDING_JOBS)
        .context("cannot start the worker threads")?;
    let service = Pop3Service::new(
        Pop3Settings {
            session: cfg,
            root: args.server.common.maildir.clone(),
            users: common.users.map(Arc::new),
            domains: common.domains,
            tls,
        },
        completer,
        pool,
    );
    if throwaway {
        eprintln!("mailkit: pop3: throwaway mode: any password opens any mailbox (give --users FILE to check passwords)");
    }
    let warn = if !tls_on {
        "passwords cross the network in clear text: give --tls-cert/--tls-key or --tls-self-signed"
    } else {
        "give --users FILE, or anyone can read the store"
    };
    super::common::announce(
        "pop3",
        listeners.iter().map(|l| &l.socket),
        (!tls_on || throwaway).then_some(warn),
    )?;
    let opts = ServiceOpts {
        name: "pop3",
        max_connections: args.server.common.max_connections as usize,
        record_dir: args.server.common.record.clone(),
    };
    Ok(Prepared::new(service, inbox, opts, listeners))
}
