//! The relay queue on the loop: the queue runner's outbound SMTP sessions
//! as a client service beside the SMTP server. The server hands it each
//! entry it has made durable ([`RelayService::intake`]); the runner's
//! bounces for local senders go into the store through the writer.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use crate::net::{ClientService, ConnId, Service};
use crate::proto::smtp::client::{ClientSession, Event};
use crate::queue::runner::{Clock, Runner};
use crate::queue::Entry;
use crate::store::{mailbox_name, WriteJob, Writer};

/// Where the SMTP server sends entries it queued, for the relay to try.
pub type Intake = mpsc::Sender<Entry>;

/// The queue runner as a client service.
pub struct RelayService {
    runner: Runner,
    writer: Arc<Writer>,
    intake: mpsc::Receiver<Entry>,
}

impl RelayService {
    /// The service around `runner`, and the sender the SMTP server uses to
    /// hand it new entries.
    pub fn new(runner: Runner, writer: Arc<Writer>) -> (RelayService, Intake) {
        let (tx, rx) = mpsc::channel();
        let service = RelayService {
            runner,
            writer,
            intake: rx,
        };
        (service, tx)
    }

    /// Stores the runner's bounces for local senders.
    fn store_bounces(&mut self) {
        for b in self.runner.take_todo() {
            let Some(mailbox) = mailbox_name(&b.rcpt) else {
                continue;
            };
            self.writer.submit(WriteJob {
                mailboxes: vec![mailbox],
                header: b"Return-Path: <>\n".to_vec(),
                body: b.data,
                done: Box::new(|r| {
                    if let Err(e) = r {
                        eprintln!("mailkit: queue: cannot store a bounce: {e}");
                    }
                }),
            });
        }
    }
}

impl ClientService for RelayService {
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        let clock = Clock::now();
        while let Ok(e) = self.intake.try_recv() {
            self.runner.add(e, clock);
        }
        if self.runner.flush_requested() {
            eprintln!("mailkit: queue: flush requested");
            self.runner.flush(clock);
        }
        let addr = self.runner.poll_connect(clock);
        self.store_bounces();
        addr
    }

    fn open_outbound(
        &mut self,
        id: ConnId,
        _addr: SocketAddr,
        now: Instant,
    ) -> Option<ClientSession> {
        self.runner.open(id, now)
    }

    fn connect_failed(&mut self, id: ConnId, _s: ClientSession, error: std::io::Error) {
        self.runner
            .connect_failed(id, &format!("cannot connect: {error}"), Clock::now());
        self.store_bounces();
    }
}

impl Service for RelayService {
    type Session = ClientSession;
    type Completion = ();

    fn event(&mut self, id: ConnId, _s: &mut ClientSession, e: Event, _now: Instant) {
        self.runner.event(id, e, Clock::now());
        self.store_bounces();
    }

    fn closed(&mut self, id: ConnId, _s: ClientSession) {
        self.runner
            .closed(id, "the connection closed", Clock::now());
        self.store_bounces();
    }

    fn poll_wakeup(&self) -> Option<Instant> {
        // Only the runner's own times: entries the server queued come with
        // the completion that woke the loop, and the loader (answers and
        // flush requests) and the resolver wake it themselves.
        self.runner.next_wakeup(Clock::now())
    }

    fn start_tls(&mut self, id: ConnId) -> Option<rustls::Connection> {
        // Opportunistic TLS to the next hop (RFC 3207 §4): encrypted, the
        // certificate not checked, as MTAs do without DANE or MTA-STS.
        let host = self.runner.hop_of(id)?.to_owned();
        let name = crate::net::tls::server_name(&crate::util::server_host(&host))
            .or_else(|_| crate::net::tls::server_name("localhost"))
            .ok()?;
        let config = crate::net::tls::client_config(&crate::net::tls::Verify::Insecure).ok()?;
        crate::net::tls::ClientTls { config, name }.connect()
    }
}
