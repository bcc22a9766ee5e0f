//! The delivery runner: drains the queue over the shared event loop with
//! the SMTP client session (the one `send` uses). It decides what is due,
//! groups due recipients by next hop (one connection carries many
//! messages; at most [`PER_HOP`] connections per hop and `max_outbound` in
//! all), reads the outcomes, schedules retries with backoff, and produces
//! bounces and delay warnings. All spool writes go to a worker thread
//! ([`SpoolWorker`]): the loop never waits for the disk.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::bounce::{self, Action, Failed};
use super::dns::Lookup;
use super::route::Routes;
use super::schedule;
use super::spool::{unix, Entry, NewEntry, Spool, State};
use crate::net::ConnId;
use crate::proto::smtp::client::{ClientConfig, ClientSession, Envelope, Event, Failure};

/// Most simultaneous connections to one next hop.
pub const PER_HOP: usize = 2;

/// Most messages one connection carries before it is closed.
const PER_CONNECTION: usize = 100;

/// What the worker is told to do.
enum Work {
    /// Write an entry's new state (attempts, next try, delivered
    /// recipients). It rides on the rounds' flushes like new messages.
    Save(Entry),
    /// Remove a finished entry, without a flush (a removal lost to a crash
    /// only means one more delivery: at least once, never lost).
    Remove(String),
    /// A new message to queue; `done` hears the outcome.
    Enqueue(NewEntry, Done),
}

/// Most new messages committed together.
const MAX_BATCH: usize = 256;

/// The thread that does every queue file write. New messages that arrive
/// together are committed together (two flushes a batch, as the Maildir
/// writer does), so relayed intake is not capped at one flush a message.
#[derive(Clone)]
pub struct SpoolWorker {
    tx: mpsc::Sender<Work>,
    spool: Arc<Spool>,
}

/// Hears the outcome of queueing a message: its entry, or why not.
pub type Done = Box<dyn FnOnce(Result<Entry, String>) + Send>;

/// The queue thread. New messages and state saves are group-committed
/// in pipelined rounds, as the Maildir writer does: each round puts the
/// previous round's files in place (their data was flushed last round),
/// stages the new ones in `tmp/`, and flushes once, which makes the
/// previous ones durable (their senders get their 250) and the new ones'
/// data. One flush a round, however many messages and saves.
fn worker_loop(s: &Spool, rx: &mpsc::Receiver<Work>) {
    let mut prev: Vec<(Result<Entry, String>, Done)> = Vec::new();
    let mut prev_saves: Vec<(String, PathBuf)> = Vec::new();
    let mut seq: u64 = 0;
    loop {
        // Block for work only when nothing waits to be put in place.
        let mut batch = Vec::new();
        if prev.is_empty() && prev_saves.is_empty() {
            match rx.recv() {
                Ok(w) => batch.push(w),
                Err(_) => return,
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        // 1. Last round's files in place, before anything of this round
        // (a removal below must come after a save staged earlier).
        let published: Vec<(Result<Entry, String>, Done)> = prev
            .drain(..)
            .map(|(r, done)| {
                let r = r.and_then(|e| {
                    s.publish(&e)
                        .map(|()| e)
                        .map_err(|e| format!("cannot queue: {e}"))
                });
                (r, done)
            })
            .collect();
        let saved = !prev_saves.is_empty();
        for (id, tmp) in prev_saves.drain(..) {
            if let Err(err) = s.publish_env(&tmp, &id) {
                eprintln!("mailkit: queue: cannot save {id}: {err}");
                let _ = std::fs::remove_file(&tmp);
            }
        }
        // 2. This round's work, in order.
        let mut items = Vec::new();
        let mut dones = Vec::new();
        let mut saves: Vec<(String, PathBuf)> = Vec::new();
        for w in batch {
            match w {
                Work::Save(e) => {
                    seq += 1;
                    match s.stage_env(&e, seq) {
                        Ok(tmp) => saves.push((e.id, tmp)),
                        Err(err) => eprintln!("mailkit: queue: cannot save {}: {err}", e.id),
                    }
                }
                Work::Remove(id) => {
                    // A save of it staged this round is moot.
                    saves.retain(|(sid, tmp)| {
                        let keep = *sid != id;
                        if !keep {
                            let _ = std::fs::remove_file(tmp);
                        }
                        keep
                    });
                    if let Err(err) = s.remove_delivered(&id) {
                        eprintln!("mailkit: queue: cannot remove {id}: {err}");
                    }
                }
                Work::Enqueue(item, done) => {
                    items.push(item);
                    dones.push(done);
                }
            }
        }
        let staged = s.stage(&items, SystemTime::now());
        if published.is_empty() && staged.is_empty() && saves.is_empty() && !saved {
            continue;
        }
        // 3. One flush for all of it.
        let synced = s.sync();
        if let Err(e) = &synced {
            eprintln!("mailkit: queue: cannot flush the queue: {e}");
        }
        for (r, done) in published {
            match (&synced, r) {
                (Ok(()), r) => done(r),
                (Err(e), _) => done(Err(format!("cannot queue: {e}"))),
            }
        }
        prev = staged
            .into_iter()
            .map(|r| match (&synced, r) {
                (Ok(()), r) => r.map_err(|e| format!("cannot queue: {e}")),
                (Err(e), _) => Err(format!("cannot queue: {e}")),
            })
            .zip(dones)
            .collect();
        // A save whose data may not be durable is not put in place: the
        // entry keeps its older state (tried again, never lost).
        match &synced {
            Ok(()) => prev_saves = saves,
            Err(_) => {
                for (_, tmp) in saves {
                    let _ = std::fs::remove_file(tmp);
                }
            }
        }
    }
}

impl SpoolWorker {
    /// Starts the worker for `spool`.
    pub fn spawn(spool: Arc<Spool>) -> std::io::Result<SpoolWorker> {
        let (tx, rx) = mpsc::channel::<Work>();
        let s = spool.clone();
        std::thread::Builder::new()
            .name("mailkit-queue".into())
            .spawn(move || worker_loop(&s, &rx))?;
        Ok(SpoolWorker { tx, spool })
    }

    /// Saves an entry's new state on the worker (durable two rounds on),
    /// in order with everything submitted before it.
    pub fn save(&self, e: Entry) {
        let _ = self.tx.send(Work::Save(e));
    }

    /// Removes a finished entry on the worker, in order with everything
    /// submitted before it.
    pub fn remove_delivered(&self, id: String) {
        let _ = self.tx.send(Work::Remove(id));
    }

    /// Queues a message durably on the worker; `done` hears the entry.
    pub fn enqueue(&self, item: NewEntry, done: Done) {
        let _ = self.tx.send(Work::Enqueue(item, done));
    }

    /// The spool (for reads at start).
    pub fn spool(&self) -> &Arc<Spool> {
        &self.spool
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
    /// A job waiting for its connection to open.
    opening: VecDeque<Job>,
    per_hop: HashMap<String, usize>,
    /// Bounces and warnings for the owner.
    todo: Vec<LocalBounce>,
    /// Bounces queued on the queue thread, back as entries to schedule.
    queued: (mpsc::Sender<Entry>, mpsc::Receiver<Entry>),
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

/// Questions to the resolver thread and its answers.
type DnsChannel = (mpsc::Sender<String>, mpsc::Receiver<(String, Lookup)>);

/// How long an MX answer is used before it is asked again.
const MX_TTL: Duration = Duration::from_secs(300);

fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_ascii_lowercase()
}

impl Runner {
    /// A runner over the entries already in the spool (a restart).
    pub fn new(cfg: RunnerConfig, worker: SpoolWorker, entries: Vec<Entry>) -> Runner {
        let mut r = Runner {
            cfg,
            worker,
            entries: HashMap::new(),
            busy: Default::default(),
            jobs: HashMap::new(),
            opening: VecDeque::new(),
            per_hop: HashMap::new(),
            todo: Vec::new(),
            queued: mpsc::channel(),
            ready: VecDeque::new(),
            waiting: Default::default(),
            expired_at: None,
            dns: None,
            mx_cache: HashMap::new(),
            mx_asked: Default::default(),
            mx_index: HashMap::new(),
        };
        for e in entries {
            r.add(e);
        }
        r
    }

    /// Starts the resolver thread for MX lookups (`--resolver`).
    pub fn with_resolver(mut self, r: super::dns::Resolver) -> std::io::Result<Runner> {
        let (qtx, qrx) = mpsc::channel::<String>();
        let (atx, arx) = mpsc::channel::<(String, Lookup)>();
        std::thread::Builder::new()
            .name("mailkit-dns".into())
            .spawn(move || {
                for domain in qrx {
                    let answer = r.mail_hosts(&domain);
                    if atx.send((domain, answer)).is_err() {
                        return;
                    }
                }
            })?;
        self.dns = Some((qtx, arx));
        Ok(self)
    }

    /// The cached answer for `domain`, or `None` after asking for one.
    fn mx_lookup(&mut self, domain: &str) -> Option<Lookup> {
        let now = Instant::now();
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
            return Some(Lookup::Temporary("no DNS resolver configured".into()));
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
        if next <= unix(SystemTime::now()) {
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
    pub fn add(&mut self, e: Entry) {
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

    /// Makes everything pending due now (`mailkit queue flush`).
    pub fn flush(&mut self) {
        let now = unix(SystemTime::now());
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
    pub fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        let total: usize = self.per_hop.values().sum();
        if !self.ready.is_empty() && total < self.cfg.max_outbound {
            return Some(now);
        }
        let t = unix(SystemTime::now());
        self.waiting
            .first()
            .map(|(due, _)| now + Duration::from_secs(due.saturating_sub(t)))
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
        let tick = Instant::now();
        if self
            .expired_at
            .is_some_and(|t| tick.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        self.expired_at = Some(tick);
        let now = unix(SystemTime::now());
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

    /// The next connection to open, if any is due: its address. The job
    /// waits for [`Runner::open`].
    pub fn poll_connect(&mut self) -> Option<SocketAddr> {
        while let Ok(e) = self.queued.1.try_recv() {
            self.add(e);
        }
        self.expire();
        let now = unix(SystemTime::now());
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
            return None;
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
        let hop = hop?;
        let resolved = match hop.strip_prefix(super::route::MX_PREFIX) {
            Some(domain) => match self.mx_lookup(domain) {
                Some(Lookup::Hosts(h)) => {
                    let idx = self.mx_index.get(domain).copied().unwrap_or(0);
                    h.get(idx).or(h.first()).copied()
                }
                Some(Lookup::NoMail(why)) => {
                    for (id, rcpts) in &messages {
                        let f: Vec<(usize, String)> = rcpts
                            .iter()
                            .map(|&i| (i, format!("550 5.1.2 {why}")))
                            .collect();
                        self.fail(id, &f, None);
                    }
                    return None;
                }
                Some(Lookup::Temporary(why)) => {
                    for (id, rcpts) in &messages {
                        let f: Vec<(usize, String)> =
                            rcpts.iter().map(|&i| (i, format!("4.4.3 {why}"))).collect();
                        self.retry(id, &f);
                    }
                    return None;
                }
                None => {
                    // Asked the resolver thread: look again in a second.
                    let soon = unix(SystemTime::now()) + 1;
                    for (id, _) in &messages {
                        self.waiting.insert((soon, id.clone()));
                    }
                    return None;
                }
            },
            None => hop.to_socket_addrs().ok().and_then(|mut a| a.next()),
        };
        let addr = match resolved {
            Some(a) => a,
            None => {
                // Cannot resolve the hop: a temporary failure for all.
                for (id, rcpts) in &messages {
                    let why: Vec<(usize, String)> = rcpts
                        .iter()
                        .map(|&i| (i, format!("cannot resolve {hop}")))
                        .collect();
                    self.retry(id, &why);
                }
                return None;
            }
        };
        for (id, rcpts) in &messages {
            for &i in rcpts {
                self.busy.insert((id.clone(), i));
            }
        }
        *self.per_hop.entry(hop.clone()).or_default() += 1;
        self.opening.push_back(Job {
            hop,
            messages,
            refused: HashMap::new(),
            ready: false,
        });
        Some(addr)
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
        // Only what was read in full is sent; the job keeps exactly the
        // messages the session carries, in its order (outcomes name them
        // by position).
        let mut carried = Vec::with_capacity(job.messages.len());
        for (id, rcpts) in std::mem::take(&mut job.messages) {
            // An entry that has gone meanwhile needs no read.
            let Some(e) = self.entries.get(&id) else {
                continue;
            };
            let from = e.from.clone();
            let to = rcpts.iter().map(|&i| e.rcpts[i].addr.clone()).collect();
            let Some(data) = self.read_message(&id, &rcpts) else {
                continue;
            };
            s.send(Envelope { from, to, data });
            carried.push((id, rcpts));
        }
        job.messages = carried;
        s.finish();
        self.jobs.insert(key, job);
        Some(s)
    }

    /// The message of entry `id`, read in full, for sending to `rcpts`.
    /// When it cannot be read the recipients are no longer in flight, and
    /// nothing is sent: a spool file that is gone (`mailkit queue delete`
    /// beside the running server) drops the entry; any other error is a
    /// deferral, tried again later.
    fn read_message(&mut self, id: &str, rcpts: &[usize]) -> Option<Vec<u8>> {
        let err = match self.worker.spool().message(id) {
            Ok(d) => return Some(d),
            Err(e) => e,
        };
        for &i in rcpts {
            self.busy.remove(&(id.to_owned(), i));
        }
        if err.kind() == std::io::ErrorKind::NotFound {
            self.drop_deleted(id);
        } else {
            let why: Vec<(usize, String)> = rcpts
                .iter()
                .map(|&i| (i, format!("cannot read the queued message: {err}")))
                .collect();
            self.retry(id, &why);
        }
        None
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
    pub fn event(&mut self, key: ConnId, e: Event) {
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
                let mut failed = Vec::new();
                let mut retry = Vec::new();
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
            Event::Ready { .. } => {
                if let Some(job) = self.jobs.get_mut(&key) {
                    job.ready = true;
                }
            }
            Event::SessionFailed(_) | Event::Finished => {}
        }
    }

    /// Connection `key` has closed: whatever it still held is retried, or,
    /// when the host failed before the greeting and EHLO were through,
    /// passed to the next mail host (as for [`Runner::connect_failed`]).
    pub fn closed(&mut self, key: ConnId, why: &str) {
        self.ended(key, why, false);
    }

    /// Connection `key` could not be made. For a hop from the DNS, the
    /// next mail host is tried at once (RFC 5321 §5.1: each MX in turn);
    /// after the last one, the recipients wait for their retry.
    pub fn connect_failed(&mut self, key: ConnId, why: &str) {
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
        let now = unix(SystemTime::now());
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
        let failed: Vec<Failed> = rcpts
            .iter()
            .map(|&i| {
                let r = &e.rcpts[i];
                Failed {
                    rcpt: r.addr.clone(),
                    status: bounce::status_of(&r.last_reply),
                    diagnostic: if r.last_reply.is_empty() {
                        "not yet delivered".into()
                    } else {
                        r.last_reply.clone()
                    },
                    remote: hop.map(str::to_owned),
                }
            })
            .collect();
        // The report quotes the original's header; an entry whose message
        // was deleted gets no report at all (deleting means "no bounce").
        let original = match self.worker.spool().message(id) {
            Ok(m) => m,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                self.drop_deleted(id);
                return;
            }
            Err(err) => {
                eprintln!(
                    "mailkit: queue: {id}: the report leaves out the original's header: {err}"
                );
                Vec::new()
            }
        };
        let Some(e) = self.entries.get(id) else {
            return;
        };
        let arrival = std::time::UNIX_EPOCH + Duration::from_secs(e.arrived);
        let dsn = bounce::compose(
            &self.cfg.hostname,
            &sender,
            action,
            &failed,
            bounce::header_block(&original),
            arrival,
            &format!("{id}.{}", rcpts.first().copied().unwrap_or(0)),
        );
        let what = match action {
            Action::Failed => "bounce",
            Action::Delayed => "delay warning",
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
        self.worker.enqueue(
            NewEntry {
                id: None,
                from: None,
                rcpts: vec![sender],
                data: dsn,
            },
            Box::new(move |r: Result<Entry, String>| match r {
                Ok(e) => {
                    let _ = back.send(e);
                }
                Err(e) => eprintln!("mailkit: queue: cannot queue a bounce: {e}"),
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Queues a message through the worker and waits for it: everything
    /// submitted before it is in place and durable by then.
    fn barrier(w: &SpoolWorker) -> Entry {
        let (tx, rx) = mpsc::channel();
        w.enqueue(
            NewEntry {
                id: None,
                from: None,
                rcpts: vec!["x@y.z".into()],
                data: b"barrier\n".to_vec(),
            },
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap()
    }

    #[test]
    fn saves_ride_on_rounds_in_order_and_removals_cancel_them() {
        let d = std::env::temp_dir().join(format!("mailkit-worker-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let spool = Arc::new(Spool::open(&d).unwrap());
        let w = SpoolWorker::spawn(spool.clone()).unwrap();
        let mut a = barrier(&w);
        let b = barrier(&w);
        // Three saves of `a` in a row: the last one wins.
        for n in 1..=3 {
            a.rcpts[0].attempts = n;
            a.rcpts[0].last_reply = format!("451 try {n}");
            w.save(a.clone());
        }
        // A save of `b` and then its removal: nothing of `b` is left.
        w.save(b.clone());
        w.remove_delivered(b.id.clone());
        let c = barrier(&w);
        let (all, aside) = spool.load().unwrap();
        assert!(aside.is_empty());
        let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, [a.id.as_str(), c.id.as_str()]);
        assert_eq!(all[0].rcpts[0].attempts, 3);
        assert_eq!(all[0].rcpts[0].last_reply, "451 try 3");
        assert!(!d.join("env").join(&b.id).exists());
        // Nothing is left half-done in tmp/ once the worker is idle.
        barrier(&w);
        assert_eq!(std::fs::read_dir(d.join("tmp")).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&d);
    }
}
