//! The delivery runner: drains the queue over the shared event loop with
//! the SMTP client session (the one `send` uses). It decides what is due,
//! groups due recipients by next hop (one connection carries many
//! messages; at most [`PER_HOP`] connections per hop and `max_outbound` in
//! all), reads the outcomes, schedules retries with backoff, and produces
//! bounces and delay warnings. All spool writes go to a worker thread
//! ([`SpoolWorker`]); a connection's name resolution and message reads go
//! to the loader ([`super::loader`]), MX lookups to the resolver thread
//! ([`super::dns`]): the loop never waits for the disk or the DNS. The
//! runner reads no clock: its owner passes the time ([`Clock`]) in.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use super::bounce::{self, Action, Failed};
use super::dns::{DnsChannel, Lookup};
use super::error::DnsError;
use super::loader::{Loader, Ready, Request, Target, Wake};
use super::route::Routes;
use super::schedule;
use super::spool::{unix, Entry, NewEntry, State};
use super::worker::SpoolWorker;
use crate::net::ConnId;
use crate::proto::smtp::client::{ClientConfig, ClientSession, Envelope, Event, Failure};

/// Most simultaneous connections to one next hop.
pub const PER_HOP: usize = 2;

/// Most messages one connection carries before it is closed.
const PER_CONNECTION: usize = 100;

/// The time of a call into the runner, both clocks: `at` for deadlines
/// and caches, `wall` for the schedule kept in the spool (seconds since
/// the epoch survive a restart; `Instant`s do not).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The monotonic time.
    pub at: Instant,
    /// The wall-clock time.
    pub wall: SystemTime,
}

impl Clock {
    /// The current time (for the runner's owner).
    pub fn now() -> Clock {
        Clock {
            at: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}

/// Settings of the runner.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Our host name (EHLO, bounces).
    pub hostname: String,
    /// Next hops.
    pub routes: Routes,
    /// AUTH to the next hop.
    pub auth: Option<crate::proto::smtp::client::AuthConfig>,
    /// First retry delay.
    pub retry_base: Duration,
    /// Give up after this long in the queue.
    pub max_age: Duration,
    /// Warn the sender after this long.
    pub delay_warning: Duration,
    /// Most outbound connections in all.
    pub max_outbound: usize,
    /// Reply timeout for the next hop.
    pub timeout: Duration,
    /// No line per delivered message (`--quiet`).
    pub quiet: bool,
    /// Our own domains: bounces to senders there are stored, not queued.
    pub local_domains: Vec<String>,
}

/// A delivery report waiting for the original's header (read on the
/// queue thread): everything else it says, fixed when it was decided.
struct Notice {
    /// The queue entry reported on.
    id: String,
    /// Who gets the report (the original's envelope sender).
    sender: String,
    /// Failed or delayed.
    action: Action,
    /// The recipients it is about.
    failed: Vec<Failed>,
    /// When the original arrived.
    arrival: std::time::SystemTime,
    /// A unique token for the report's Message-ID.
    token: String,
    /// The sender's ENVID (RFC 3461 §4.4).
    envid: Option<String>,
    /// RET=FULL: the whole original goes back (failures only).
    full: bool,
}

/// A report with its original, as read on the queue thread.
type ReadBack = (Notice, std::io::Result<Vec<u8>>);

/// A bounce for a sender in a local domain: the owner stores it in the
/// sender's Maildir (bounces to other domains the runner queues itself).
#[derive(Debug)]
pub struct LocalBounce {
    /// The sender it goes to.
    pub rcpt: String,
    /// The report.
    pub data: Vec<u8>,
}

/// What one outbound connection carries: per message, the entry and the
/// recipients (indexes into the entry's list).
struct Job {
    hop: String,
    messages: Vec<(String, Vec<usize>)>,
    /// Recipients refused per message index during the session.
    refused: HashMap<usize, Vec<(String, String)>>,
    /// The greeting and EHLO went through: failures after this are the
    /// messages', before it the host's.
    ready: bool,
    /// The messages' bytes, read by the loader, until the session takes them.
    bodies: Vec<Vec<u8>>,
    /// The hop offered DSN (RFC 3461): it reports success itself.
    dsn: bool,
}

/// One message's part in a session that reported on it (see
/// [`Runner::take_outcome`]).
struct Outcome {
    /// The queue entry.
    id: String,
    /// Indexes of the recipients it carried.
    rcpts: Vec<usize>,
    /// (recipient, reply) for those the hop refused.
    refused: Vec<(String, String)>,
    /// The hop it went to.
    hop: String,
}

/// The runner's state.
pub struct Runner {
    cfg: RunnerConfig,
    worker: SpoolWorker,
    entries: HashMap<String, Entry>,
    /// Recipients in flight: (entry id, rcpt index).
    busy: std::collections::HashSet<(String, usize)>,
    /// Jobs by connection key (assigned by the owner).
    jobs: HashMap<ConnId, Job>,
    /// Jobs the loader is getting ready, by number.
    loading: HashMap<u64, Job>,
    next_job: u64,
    loader: Loader,
    /// Jobs ready, waiting for [`Runner::poll_connect`] to hand out their
    /// address, and then for their connection to open.
    to_connect: VecDeque<(SocketAddr, Job)>,
    opening: VecDeque<Job>,
    /// The time of the current call.
    clock: Clock,
    /// Wakes the loop when a thread of ours has an answer.
    wake: Wake,
    per_hop: HashMap<String, usize>,
    /// Bounces and warnings for the owner.
    todo: Vec<LocalBounce>,
    /// Bounces queued on the queue thread, back as entries to schedule.
    queued: (mpsc::Sender<Entry>, mpsc::Receiver<Entry>),
    /// Reports waiting for their original's header, back from the queue
    /// thread with it.
    notices: (mpsc::Sender<ReadBack>, mpsc::Receiver<ReadBack>),
    /// Entries that may have recipients due now (checked when taken).
    ready: VecDeque<String>,
    /// Entries waiting for a later attempt: (when, id).
    waiting: std::collections::BTreeSet<(u64, String)>,
    /// When the age checks last ran (once a second).
    expired_at: Option<Instant>,
    /// MX lookups: asked of the resolver thread, answers cached a while.
    dns: Option<DnsChannel>,
    mx_cache: HashMap<String, (Instant, Lookup)>,
    mx_asked: std::collections::HashSet<String>,
    /// Which of a domain's mail hosts to try next (after refusals).
    mx_index: HashMap<String, usize>,
}

/// How long an MX answer is used before it is asked again.
const MX_TTL: Duration = Duration::from_secs(300);

/// A letter per report kind, so two reports on one recipient differ.
fn action_token(a: Action) -> &'static str {
    match a {
        Action::Failed => "f",
        Action::Delayed => "d",
        Action::Delivered => "s",
        Action::Relayed => "r",
    }
}

fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_ascii_lowercase()
}

impl Runner {
    /// A runner over the entries already in the spool (a restart); `wake`
    /// wakes the loop when the loader or the resolver has an answer.
    pub fn new(
        cfg: RunnerConfig,
        worker: SpoolWorker,
        entries: Vec<Entry>,
        wake: Wake,
        now: Clock,
    ) -> std::io::Result<Runner> {
        let loader = Loader::spawn(worker.spool().clone(), wake.clone())?;
        let mut r = Runner {
            cfg,
            worker,
            entries: HashMap::new(),
            busy: Default::default(),
            jobs: HashMap::new(),
            loading: HashMap::new(),
            next_job: 0,
            loader,
            to_connect: VecDeque::new(),
            opening: VecDeque::new(),
            clock: now,
            wake,
            per_hop: HashMap::new(),
            todo: Vec::new(),
            queued: mpsc::channel(),
            notices: mpsc::channel(),
            ready: VecDeque::new(),
            waiting: Default::default(),
            expired_at: None,
            dns: None,
            mx_cache: HashMap::new(),
            mx_asked: Default::default(),
            mx_index: HashMap::new(),
        };
        for e in entries {
            r.add(e, now);
        }
        Ok(r)
    }

    /// Starts the resolver thread for MX lookups (`--resolver`).
    pub fn with_resolver(mut self, r: super::dns::Resolver) -> std::io::Result<Runner> {
        self.dns = Some(super::dns::spawn(r, self.wake.clone())?);
        Ok(self)
    }

    /// The wall-clock time of the current call, in seconds.
    fn unix_now(&self) -> u64 {
        unix(self.clock.wall)
    }

    /// The cached answer for `domain`, or `None` after asking for one.
    fn mx_lookup(&mut self, domain: &str) -> Option<Lookup> {
        let now = self.clock.at;
        if let Some((_, rx)) = &self.dns {
            while let Ok((d, l)) = rx.try_recv() {
                self.mx_asked.remove(&d);
                self.mx_cache.insert(d, (now, l));
            }
        }
        match self.mx_cache.get(domain) {
            Some((at, l)) if now.duration_since(*at) < MX_TTL => return Some(l.clone()),
            _ => {}
        }
        let Some((tx, _)) = &self.dns else {
            return Some(Lookup::Temporary(DnsError::NoResolver));
        };
        if self.mx_asked.insert(domain.to_owned()) {
            let _ = tx.send(domain.to_owned());
        }
        None
    }

    /// Files entry `id` under `ready` or `waiting` by its earliest pending
    /// recipient not in flight.
    fn schedule(&mut self, id: &str) {
        let Some(e) = self.entries.get(id) else {
            return;
        };
        let next = e
            .rcpts
            .iter()
            .enumerate()
            .filter(|(i, r)| r.state == State::Pending && !self.busy.contains(&(id.to_owned(), *i)))
            .map(|(_, r)| r.next_attempt)
            .min();
        let Some(next) = next else { return };
        if next <= self.unix_now() {
            self.ready.push_back(id.to_owned());
        } else {
            self.waiting.insert((next, id.to_owned()));
        }
    }

    /// The spool worker (the owner queues intake through it).
    pub fn worker(&self) -> &SpoolWorker {
        &self.worker
    }

    /// A newly queued entry (already durable).
    pub fn add(&mut self, e: Entry, now: Clock) {
        self.clock = now;
        let id = e.id.clone();
        self.entries.insert(id.clone(), e);
        self.schedule(&id);
    }

    /// Entries held (for tests and logs).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The next hop of connection `key` (its host, for TLS).
    pub fn hop_of(&self, key: ConnId) -> Option<&str> {
        self.jobs.get(&key).map(|j| j.hop.as_str())
    }

    /// Bounces and warnings to hand to the owner.
    pub fn take_todo(&mut self) -> Vec<LocalBounce> {
        std::mem::take(&mut self.todo)
    }

    /// Whether `mailkit queue flush` asked for a flush since the last
    /// call (the loader thread looks for the request file; the caller
    /// then calls [`Runner::flush`]).
    pub fn flush_requested(&self) -> bool {
        self.loader.take_flush()
    }

    /// Makes everything pending due now (`mailkit queue flush`).
    pub fn flush(&mut self, now: Clock) {
        self.clock = now;
        let now = self.unix_now();
        for e in self.entries.values_mut() {
            for r in &mut e.rcpts {
                if r.state == State::Pending {
                    r.next_attempt = r.next_attempt.min(now);
                }
            }
        }
        for (_, id) in std::mem::take(&mut self.waiting) {
            self.ready.push_back(id);
        }
    }

    /// When the loop should next look: now when something is ready and a
    /// connection could take it, else the earliest waiting attempt.
    pub fn next_wakeup(&self, now: Clock) -> Option<Instant> {
        let total: usize = self.per_hop.values().sum();
        if (!self.ready.is_empty() && total < self.cfg.max_outbound) || !self.to_connect.is_empty()
        {
            return Some(now.at);
        }
        let t = unix(now.wall);
        self.waiting
            .first()
            .map(|(due, _)| now.at + Duration::from_secs(due.saturating_sub(t)))
    }

    /// Writes entry `id`'s state (on the worker thread), or removes it when
    /// nothing is pending; files it again for its next attempt.
    fn save(&mut self, id: &str) {
        let Some(e) = self.entries.get(id) else {
            return;
        };
        let e = e.clone();
        if e.is_done() {
            self.entries.remove(id);
            self.worker.remove_delivered(e.id);
        } else {
            self.worker.save(e);
            self.schedule(id);
        }
    }

    /// Gives up on what is too old and warns about what is late.
    fn expire(&mut self) {
        let tick = self.clock.at;
        if self
            .expired_at
            .is_some_and(|t| tick.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        self.expired_at = Some(tick);
        let now = self.unix_now();
        let max_age = self.cfg.max_age.as_secs();
        let warn_at = self.cfg.delay_warning.as_secs();
        let ids: Vec<String> = self.entries.keys().cloned().collect();
        for id in ids {
            let Some(e) = self.entries.get(&id) else {
                continue;
            };
            let age = now.saturating_sub(e.arrived);
            let pending: Vec<usize> = e
                .rcpts
                .iter()
                .enumerate()
                .filter(|(i, r)| {
                    r.state == State::Pending && !self.busy.contains(&(id.clone(), *i))
                })
                .map(|(i, _)| i)
                .collect();
            if pending.is_empty() {
                continue;
            }
            if age >= max_age {
                let failed: Vec<(usize, String)> = pending
                    .iter()
                    .map(|&i| {
                        let last = &e.rcpts[i].last_reply;
                        (
                            i,
                            format!(
                                "4.4.7 message expired after {age} s in the queue; last: {last}"
                            ),
                        )
                    })
                    .collect();
                self.fail(&id, &failed, None);
            } else if age >= warn_at && !e.warned {
                self.notify(&id, &pending, Action::Delayed, None);
                if let Some(e) = self.entries.get_mut(&id) {
                    e.warned = true;
                }
                self.save(&id);
            }
        }
    }

    /// The next connection to open, if any is ready: its address. The
    /// job waits for [`Runner::open`]. Jobs that became due are handed to
    /// the loader first; their connections follow once they are ready.
    pub fn poll_connect(&mut self, now: Clock) -> Option<SocketAddr> {
        self.clock = now;
        while let Ok(e) = self.queued.1.try_recv() {
            self.add(e, now);
        }
        while let Ok((n, original)) = self.notices.1.try_recv() {
            self.reported(n, original);
        }
        self.expire();
        while let Some(r) = self.loader.try_ready() {
            self.loaded(r);
        }
        while self.plan() {}
        let (addr, job) = self.to_connect.pop_front()?;
        self.opening.push_back(job);
        Some(addr)
    }

    /// Picks the next due job and hands it to the loader; returns whether
    /// it did (there may be more).
    fn plan(&mut self) -> bool {
        let now = self.unix_now();
        while let Some((due, _)) = self.waiting.first() {
            if *due > now {
                break;
            }
            if let Some((_, id)) = self.waiting.pop_first() {
                self.ready.push_back(id);
            }
        }
        let total: usize = self.per_hop.values().sum();
        if total >= self.cfg.max_outbound || self.ready.is_empty() {
            return false;
        }
        // The hop of the first ready entry with a free connection; then up
        // to PER_CONNECTION entries for that hop, looking a bounded way
        // down the ready list. Entries for other hops keep their place.
        let mut hop: Option<String> = None;
        let mut messages: Vec<(String, Vec<usize>)> = Vec::new();
        let mut keep: VecDeque<String> = VecDeque::new();
        let mut looked = 0;
        while let Some(id) = self.ready.pop_front() {
            looked += 1;
            let Some(e) = self.entries.get(&id) else {
                continue;
            };
            let mut mine = Vec::new();
            let mut other = false;
            for (i, r) in e.rcpts.iter().enumerate() {
                if r.state != State::Pending
                    || r.next_attempt > now
                    || self.busy.contains(&(id.clone(), i))
                {
                    continue;
                }
                let Some(h) = self.cfg.routes.next_hop(&domain_of(&r.addr)) else {
                    continue;
                };
                match &hop {
                    None if self.per_hop.get(&h).copied().unwrap_or(0) < PER_HOP => {
                        hop = Some(h);
                        mine.push(i);
                    }
                    Some(x) if *x == h => mine.push(i),
                    _ => other = true,
                }
            }
            if !mine.is_empty() {
                messages.push((id.clone(), mine));
            }
            if other {
                keep.push_back(id);
            }
            if messages.len() >= PER_CONNECTION || looked >= 4 * PER_CONNECTION {
                break;
            }
        }
        // What was not looked at stays ahead of what was put back.
        keep.extend(self.ready.drain(..));
        self.ready = keep;
        let Some(hop) = hop else {
            return false;
        };
        let target = match hop.strip_prefix(super::route::MX_PREFIX) {
            Some(domain) => match self.mx_lookup(domain) {
                Some(Lookup::Hosts(h)) => {
                    let idx = self.mx_index.get(domain).copied().unwrap_or(0);
                    match h.get(idx).or(h.first()) {
                        Some(a) => Target::Known(*a),
                        None => Target::Resolve(domain.to_owned()),
                    }
                }
                Some(Lookup::NoMail(why)) => {
                    for (id, rcpts) in &messages {
                        let f: Vec<(usize, String)> = rcpts
                            .iter()
                            .map(|&i| (i, format!("550 5.1.2 {why}")))
                            .collect();
                        self.fail(id, &f, None);
                    }
                    return true;
                }
                Some(Lookup::Temporary(why)) => {
                    for (id, rcpts) in &messages {
                        let f: Vec<(usize, String)> =
                            rcpts.iter().map(|&i| (i, format!("4.4.3 {why}"))).collect();
                        self.retry(id, &f);
                    }
                    return true;
                }
                None => {
                    // Asked the resolver thread, which wakes the loop with
                    // its answer; a second at most if it is slow.
                    let soon = self.unix_now() + 1;
                    for (id, _) in &messages {
                        self.waiting.insert((soon, id.clone()));
                    }
                    return true;
                }
            },
            None => Target::Resolve(hop.clone()),
        };
        for (id, rcpts) in &messages {
            for &i in rcpts {
                self.busy.insert((id.clone(), i));
            }
        }
        *self.per_hop.entry(hop.clone()).or_default() += 1;
        self.next_job += 1;
        let no = self.next_job;
        self.loader.request(Request {
            no,
            target,
            ids: messages.iter().map(|(id, _)| id.clone()).collect(),
        });
        self.loading.insert(
            no,
            Job {
                hop,
                messages,
                refused: HashMap::new(),
                ready: false,
                bodies: Vec::new(),
                dsn: false,
            },
        );
        true
    }

    /// A job the loader made ready: it waits for its connection, keeping
    /// only the messages read in full. A hop that cannot be resolved is a
    /// temporary failure for all its recipients; a message file that is
    /// gone (`mailkit queue delete` beside the running server) drops its
    /// entry; any other read error defers the message.
    fn loaded(&mut self, r: Ready) {
        let Some(mut job) = self.loading.remove(&r.no) else {
            return;
        };
        let addr = match r.addr {
            Ok(a) => a,
            Err(why) => {
                let why = why.to_string();
                if let Some(n) = self.per_hop.get_mut(&job.hop) {
                    *n = n.saturating_sub(1);
                }
                for (id, rcpts) in &job.messages {
                    for &i in rcpts {
                        self.busy.remove(&(id.clone(), i));
                    }
                    let f: Vec<(usize, String)> = rcpts.iter().map(|&i| (i, why.clone())).collect();
                    self.retry(id, &f);
                }
                return;
            }
        };
        let mut carried = Vec::with_capacity(job.messages.len());
        let mut bodies = Vec::with_capacity(job.messages.len());
        for ((id, rcpts), body) in std::mem::take(&mut job.messages).into_iter().zip(r.bodies) {
            match body {
                Ok(data) => {
                    carried.push((id, rcpts));
                    bodies.push(data);
                }
                Err(err) => {
                    for &i in &rcpts {
                        self.busy.remove(&(id.clone(), i));
                    }
                    if err.kind() == std::io::ErrorKind::NotFound {
                        self.drop_deleted(&id);
                    } else {
                        let why: Vec<(usize, String)> = rcpts
                            .iter()
                            .map(|&i| (i, format!("cannot read the queued message: {err}")))
                            .collect();
                        self.retry(&id, &why);
                    }
                }
            }
        }
        if carried.is_empty() {
            if let Some(n) = self.per_hop.get_mut(&job.hop) {
                *n = n.saturating_sub(1);
            }
            return;
        }
        job.messages = carried;
        job.bodies = bodies;
        self.to_connect.push_back((addr, job));
    }

    /// The session for the connection just opened for the oldest waiting
    /// job; `key` names the connection in later calls.
    pub fn open(&mut self, key: ConnId, now: Instant) -> Option<ClientSession> {
        let mut job = self.opening.pop_front()?;
        let mut cfg = ClientConfig::new(self.cfg.hostname.clone());
        cfg.timeout = self.cfg.timeout;
        cfg.starttls_opportunistic = true;
        cfg.auth = self.cfg.auth.clone();
        let mut s = ClientSession::new(cfg, now);
        // The job keeps exactly the messages the session carries, in its
        // order (outcomes name them by position).
        let mut carried = Vec::with_capacity(job.messages.len());
        let bodies = std::mem::take(&mut job.bodies);
        for ((id, rcpts), data) in std::mem::take(&mut job.messages).into_iter().zip(bodies) {
            // An entry that has gone meanwhile is not sent.
            let Some(e) = self.entries.get(&id) else {
                for &i in &rcpts {
                    self.busy.remove(&(id.clone(), i));
                }
                continue;
            };
            let from = e.from.clone();
            let to = rcpts.iter().map(|&i| e.rcpts[i].addr.clone()).collect();
            // The queue keeps LF line ends (as the store does); a
            // BINARYMIME body goes as it is, so it gets its CRLFs back.
            let data = if e.binary {
                crate::util::lf_to_crlf(&data)
            } else {
                data
            };
            s.send(Envelope {
                from,
                to,
                data,
                // A BINARYMIME message needs a hop that offers it (RFC
                // 3030 §3): no downgrade; without it the message fails
                // with 554 5.6.1 and bounces.
                binary: e.binary,
                // Passed on unchanged when the hop speaks DSN; left out
                // (and "relayed" reported here) when it does not.
                dsn: Some(crate::proto::smtp::client::EnvelopeDsn {
                    mail: e.dsn.clone(),
                    rcpts: rcpts.iter().map(|&i| e.rcpts[i].dsn.clone()).collect(),
                    required: false,
                }),
            });
            carried.push((id, rcpts));
        }
        job.messages = carried;
        s.finish();
        self.jobs.insert(key, job);
        Some(s)
    }

    /// Forgets entry `id`, whose message file was removed behind the
    /// runner's back (`mailkit queue delete`): it is not sent, bounced or
    /// saved again.
    fn drop_deleted(&mut self, id: &str) {
        if self.entries.remove(id).is_some() {
            eprintln!(
                "mailkit: queue: {id} dropped: its message is no longer in the queue (deleted with `mailkit queue delete`?)"
            );
            // A state saved since the deletion goes too.
            self.worker.remove_delivered(id.to_owned());
        }
        self.busy.retain(|(b, _)| b != id);
        self.ready.retain(|r| r != id);
        self.waiting.retain(|(_, w)| w != id);
    }

    /// An outcome from the session of connection `key`.
    pub fn event(&mut self, key: ConnId, e: Event, now: Clock) {
        self.clock = now;
        match e {
            Event::RecipientRefused {
                message,
                rcpt,
                reply,
            } => {
                if let Some(job) = self.jobs.get_mut(&key) {
                    let text = format!("{} {}", reply.code, reply.lines.join(" "));
                    job.refused.entry(message).or_default().push((rcpt, text));
                }
            }
            Event::Delivered { message, reply } => {
                let Some(Outcome {
                    id,
                    rcpts,
                    refused,
                    hop,
                }) = self.take_outcome(key, message)
                else {
                    return;
                };
                let ok_text = format!("{} {}", reply.code, reply.lines.join(" "));
                let hop_dsn = self.jobs.get(&key).is_some_and(|j| j.dsn);
                let mut failed = Vec::new();
                let mut retry = Vec::new();
                let mut relayed = Vec::new();
                if let Some(e) = self.entries.get_mut(&id) {
                    for &i in &rcpts {
                        let r = &mut e.rcpts[i];
                        r.attempts += 1;
                        match refused.iter().find(|(a, _)| *a == r.addr) {
                            Some((_, why)) if why.starts_with('5') => failed.push((i, why.clone())),
                            Some((_, why)) => retry.push((i, why.clone())),
                            None => {
                                r.state = State::Delivered;
                                r.last_reply = ok_text.clone();
                                // NOTIFY=SUCCESS to a hop without DSN: we
                                // say "relayed" (RFC 3461 §6.2.2); a hop
                                // with DSN got the parameters and reports.
                                if r.dsn.on_success() && !hop_dsn {
                                    relayed.push(i);
                                }
                                if !self.cfg.quiet {
                                    eprintln!(
                                    "mailkit: queue: {id} delivered to <{}> via {hop}: {ok_text}",
                                    r.addr
                                );
                                }
                            }
                        }
                    }
                }
                if !relayed.is_empty() {
                    self.notify(&id, &relayed, Action::Relayed, Some(&hop));
                }
                self.fail(&id, &failed, Some(&hop));
                self.retry_counted(&id, &retry);
                self.save(&id);
            }
            Event::Failed { message, failure } => {
                let next_host = self
                    .jobs
                    .get(&key)
                    .is_some_and(|job| !job.ready && self.next_mx_left(&job.hop));
                if next_host {
                    // The host failed before any transaction (a 4xx or 5xx
                    // greeting, a timeout, a dropped connection): the
                    // message stays in flight and goes to the next mail
                    // host when the connection ends (see `ended`).
                    return;
                }
                let Some(Outcome {
                    id,
                    rcpts,
                    refused,
                    hop,
                }) = self.take_outcome(key, message)
                else {
                    return;
                };
                let (permanent, text) = match &failure {
                    Failure::Refused(_, r) => {
                        (r.code >= 500, format!("{} {}", r.code, r.lines.join(" ")))
                    }
                    Failure::TooBig { size, limit } => (
                        true,
                        format!("552 5.3.4 message of {size} octets over the limit of {limit}"),
                    ),
                    Failure::Unsupported(ext) => {
                        (true, format!("554 5.6.1 the next hop lacks {ext}"))
                    }
                    Failure::Closed => (false, "connection closed".into()),
                    Failure::Timeout => (false, "no reply in time".into()),
                    Failure::Protocol(p) => (false, p.clone()),
                    Failure::Tls(t) => (false, format!("TLS: {t}")),
                    Failure::Auth(a) => (false, a.clone()),
                };
                let mut failed = Vec::new();
                let mut retry = Vec::new();
                if let Some(e) = self.entries.get_mut(&id) {
                    for &i in &rcpts {
                        e.rcpts[i].attempts += 1;
                        let own = refused
                            .iter()
                            .find(|(a, _)| *a == e.rcpts[i].addr)
                            .map(|(_, w)| w.clone());
                        let (perm, why) = match own {
                            Some(w) => (w.starts_with('5'), w),
                            None => (permanent, text.clone()),
                        };
                        if perm {
                            failed.push((i, why));
                        } else {
                            retry.push((i, why));
                        }
                    }
                }
                self.fail(&id, &failed, Some(&hop));
                self.retry_counted(&id, &retry);
                self.save(&id);
            }
            Event::Ready { extensions, .. } => {
                if let Some(job) = self.jobs.get_mut(&key) {
                    job.ready = true;
                    job.dsn = extensions
                        .iter()
                        .any(|e| e.split(' ').next() == Some("DSN"));
                }
            }
            Event::SessionFailed(_) | Event::Finished => {}
        }
    }

    /// Connection `key` has closed: whatever it still held is retried, or,
    /// when the host failed before the greeting and EHLO were through,
    /// passed to the next mail host (as for [`Runner::connect_failed`]).
    pub fn closed(&mut self, key: ConnId, why: &str, now: Clock) {
        self.clock = now;
        self.ended(key, why, false);
    }

    /// Connection `key` could not be made. For a hop from the DNS, the
    /// next mail host is tried at once (RFC 5321 §5.1: each MX in turn);
    /// after the last one, the recipients wait for their retry.
    pub fn connect_failed(&mut self, key: ConnId, why: &str, now: Clock) {
        self.clock = now;
        self.ended(key, why, true);
    }

    /// The message whose outcome connection `key` reports: its entry id,
    /// the recipients it carried (no longer in flight), the replies of
    /// those the hop refused during the session, and the hop.
    fn take_outcome(&mut self, key: ConnId, message: usize) -> Option<Outcome> {
        let job = self.jobs.get_mut(&key)?;
        let (id, rcpts) = job.messages.get(message).cloned()?;
        let refused = job.refused.remove(&message).unwrap_or_default();
        let hop = job.hop.clone();
        for &i in &rcpts {
            self.busy.remove(&(id.clone(), i));
        }
        Some(Outcome {
            id,
            rcpts,
            refused,
            hop,
        })
    }

    /// Whether an MX hop has a mail host after the one in use.
    fn next_mx_left(&self, hop: &str) -> bool {
        let Some(domain) = hop.strip_prefix(super::route::MX_PREFIX) else {
            return false;
        };
        let hosts = match self.mx_cache.get(domain) {
            Some((_, Lookup::Hosts(h))) => h.len(),
            _ => 0,
        };
        self.mx_index.get(domain).copied().unwrap_or(0) + 1 < hosts
    }

    fn ended(&mut self, key: ConnId, why: &str, refused: bool) {
        let Some(job) = self.jobs.remove(&key) else {
            return;
        };
        let host_failed = refused || !job.ready;
        if let Some(n) = self.per_hop.get_mut(&job.hop) {
            *n = n.saturating_sub(1);
        }
        if let Some(domain) = job.hop.strip_prefix(super::route::MX_PREFIX) {
            let next_host = host_failed && self.next_mx_left(&job.hop);
            let idx = self.mx_index.entry(domain.to_owned()).or_insert(0);
            if next_host {
                *idx += 1;
                if !self.cfg.quiet {
                    eprintln!(
                        "mailkit: queue: mail host {} of {domain} failed ({why}); trying the next",
                        *idx
                    );
                }
                for (id, rcpts) in job.messages {
                    for i in rcpts {
                        self.busy.remove(&(id.clone(), i));
                    }
                    self.ready.push_back(id);
                }
                return;
            }
            *idx = 0;
        }
        for (id, rcpts) in job.messages {
            let left: Vec<(usize, String)> = rcpts
                .iter()
                .filter(|&&i| self.busy.remove(&(id.clone(), i)))
                .map(|&i| (i, why.to_owned()))
                .collect();
            if !left.is_empty() {
                if let Some(e) = self.entries.get_mut(&id) {
                    for (i, _) in &left {
                        e.rcpts[*i].attempts += 1;
                    }
                }
                self.retry_counted(&id, &left);
                self.save(&id);
            }
        }
    }

    /// Temporary failures already counted: schedule the next attempt.
    fn retry_counted(&mut self, id: &str, which: &[(usize, String)]) {
        let now = self.unix_now();
        if let Some(e) = self.entries.get_mut(id) {
            for (i, why) in which {
                let r = &mut e.rcpts[*i];
                let wait = schedule::next_delay(
                    r.attempts.max(1),
                    self.cfg.retry_base,
                    schedule::jitter(),
                );
                r.next_attempt = now + wait.as_secs().max(1);
                r.last_reply = why.clone();
                eprintln!(
                    "mailkit: queue: {id} to <{}> deferred: {why}; next try in {} s ({} attempt{} so far)",
                    r.addr,
                    r.next_attempt - now,
                    r.attempts,
                    if r.attempts == 1 { "" } else { "s" }
                );
            }
        }
    }

    /// A temporary failure before any attempt was made (counted as one).
    fn retry(&mut self, id: &str, which: &[(usize, String)]) {
        if let Some(e) = self.entries.get_mut(id) {
            for (i, _) in which {
                e.rcpts[*i].attempts += 1;
            }
        }
        self.retry_counted(id, which);
        self.save(id);
    }

    /// Permanent failures: mark them and bounce to the sender.
    fn fail(&mut self, id: &str, which: &[(usize, String)], hop: Option<&str>) {
        if which.is_empty() {
            return;
        }
        if let Some(e) = self.entries.get_mut(id) {
            for (i, why) in which {
                e.rcpts[*i].state = State::Failed;
                e.rcpts[*i].last_reply = why.clone();
                eprintln!(
                    "mailkit: queue: {id} to <{}> failed: {why}",
                    e.rcpts[*i].addr
                );
            }
        }
        let idx: Vec<usize> = which.iter().map(|(i, _)| *i).collect();
        self.notify(id, &idx, Action::Failed, hop);
        self.save(id);
    }

    /// Composes a DSN about `rcpts` of entry `id` for its sender.
    fn notify(&mut self, id: &str, rcpts: &[usize], action: Action, hop: Option<&str>) {
        let Some(e) = self.entries.get(id) else {
            return;
        };
        let Some(sender) = e
            .from
            .clone()
            .filter(|_| bounce::may_notify(e.from.as_deref()))
        else {
            return;
        };
        // Only the recipients whose sender wants this kind of report
        // (RFC 3461 §4.1: NOTIFY; none given means failures and delays).
        let wanted = |r: &crate::queue::Rcpt| match action {
            Action::Failed => r.dsn.on_failure(),
            Action::Delayed => r.dsn.on_delay(),
            Action::Delivered | Action::Relayed => r.dsn.on_success(),
        };
        let failed: Vec<Failed> = rcpts
            .iter()
            .filter(|&&i| wanted(&e.rcpts[i]))
            .map(|&i| {
                let r = &e.rcpts[i];
                Failed {
                    rcpt: r.addr.clone(),
                    status: match action {
                        Action::Delivered | Action::Relayed => "2.0.0".into(),
                        _ => bounce::status_of(&r.last_reply),
                    },
                    diagnostic: if r.last_reply.is_empty() {
                        "not yet delivered".into()
                    } else {
                        r.last_reply.clone()
                    },
                    remote: hop.map(str::to_owned),
                    orcpt: r.dsn.orcpt.clone(),
                }
            })
            .collect();
        if failed.is_empty() {
            return;
        }
        // The report quotes the original's header, read on the queue
        // thread (in order with the entry's removal, which `fail` submits
        // next); the report is made when the bytes come back
        // ([`Runner::reported`]).
        let arrival = std::time::UNIX_EPOCH + Duration::from_secs(e.arrived);
        let notice = Notice {
            id: id.to_owned(),
            sender,
            action,
            failed,
            arrival,
            token: format!(
                "{id}.{}.{}",
                rcpts.first().copied().unwrap_or(0),
                action_token(action)
            ),
            envid: e.dsn.envid.clone(),
            full: action == Action::Failed && e.dsn.ret == Some(crate::proto::smtp::dsn::Ret::Full),
        };
        let back = self.notices.0.clone();
        let wake = self.wake.clone();
        self.worker.read_message(
            id.to_owned(),
            Box::new(move |original| {
                let _ = back.send((notice, original));
                wake();
            }),
        );
    }

    /// Makes and sends the report of `n` now that the original is read.
    /// An entry whose message was deleted gets no report at all (deleting
    /// means "no bounce").
    fn reported(&mut self, n: Notice, original: std::io::Result<Vec<u8>>) {
        let Notice {
            id,
            sender,
            action,
            failed,
            arrival,
            token,
            envid,
            full,
        } = n;
        let original = match original {
            Ok(m) => m,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                self.drop_deleted(&id);
                return;
            }
            Err(err) => {
                eprintln!(
                    "mailkit: queue: {id}: the report leaves out the original's header: {err}"
                );
                Vec::new()
            }
        };
        let returned = if full {
            bounce::Returned::Full(&original)
        } else {
            bounce::Returned::Headers(bounce::header_block(&original))
        };
        let dsn = bounce::compose(
            &self.cfg.hostname,
            &sender,
            action,
            &failed,
            returned,
            arrival,
            &token,
            envid.as_deref(),
        );
        let what = match action {
            Action::Failed => "bounce",
            Action::Delayed => "delay warning",
            Action::Delivered | Action::Relayed => "success report",
        };
        let about: Vec<String> = failed.iter().map(|f| format!("<{}>", f.rcpt)).collect();
        eprintln!(
            "mailkit: queue: {id}: {what} for {} sent to <{sender}>",
            about.join(", ")
        );
        if self.cfg.local_domains.contains(&domain_of(&sender)) {
            self.todo.push(LocalBounce {
                rcpt: sender,
                data: dsn,
            });
            return;
        }
        // From the null sender, durably, on the queue thread; the entry
        // comes back through `queued` and is picked up by `poll_connect`.
        let back = self.queued.0.clone();
        let wake = self.wake.clone();
        self.worker.enqueue(
            NewEntry {
                id: None,
                from: None,
                rcpts: vec![sender],
                data: dsn,
                ..Default::default()
            },
            Box::new(move |r: std::io::Result<Entry>| match r {
                Ok(e) => {
                    let _ = back.send(e);
                    wake();
                }
                Err(e) => eprintln!("mailkit: queue: cannot queue a bounce: {e}"),
            }),
        );
    }
}
