//! `mailkit serve`: every protocol's service, made by its serve-X
//! command's `prepare` from the same flags, on one loop over one store
//! and one change feed, so a delivery reaches IMAP IDLE and the web page
//! at once.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::cli::{
    Http, Imap, Pop3, Serve, ServeHttp, ServeImap, ServePop3, ServeSmtp, ServerArgs,
    ServerDefaults, Smtp,
};
use crate::net::Runtime;
use crate::server::http::api::Siblings;
use crate::store::feed::Feed;

/// A protocol's addresses: None when `off` is among them.
fn addresses(v: &[Option<SocketAddr>]) -> Option<Vec<SocketAddr>> {
    v.iter().copied().collect()
}

/// One protocol's server flags: its addresses, the shared ones, and
/// `--timeout` or the protocol's own default.
fn server<P: ServerDefaults>(
    a: &Serve,
    listen: Vec<SocketAddr>,
    tls_listen: &[SocketAddr],
) -> ServerArgs<P> {
    ServerArgs {
        listen,
        tls_listen: tls_listen.to_vec(),
        timeout: a
            .timeout
            .unwrap_or_else(|| P::TIMEOUT.parse().unwrap_or(300)),
        common: a.common.clone(),
        _protocol: std::marker::PhantomData,
    }
}

/// Runs every enabled server until it is stopped.
pub fn run(a: Box<Serve>) -> anyhow::Result<()> {
    let a = *a;
    let (smtp, pop3, imap, http) = (
        addresses(&a.smtp),
        addresses(&a.pop3),
        addresses(&a.imap),
        addresses(&a.http),
    );
    if smtp.is_none() && pop3.is_none() && imap.is_none() && http.is_none() {
        bail!("every protocol is off: leave at least one of --smtp, --pop3, --imap, --http on");
    }
    let rt = Runtime::new(Duration::from_secs(a.smtp_options.shutdown_grace))
        .context("cannot start the event loop")?;
    let feed = Feed::new();
    feed.spawn_watcher(super::serve_imap::WATCH_EVERY)
        .context("cannot start the folder watcher")?;
    super::common::start_retention(&a.common, &feed)?;
    let chaos = super::serve_smtp::chaos(&a.smtp_options)?;
    if chaos.is_some() && smtp.is_none() {
        bail!("--chaos and --enable-chaos act on SMTP, which is off (--smtp off)");
    }
    let listening = Arc::new(AtomicBool::new(false));
    let mut smtp = match smtp {
        Some(l) => Some(super::serve_smtp::prepare(
            ServeSmtp {
                server: server::<Smtp>(&a, l, &a.smtp_tls_listen),
                max_message_size: a.max_message_size,
                smtp: a.smtp_options.clone(),
            },
            &rt,
            Some(&feed),
            chaos.clone(),
        )?),
        None => None,
    };
    if smtp.as_ref().is_some_and(|s| s.done) {
        return Ok(());
    }
    let mut pop3 = match pop3 {
        Some(l) => Some(super::serve_pop3::prepare(
            ServePop3 {
                server: server::<Pop3>(&a, l, &a.pop3_tls_listen),
                auth_any: a.auth_any,
            },
            &rt,
        )?),
        None => None,
    };
    let mut imap = match imap {
        Some(l) => Some(super::serve_imap::prepare(
            ServeImap {
                server: server::<Imap>(&a, l, &a.imap_tls_listen),
                auth_any: a.auth_any,
                max_message_size: a.max_message_size,
                imap: a.imap_options.clone(),
            },
            &rt,
            &feed,
        )?),
        None => None,
    };
    let mut http = match http {
        Some(l) => Some(super::serve_http::prepare(
            ServeHttp {
                server: server::<Http>(&a, l, &a.http_tls_listen),
                auth_any: a.auth_any,
                http: a.http_options.clone(),
            },
            &rt,
            &feed,
            Siblings {
                chaos,
                outbox: smtp.as_ref().and_then(|s| s.outbox.clone()),
                listening: Some(listening.clone()),
            },
        )?),
        None => None,
    };
    // Declared after the services it borrows, so it is dropped first.
    let mut rt = rt;
    if let Some(s) = smtp.as_mut() {
        s.add(&mut rt)?;
    }
    if let Some(s) = pop3.as_mut() {
        s.add(&mut rt)?;
    }
    if let Some(s) = imap.as_mut() {
        s.add(&mut rt)?;
    }
    if let Some(s) = http.as_mut() {
        s.add(&mut rt)?;
    }
    // Every listener is bound and on the loop: /readyz may say so.
    listening.store(true, std::sync::atomic::Ordering::Release);
    rt.run().context("the event loop failed")?;
    eprintln!("mailkit: serve: stopped");
    Ok(())
}
