//! The persistent outbound queue (SPEC: relay, queue): one message file and
//! one envelope file per queued message under `--queue DIR`.
//!
//! - `msg/ID` holds the envelope as it was queued, a line `data`, then the
//!   message as it will be sent; written once, in `tmp/` and renamed into
//!   place after a flush, so it is never half-visible. One file a message
//!   keeps the common case (delivered at the first attempt) cheap.
//! - `env/ID`, once the state changes (an attempt failed), holds the
//!   envelope and each recipient's delivery state; it overrides the copy
//!   in `msg/ID` and is replaced atomically (written in `tmp/`, fsynced,
//!   renamed, directory fsynced).
//!
//! A message is queued when its `msg/ID` is durable. A file that cannot be
//! read is moved to `corrupt/` with the reason, not deleted, so nothing is
//! lost to a bad byte; an `env/ID` without its message (a removal cut
//! short) is dropped.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::EntryError;
use crate::proto::smtp::dsn::{self, MailDsn, Notify, RcptDsn, Ret};

/// First line of every envelope file: the format and its version.
pub(crate) const MAGIC: &str = "mailkit-queue 1";

/// Where one recipient stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Still to be delivered (at `next_attempt`).
    Pending,
    /// The next hop said 250.
    Delivered,
    /// Permanently failed (5xx, or too old); a bounce was or will be sent.
    Failed,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<State> {
        match s {
            "pending" => Some(State::Pending),
            "delivered" => Some(State::Delivered),
            "failed" => Some(State::Failed),
            _ => None,
        }
    }
}

/// One recipient of a queued message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rcpt {
    /// The forward path.
    pub addr: String,
    /// Delivery state.
    pub state: State,
    /// Attempts made so far.
    pub attempts: u32,
    /// When to try next (seconds since the Unix epoch).
    pub next_attempt: u64,
    /// The last reply or error, one line.
    pub last_reply: String,
    /// Its NOTIFY and ORCPT (RFC 3461).
    pub dsn: RcptDsn,
}

/// A message to queue (see [`Spool::stage`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewEntry {
    /// The id it should have: the SMTP transaction id of the message, so
    /// one id names it from the 250 reply to `mailkit queue show`. `None`
    /// (bounces), an unsafe name or one already taken gets a fresh id.
    pub id: Option<String>,
    /// The reverse path; `None` is the null sender `<>`.
    pub from: Option<String>,
    /// The forward paths.
    pub rcpts: Vec<String>,
    /// The message as it will be sent.
    pub data: Vec<u8>,
    /// RET and ENVID (RFC 3461) as the message came with them.
    pub dsn: MailDsn,
    /// NOTIFY and ORCPT of each recipient, in the order of `rcpts`
    /// (missing ones: none given).
    pub rcpt_dsn: Vec<RcptDsn>,
    /// BODY=BINARYMIME (RFC 3030): only for a hop that offers it.
    pub binary: bool,
}

/// One queued message: its envelope and recipients' states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The queue id (also the file names).
    pub id: String,
    /// The reverse path; `None` is the null sender `<>` (bounces).
    pub from: Option<String>,
    /// When it was queued (seconds since the Unix epoch).
    pub arrived: u64,
    /// A delay warning (RFC 3464 action=delayed) was sent.
    pub warned: bool,
    /// The recipients, in order.
    pub rcpts: Vec<Rcpt>,
    /// RET and ENVID (RFC 3461).
    pub dsn: MailDsn,
    /// BODY=BINARYMIME (RFC 3030): only for a hop that offers it.
    pub binary: bool,
}

impl Entry {
    /// Recipients still pending.
    pub fn pending(&self) -> impl Iterator<Item = &Rcpt> {
        self.rcpts.iter().filter(|r| r.state == State::Pending)
    }

    /// True when no recipient is pending: the entry can go.
    pub fn is_done(&self) -> bool {
        self.pending().next().is_none()
    }

    /// The envelope file's text.
    fn render(&self) -> String {
        let mut s = format!(
            "{MAGIC}\nid {}\nfrom {}\narrived {}\nwarned {}\n",
            self.id,
            self.from.as_deref().unwrap_or(""),
            self.arrived,
            u8::from(self.warned)
        );
        if self.binary {
            s.push_str("body BINARYMIME\n");
        }
        if let Some(r) = self.dsn.ret {
            s.push_str(&format!("ret {}\n", r.as_str()));
        }
        if let Some(e) = &self.dsn.envid {
            s.push_str(&format!("envid {}\n", dsn::xtext_encode(e)));
        }
        for r in &self.rcpts {
            s.push_str(&format!(
                "rcpt {} {} {} {}\t{}\n",
                r.state.as_str(),
                r.attempts,
                r.next_attempt,
                r.addr,
                one_line(&r.last_reply)
            ));
            // The recipient's DSN parameters, on lines of their own after
            // it (older files have none: nothing asked for).
            if let Some(n) = r.dsn.notify {
                s.push_str(&format!("notify {n}\n"));
            }
            if let Some((t, a)) = &r.dsn.orcpt {
                s.push_str(&format!("orcpt {t};{}\n", dsn::xtext_encode(a)));
            }
        }
        s
    }

    /// Parses an envelope file; the error names the line.
    fn parse(text: &str) -> Result<Entry, EntryError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        match lines.next() {
            Some((_, MAGIC)) => {}
            Some((_, other)) => return Err(EntryError::NotQueueFile(other.to_owned())),
            None => return Err(EntryError::Empty),
        }
        let mut e = Entry {
            id: String::new(),
            from: None,
            arrived: 0,
            warned: false,
            rcpts: Vec::new(),
            dsn: MailDsn::default(),
            binary: false,
        };
        for (n, line) in lines {
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            let bad = |why: &'static str| EntryError::Line {
                n,
                why,
                text: line.to_owned(),
            };
            match key {
                "id" => e.id = rest.to_owned(),
                "from" if rest.is_empty() => e.from = None,
                "from" if valid_path(rest) => e.from = Some(rest.to_owned()),
                "from" => return Err(bad("not an address")),
                "arrived" => e.arrived = rest.parse().map_err(|_| bad("bad time"))?,
                "warned" => e.warned = rest == "1",
                "rcpt" => {
                    let (fields, reply) = rest.split_once('\t').unwrap_or((rest, ""));
                    let mut f = fields.splitn(4, ' ');
                    let state = f
                        .next()
                        .and_then(State::parse)
                        .ok_or_else(|| bad("bad state"))?;
                    let attempts = f
                        .next()
                        .and_then(|x| x.parse().ok())
                        .ok_or_else(|| bad("bad attempts"))?;
                    let next_attempt = f
                        .next()
                        .and_then(|x| x.parse().ok())
                        .ok_or_else(|| bad("bad time"))?;
                    let addr = f
                        .next()
                        .filter(|a| !a.is_empty())
                        .ok_or_else(|| bad("no address"))?;
                    if !valid_path(addr) {
                        return Err(bad("not an address"));
                    }
                    e.rcpts.push(Rcpt {
                        addr: addr.to_owned(),
                        state,
                        attempts,
                        next_attempt,
                        last_reply: reply.to_owned(),
                        dsn: RcptDsn::default(),
                    });
                }
                "body" if rest == "BINARYMIME" => e.binary = true,
                "body" => return Err(bad("unknown body type")),
                "ret" => {
                    e.dsn.ret = Some(Ret::parse(rest).ok_or_else(|| bad("bad RET"))?);
                }
                "envid" => {
                    e.dsn.envid = Some(dsn::xtext_decode(rest).map_err(|_| bad("bad ENVID"))?);
                }
                "notify" => {
                    let n = Notify::parse(rest).map_err(|_| bad("bad NOTIFY"))?;
                    e.rcpts
                        .last_mut()
                        .ok_or_else(|| bad("NOTIFY before a recipient"))?
                        .dsn
                        .notify = Some(n);
                }
                "orcpt" => {
                    let o = dsn::parse_orcpt(rest).map_err(|_| bad("bad ORCPT"))?;
                    e.rcpts
                        .last_mut()
                        .ok_or_else(|| bad("ORCPT before a recipient"))?
                        .dsn
                        .orcpt = Some(o);
                }
                "" => {}
                _ => return Err(bad("unknown field")),
            }
        }
        if e.id.is_empty() || e.rcpts.is_empty() {
            return Err(EntryError::Incomplete);
        }
        Ok(e)
    }
}

/// Whether `a` can stand in a MAIL FROM or RCPT TO as it is: a mailbox
/// with an `@`, at most 256 octets (RFC 5321 §4.5.3.1.3), no spaces,
/// angle brackets or control characters. A queue file edited by hand
/// cannot smuggle parameters (`a@b.c> SIZE=1`) into the next hop's
/// commands.
fn valid_path(a: &str) -> bool {
    a.len() <= 256
        && a.contains('@')
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// Reads a queue file (`msg/ID`: envelope, `data`, message) or a state
/// file (`env/ID`): the entry, or why not. Public for the fuzzer; the
/// spool uses it when it loads.
pub fn parse_queue_file(bytes: &[u8]) -> Result<Entry, EntryError> {
    let head = match split_data(bytes) {
        Some((head, _)) => head,
        None => bytes,
    };
    parse_envelope(head)
}

/// An envelope's bytes as an entry.
fn parse_envelope(bytes: &[u8]) -> Result<Entry, EntryError> {
    std::str::from_utf8(bytes)
        .map_err(|_| EntryError::NotUtf8)
        .and_then(Entry::parse)
}

/// A queue file's envelope and message, split at the `data` line.
fn split_data(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = memchr::memmem::find(bytes, b"\ndata\n")?;
    Some((&bytes[..at + 1], &bytes[at + 6..]))
}

/// Text for one envelope line: line breaks and tabs become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Seconds since the Unix epoch.
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A file that could not be read, moved to `corrupt/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// The queue id.
    pub id: String,
    /// Why.
    pub why: String,
}

/// The queue directory.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    counter: AtomicU64,
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// An id safe as a file name: only `[0-9A-Za-z.-]`, not starting with '.'.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

impl Spool {
    /// Opens (creating) the queue directory and its subdirectories.
    pub fn open(dir: &Path) -> io::Result<Spool> {
        for sub in ["msg", "env", "tmp", "corrupt"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Spool {
            dir: dir.to_path_buf(),
            counter: AtomicU64::new(0),
        })
    }

    /// Takes the queue for this process: an exclusive lock on `DIR/lock`,
    /// held while the returned file is open (released by the kernel when
    /// the process ends, however it ends). `WouldBlock` when another
    /// process holds it.
    pub fn lock(&self) -> io::Result<File> {
        use std::os::fd::AsRawFd;
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("lock"))?;
        // SAFETY: flock only reads the descriptor, which `f` keeps open.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(f)
    }

    /// Removes what a stopped server left in `tmp/`: messages staged but
    /// never acknowledged, and state saves never put in place (the entry
    /// keeps its older state). Call only when no server uses the queue.
    pub fn clean_tmp(&self) -> io::Result<usize> {
        let mut n = 0;
        for ent in fs::read_dir(self.dir.join("tmp"))?.flatten() {
            if ent.file_type().is_ok_and(|t| t.is_file()) && fs::remove_file(ent.path()).is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The queue directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn new_id(&self, now: SystemTime) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let micros = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
        format!("{micros:X}-{:X}-{n:X}", std::process::id())
    }

    /// Writes `bytes` to `tmp/NAME`, fsyncs it and renames it to `to`.
    fn write_atomic(&self, name: &str, bytes: &[u8], to: &Path) -> io::Result<()> {
        let tmp = self.dir.join("tmp").join(name);
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        fs::rename(&tmp, to)?;
        if let Some(parent) = to.parent() {
            sync_dir(parent)?;
        }
        Ok(())
    }

    /// Queues a message for `rcpts` durably (the caller may then say 250).
    pub fn enqueue(
        &self,
        from: Option<&str>,
        rcpts: &[String],
        data: &[u8],
        now: SystemTime,
    ) -> io::Result<Entry> {
        let items = [NewEntry {
            id: None,
            from: from.map(str::to_owned),
            rcpts: rcpts.to_vec(),
            data: data.to_vec(),
            ..Default::default()
        }];
        self.enqueue_batch(&items, now)
            .pop()
            .unwrap_or_else(|| Err(io::Error::other("nothing queued")))
    }

    /// Writes new entries' files into `tmp/` (not yet flushed, not yet
    /// visible): the first step of a group commit. See [`Spool::publish`].
    pub fn stage(&self, items: &[NewEntry], now: SystemTime) -> Vec<io::Result<Entry>> {
        let t = unix(now);
        items
            .iter()
            .map(
                |NewEntry {
                     id,
                     from,
                     rcpts,
                     data,
                     dsn,
                     rcpt_dsn,
                     binary,
                 }| {
                    let (id, mut f) = self.create_staged(id.as_deref(), now)?;
                    let entry = Entry {
                        id: id.clone(),
                        from: from.clone(),
                        arrived: t,
                        warned: false,
                        rcpts: rcpts
                            .iter()
                            .enumerate()
                            .map(|(i, r)| Rcpt {
                                addr: one_line(r),
                                state: State::Pending,
                                attempts: 0,
                                next_attempt: t,
                                last_reply: String::new(),
                                dsn: rcpt_dsn.get(i).cloned().unwrap_or_default(),
                            })
                            .collect(),
                        dsn: dsn.clone(),
                        binary: *binary,
                    };
                    f.write_all(entry.render().as_bytes())?;
                    f.write_all(b"data\n")?;
                    f.write_all(data)?;
                    Ok(entry)
                },
            )
            .collect()
    }

    /// Creates `tmp/ID.msg` for a new entry: under the id asked for (the
    /// SMTP transaction id, so the 250, the log and `mailkit queue` name
    /// the message alike) when it is a safe name and no entry has it yet,
    /// else under a fresh one. Never opens a file that exists.
    fn create_staged(&self, want: Option<&str>, now: SystemTime) -> io::Result<(String, File)> {
        if let Some(id) = want.filter(|id| valid_id(id)) {
            if !self.dir.join("msg").join(id).exists() {
                let path = self.dir.join("tmp").join(format!("{id}.msg"));
                match OpenOptions::new().write(true).create_new(true).open(path) {
                    Ok(f) => return Ok((id.to_owned(), f)),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let id = self.new_id(now);
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.dir.join("tmp").join(format!("{id}.msg")))?;
        Ok((id, f))
    }

    /// Writes entry `e`'s state into `tmp/` under a name of its own (`n`
    /// tells several saves of one entry apart), not yet flushed nor in
    /// place: the first step of a grouped [`Spool::save`]. See
    /// [`Spool::publish_env`].
    pub fn stage_env(&self, e: &Entry, n: u64) -> io::Result<PathBuf> {
        if !valid_id(&e.id) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad queue id"));
        }
        let tmp = self.dir.join("tmp").join(format!("{}.{n}.env", e.id));
        let mut f = File::create(&tmp)?;
        f.write_all(e.render().as_bytes())?;
        Ok(tmp)
    }

    /// Puts a state written by [`Spool::stage_env`] in place (replacing the
    /// entry's envelope). Call after a [`Spool::sync`] that followed the
    /// staging; the new state is durable after the next `sync`.
    pub fn publish_env(&self, tmp: &Path, id: &str) -> io::Result<()> {
        fs::rename(tmp, self.dir.join("env").join(id))
    }

    /// Moves a staged entry into place. Call after a [`Spool::sync`] that followed their
    /// [`Spool::stage`]; they are durable after the next `sync`.
    pub fn publish(&self, e: &Entry) -> io::Result<()> {
        fs::rename(
            self.dir.join("tmp").join(format!("{}.msg", e.id)),
            self.dir.join("msg").join(&e.id),
        )
    }

    /// One flush of the file system the queue lives on (`syncfs`): file
    /// data and directory entries written before it are durable after it.
    pub fn sync(&self) -> io::Result<()> {
        crate::store::maildir::syncfs(&File::open(&self.dir)?)
    }

    /// Queues several messages at once: stage, flush, publish, flush
    /// (what the queue thread pipelines across rounds).
    pub fn enqueue_batch(&self, items: &[NewEntry], now: SystemTime) -> Vec<io::Result<Entry>> {
        let staged = self.stage(items, now);
        if let Err(e) = self.sync() {
            return items
                .iter()
                .map(|_| Err(io::Error::new(e.kind(), e.to_string())))
                .collect();
        }
        let out: Vec<io::Result<Entry>> = staged
            .into_iter()
            .map(|r| r.and_then(|e| self.publish(&e).map(|()| e)))
            .collect();
        match self.sync() {
            Ok(()) => out,
            Err(e) => items
                .iter()
                .map(|_| Err(io::Error::new(e.kind(), e.to_string())))
                .collect(),
        }
    }

    /// Records an entry's new state (atomic replace of `env/ID`).
    pub fn save(&self, e: &Entry) -> io::Result<()> {
        if !valid_id(&e.id) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad queue id"));
        }
        self.write_atomic(
            &format!("{}.env", e.id),
            e.render().as_bytes(),
            &self.dir.join("env").join(&e.id),
        )
    }

    /// The message of entry `id`.
    pub fn message(&self, id: &str) -> io::Result<Vec<u8>> {
        if !valid_id(id) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad queue id"));
        }
        let bytes = fs::read(self.dir.join("msg").join(id))?;
        match split_data(&bytes) {
            Some((_, msg)) => Ok(msg.to_vec()),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "no `data` line: not a queue file",
            )),
        }
    }

    /// Removes entry `id`: the envelope first (so it is never seen as live
    /// without its message), then the message.
    pub fn remove(&self, id: &str) -> io::Result<()> {
        self.remove_entry(id, true)
    }

    /// Like [`Spool::remove`] without the directory flush: for delivered
    /// entries, where a removal lost to a crash only means one more
    /// delivery (at least once, never lost), and for entries whose message
    /// is already gone (their state file goes too).
    pub fn remove_delivered(&self, id: &str) -> io::Result<()> {
        self.remove_entry(id, false)
    }

    fn remove_entry(&self, id: &str, durable: bool) -> io::Result<()> {
        if !valid_id(id) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no queue entry {id:?}"),
            ));
        }
        // The message goes first: an override left behind by a crash is
        // dropped at the next load. Without `durable` (the runner's own
        // removals) a message already gone (`mailkit queue delete` beside
        // the running server) still has its state file removed.
        match fs::remove_file(self.dir.join("msg").join(id)) {
            Err(e) if durable || e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        if durable {
            sync_dir(&self.dir.join("msg"))?;
        }
        match fs::remove_file(self.dir.join("env").join(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Reads the whole queue (at start, and for `mailkit queue list`):
    /// entries sorted by arrival; unreadable ones are moved to `corrupt/`
    /// and listed; orphan messages (no envelope: a crash before the
    /// commit) are removed.
    pub fn load(&self) -> io::Result<(Vec<Entry>, Vec<SetAside>)> {
        let mut entries = Vec::new();
        let mut aside = Vec::new();
        let mut raw: Vec<std::ffi::OsString> = fs::read_dir(self.dir.join("msg"))?
            .filter_map(Result::ok)
            .map(|d| d.file_name())
            .collect();
        raw.sort();
        // A name that is not UTF-8 is no id of ours: set it aside as it is.
        let mut names: Vec<String> = Vec::with_capacity(raw.len());
        for name in raw {
            match name.into_string() {
                Ok(n) => names.push(n),
                Err(odd) => {
                    let shown = odd.to_string_lossy().into_owned();
                    let why = "the file name is not UTF-8, so not a queue id".to_owned();
                    self.set_aside_raw(&odd, &shown, &why)?;
                    aside.push(SetAside { id: shown, why });
                }
            }
        }
        for id in &names {
            let why = if !valid_id(id) {
                Some("not a queue id".to_owned())
            } else {
                let state = match fs::read(self.dir.join("env").join(id)) {
                    Ok(bytes) => Some(parse_envelope(&bytes)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => Some(Err(EntryError::Unreadable(e))),
                };
                let state = match state {
                    Some(s) => s,
                    None => match fs::read(self.dir.join("msg").join(id)) {
                        Err(e) => Err(EntryError::Unreadable(e)),
                        Ok(bytes) => match split_data(&bytes) {
                            Some((head, _)) => parse_envelope(head),
                            None => Err(EntryError::NoData),
                        },
                    },
                };
                match state {
                    Ok(e) if e.id != *id => Some(EntryError::WrongId(e.id).to_string()),
                    Ok(e) => {
                        entries.push(e);
                        None
                    }
                    Err(why) => Some(why.to_string()),
                }
            };
            if let Some(why) = why {
                self.set_aside(id, &why)?;
                aside.push(SetAside {
                    id: id.clone(),
                    why,
                });
            }
        }
        for d in fs::read_dir(self.dir.join("env"))?.filter_map(Result::ok) {
            let name = d.file_name().to_string_lossy().into_owned();
            if !names.contains(&name) {
                let _ = fs::remove_file(d.path());
            }
        }
        entries.sort_by(|a, b| (a.arrived, &a.id).cmp(&(b.arrived, &b.id)));
        Ok((entries, aside))
    }

    /// Moves both files of `id` to `corrupt/` with a `.why` note.
    fn set_aside(&self, id: &str, why: &str) -> io::Result<()> {
        self.set_aside_raw(std::ffi::OsStr::new(id), id, why)
    }

    /// [`Spool::set_aside`] for a file name as found on disk (`name`),
    /// shown as `id`.
    fn set_aside_raw(&self, name: &std::ffi::OsStr, id: &str, why: &str) -> io::Result<()> {
        let safe: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let to = self.dir.join("corrupt");
        for (sub, suffix) in [("env", "env"), ("msg", "msg")] {
            let from = self.dir.join(sub).join(name);
            if from.exists() {
                fs::rename(&from, to.join(format!("{safe}.{suffix}")))?;
            }
        }
        fs::write(to.join(format!("{safe}.why")), format!("{why}\n"))?;
        sync_dir(&to)
    }

    /// Asks a running server to try every pending recipient now
    /// (`mailkit queue flush`): it notices within a second.
    pub fn request_flush(&self) -> io::Result<()> {
        fs::write(self.dir.join("flush"), b"")
    }

    /// Takes a flush request, if one was made.
    pub fn take_flush(&self) -> bool {
        fs::remove_file(self.dir.join("flush")).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailkit-spool-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn enqueue_save_load_remove() {
        let d = tmp("roundtrip");
        let s = Spool::open(&d).unwrap();
        let now = SystemTime::now();
        let mut e = s
            .enqueue(
                Some("alice@crepes.fr"),
                &["bob@hamburger.edu".into(), "carol@x.org".into()],
                b"Subject: x\n\nhi\n",
                now,
            )
            .unwrap();
        assert_eq!(s.message(&e.id).unwrap(), b"Subject: x\n\nhi\n");
        e.rcpts[0].state = State::Delivered;
        e.rcpts[1].attempts = 2;
        e.rcpts[1].last_reply = "451 4.3.0 try\r\nlater".into();
        s.save(&e).unwrap();
        let (all, aside) = s.load().unwrap();
        assert!(aside.is_empty());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].rcpts[1].last_reply, "451 4.3.0 try  later");
        assert_eq!(all[0].pending().count(), 1);
        s.remove(&e.id).unwrap();
        assert!(s.load().unwrap().0.is_empty());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn truncated_or_corrupt_files_are_set_aside_not_deleted() {
        let d = tmp("corrupt");
        let s = Spool::open(&d).unwrap();
        let now = SystemTime::now();
        let good = s.enqueue(None, &["a@b.c".into()], b"x", now).unwrap();
        let bad = s.enqueue(None, &["a@b.c".into()], b"y", now).unwrap();
        let text = fs::read_to_string(d.join("msg").join(&bad.id)).unwrap();
        fs::write(d.join("msg").join(&bad.id), &text[..text.len() / 2]).unwrap();
        let orphan = d.join("env").join("ORPHAN-1");
        fs::write(&orphan, b"a state without its message").unwrap();
        let (all, aside) = s.load().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].id, good.id);
        assert_eq!(aside.len(), 1);
        assert_eq!(aside[0].id, bad.id);
        assert!(d.join("corrupt").join(format!("{}.msg", bad.id)).exists());
        assert!(
            fs::read_to_string(d.join("corrupt").join(format!("{}.why", bad.id)))
                .unwrap()
                .contains("line")
        );
        assert!(!orphan.exists());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn an_entry_takes_the_id_asked_for_unless_taken_or_unsafe() {
        let d = tmp("ids");
        let s = Spool::open(&d).unwrap();
        let ask = |id: &str| NewEntry {
            id: Some(id.into()),
            from: None,
            rcpts: vec!["b@y.org".into()],
            data: b"m".to_vec(),
            ..Default::default()
        };
        let now = SystemTime::now();
        let first = s.enqueue_batch(&[ask("6615CD3FC233A")], now);
        assert_eq!(first[0].as_ref().unwrap().id, "6615CD3FC233A");
        // Taken (a clock that went back): a fresh id, the old entry kept.
        let again = s.enqueue_batch(&[ask("6615CD3FC233A")], now);
        let other = &again[0].as_ref().unwrap().id;
        assert_ne!(other, "6615CD3FC233A");
        assert_eq!(s.message("6615CD3FC233A").unwrap(), b"m");
        // Unsafe as a file name: a fresh id.
        let odd = s.enqueue_batch(&[ask("../x")], now);
        assert!(!odd[0].as_ref().unwrap().id.contains('/'));
        assert_eq!(s.load().unwrap().0.len(), 3);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn batches_commit_together() {
        let d = tmp("batch");
        let s = Spool::open(&d).unwrap();
        let items: Vec<_> = (0..5)
            .map(|i| NewEntry {
                id: None,
                from: Some(format!("a{i}@x.org")),
                rcpts: vec![format!("b{i}@y.org")],
                data: format!("m{i}").into_bytes(),
                ..Default::default()
            })
            .collect();
        let out = s.enqueue_batch(&items, SystemTime::now());
        assert!(out.iter().all(|r| r.is_ok()));
        let (all, aside) = s.load().unwrap();
        assert_eq!((all.len(), aside.len()), (5, 0));
        for e in &all {
            let n = e
                .from
                .as_deref()
                .unwrap_or_default()
                .trim_start_matches('a')
                .trim_end_matches("@x.org")
                .to_owned();
            assert_eq!(s.message(&e.id).unwrap(), format!("m{n}").into_bytes());
        }
        assert_eq!(fs::read_dir(d.join("tmp")).unwrap().count(), 0);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn ids_cannot_leave_the_queue() {
        let d = tmp("ids");
        let s = Spool::open(&d).unwrap();
        assert!(s.message("../../etc/passwd").is_err());
        assert!(s.remove("../x").is_err());
        let _ = fs::remove_dir_all(&d);
    }
}
