//! `mailkit fetch --protocol imap`: retrieve mail over IMAP into a
//! Maildir (flags kept as Maildir info), an mbox or stdout, from one or
//! more folders, as fetchmail and getmail do.
//!
//! Per folder: SELECT (its UIDVALIDITY), `UID FETCH 1:* (UID RFC822.SIZE
//! FLAGS)` to list, then `UID FETCH` of the messages wanted in batches,
//! always with BODY.PEEK (so fetching marks nothing read). A batch is made
//! durable before its UIDs are remembered (`--new-only`) and before it is
//! deleted on the server (`--delete`: `UID STORE +FLAGS.SILENT (\Deleted)`
//! then `UID EXPUNGE` of exactly those UIDs, RFC 4315).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::OpenOptions;
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use imap_codec::imap_types::core::NString;
use imap_codec::imap_types::fetch::MessageDataItem;
use imap_codec::imap_types::flag::{Flag, FlagFetch};
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Capability, Code, Data, Response, Status, StatusKind};

use super::exit as fail;
use super::fetch::{client_tls, open_sink, password, state_path, Sink};
use crate::cli::Fetch;
use crate::net::{ClientService, ConnId, Service, ServiceOpts, StopMode};
use crate::proto::imap::client::{astring, Event, ImapClient};

/// The IMAP server without `--server` or MAILKIT_FETCH_SERVER.
pub const DEFAULT_SERVER: &str = "127.0.0.1:1143";

/// Messages fetched by one UID FETCH (and made durable together).
const BATCH: usize = 128;

/// UID FETCH batches in flight at once (without `--delete`): the server
/// reads the next batch while this side stores the last.
const DEPTH: usize = 2;

/// What the session is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    StartTls,
    Login,
    ListFolders,
    Select(String),
    Listing,
    Fetch(Vec<u32>),
    MarkDeleted(Vec<u32>),
    Expunge(Vec<u32>),
    /// `--wait`: IDLE in the one folder until enough messages are there.
    Idle,
    Logout,
}

/// One message as the listing shows it.
#[derive(Debug, Clone, Default)]
struct Listed {
    uid: u32,
    size: u32,
    flags: String,
    head: Vec<u8>,
}

struct ImapFetch {
    server: SocketAddr,
    user: String,
    password: String,
    timeout: Duration,
    opened: bool,
    live: bool,
    /// `--wait N`: only count the messages.
    count_only: bool,
    /// `--wait N`: how many to wait for, IDLEing when the server can
    /// (RFC 2177) and there is one folder.
    wait_for: Option<usize>,
    /// The server said IDLE in its capabilities.
    can_idle: bool,
    /// IDLE was entered (its end may be a timeout, not a failure).
    idled: bool,
    /// DONE was sent.
    idle_done: bool,
    list: bool,
    delete: bool,
    all_folders: bool,
    folders: VecDeque<String>,
    folder: String,
    uid_validity: u32,
    step: Step,
    tag: u64,
    listing: Vec<Listed>,
    todo: VecDeque<u32>,
    /// UID FETCH batches sent after the one `step` names, oldest first.
    ahead: VecDeque<Vec<u32>>,
    /// The UIDs fetched in the current batch, with their messages' flags.
    batch: Vec<(u32, String)>,
    seen: State,
    state_file: Option<PathBuf>,
    sink: Sink,
    /// The Maildir `--to-maildir` names, to keep flags as Maildir info.
    maildir: Option<PathBuf>,
    fetched: usize,
    bytes: u64,
    deleted: usize,
    counted: usize,
    /// `--wait`: messages counted in folders other than the one IDLEd in.
    counted_elsewhere: usize,
    logout_ok: bool,
    error: Option<anyhow::Error>,
    tls: Option<crate::net::tls::ClientTls>,
    starttls: bool,
    implicit_tls: bool,
}

/// `--new-only` state: for each folder, its UIDVALIDITY and the UIDs
/// fetched. A line a UID: `user@server/folder validity uid`.
#[derive(Debug, Default)]
struct State {
    folders: HashMap<String, (u32, HashSet<u32>)>,
}

impl State {
    fn key(user: &str, server: &SocketAddr, folder: &str) -> String {
        format!("{user}@{server}/{folder}")
    }

    fn load(file: &Path, user: &str, server: &SocketAddr) -> anyhow::Result<State> {
        let prefix = format!("{user}@{server}/");
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => bail!(
                "cannot read the --new-only state file {}: {e}",
                file.display()
            ),
        };
        let mut s = State::default();
        for line in text.lines() {
            let mut w = line.split(' ');
            let (Some(k), Some(v), Some(u)) = (w.next(), w.next(), w.next()) else {
                continue;
            };
            let Some(folder) = k.strip_prefix(&prefix) else {
                continue;
            };
            let (Ok(v), Ok(u)) = (v.parse::<u32>(), u.parse::<u32>()) else {
                continue;
            };
            let e = s
                .folders
                .entry(folder.to_owned())
                .or_insert((v, HashSet::new()));
            if e.0 != v {
                // A later validity replaces what an earlier one knew.
                *e = (v, HashSet::new());
            }
            e.1.insert(u);
        }
        Ok(s)
    }
}

impl ImapFetch {
    fn next_tag(&mut self) -> u64 {
        self.tag += 1;
        self.tag
    }

    fn send(&mut self, c: &mut ImapClient, step: Step, now: Instant) {
        let text: Vec<u8> = match &step {
            Step::StartTls => b"STARTTLS".to_vec(),
            Step::Login => {
                let mut t = b"LOGIN ".to_vec();
                t.extend(astring(&self.user));
                t.push(b' ');
                t.extend(astring(&self.password));
                t
            }
            Step::ListFolders => b"LIST \"\" \"*\"".to_vec(),
            Step::Select(f) => {
                let mut t = b"EXAMINE ".to_vec();
                if self.delete {
                    t = b"SELECT ".to_vec();
                }
                t.extend(astring(f));
                t
            }
            Step::Listing => {
                if self.list {
                    b"UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])".to_vec()
                } else {
                    b"UID FETCH 1:* (UID RFC822.SIZE FLAGS)".to_vec()
                }
            }
            Step::Fetch(uids) => fetch_text(uids),
            Step::MarkDeleted(uids) => {
                format!("UID STORE {} +FLAGS.SILENT (\\Deleted)", set(uids)).into_bytes()
            }
            Step::Expunge(uids) => format!("UID EXPUNGE {}", set(uids)).into_bytes(),
            Step::Idle => b"IDLE".to_vec(),
            Step::Logout => b"LOGOUT".to_vec(),
        };
        self.step = step;
        let tag = self.next_tag();
        c.command(tag, &text, now);
    }

    /// While IDLEing: DONE once enough messages are there.
    fn idle_check(&mut self, c: &mut ImapClient) {
        let enough = self.wait_for.is_some_and(|n| self.counted >= n);
        if self.step == Step::Idle && enough && !self.idle_done {
            self.idle_done = true;
            c.send_raw(b"DONE\r\n");
        }
    }

    fn abort(&mut self, c: &mut ImapClient, e: anyhow::Error, now: Instant) {
        if self.error.is_none() {
            self.error = Some(e);
        }
        if let Err(e) = self.sink.commit() {
            eprintln!("mailkit: fetch: {e:#}");
        }
        if self.step != Step::Logout {
            self.send(c, Step::Logout, now);
        }
    }

    /// The next folder, or LOGOUT.
    fn next_folder(&mut self, c: &mut ImapClient, now: Instant) {
        match self.folders.pop_front() {
            Some(f) => {
                self.folder = f.clone();
                self.uid_validity = 0;
                self.listing.clear();
                self.send(c, Step::Select(f), now)
            }
            None => self.send(c, Step::Logout, now),
        }
    }

    /// Keeps up to [`DEPTH`] batches in flight (one with `--delete`,
    /// whose batches are each deleted before the next is fetched); when
    /// none is left, the next folder.
    fn next_batch(&mut self, c: &mut ImapClient, now: Instant) {
        let depth = if self.delete { 1 } else { DEPTH };
        loop {
            let busy = matches!(self.step, Step::Fetch(_));
            if busy && 1 + self.ahead.len() >= depth {
                return;
            }
            let uids: Vec<u32> = (0..BATCH).map_while(|_| self.todo.pop_front()).collect();
            if uids.is_empty() {
                if !busy {
                    self.next_folder(c, now);
                }
                return;
            }
            let text = fetch_text(&uids);
            if busy {
                self.ahead.push_back(uids);
            } else {
                self.step = Step::Fetch(uids);
            }
            let tag = self.next_tag();
            c.command_pipelined(tag, &text, now);
        }
    }

    /// Makes the batch durable, then remembers its UIDs.
    fn commit(&mut self) -> anyhow::Result<()> {
        let batch = std::mem::take(&mut self.batch);
        if let (Some(dir), Sink::Maildir { .. }) = (&self.maildir, &self.sink) {
            commit_maildir(&mut self.sink, dir, &batch)?;
        } else {
            self.sink.commit()?;
        }
        if let Some(file) = &self.state_file {
            let key = State::key(&self.user, &self.server, &self.folder);
            let lines: String = batch
                .iter()
                .map(|(u, _)| format!("{key} {} {u}\n", self.uid_validity))
                .collect();
            if !lines.is_empty() {
                let mut f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(file)
                    .with_context(|| format!("cannot write the state file {}", file.display()))?;
                f.write_all(lines.as_bytes())
                    .and_then(|()| f.sync_data())
                    .with_context(|| format!("cannot write the state file {}", file.display()))?;
            }
        }
        Ok(())
    }

    fn untagged(&mut self, r: Response<'static>) -> anyhow::Result<()> {
        match r {
            Response::Data(Data::Capability(caps)) => {
                self.can_idle |= caps.as_ref().contains(&Capability::Idle);
            }
            Response::Data(Data::Exists(n)) if self.step == Step::Idle => {
                // Counted as a whole again: the folder's own count.
                self.counted = self.counted_elsewhere + n as usize;
            }
            Response::Status(Status::Untagged(b)) => {
                if let Some(Code::UidValidity(v)) = b.code {
                    self.uid_validity = v.get();
                }
            }
            Response::Data(Data::List { mailbox, items, .. }) if self.step == Step::ListFolders => {
                use imap_codec::imap_types::flag::FlagNameAttribute;
                if items.contains(&FlagNameAttribute::Noselect) {
                    return Ok(());
                }
                let name = match mailbox {
                    Mailbox::Inbox => "INBOX".to_owned(),
                    Mailbox::Other(o) => String::from_utf8_lossy(o.as_ref()).into_owned(),
                };
                self.folders.push_back(name);
            }
            Response::Data(Data::Fetch { items, .. }) => {
                let mut l = Listed::default();
                let mut body = None;
                for i in items.into_iter() {
                    match i {
                        MessageDataItem::Uid(u) => l.uid = u.get(),
                        MessageDataItem::Rfc822Size(s) => l.size = s,
                        MessageDataItem::Flags(f) => l.flags = letters(&f),
                        MessageDataItem::BodyExt { section, data, .. } => {
                            let bytes = nstring(data);
                            if section.is_none() {
                                body = Some(bytes);
                            } else {
                                l.head = bytes;
                            }
                        }
                        _ => {}
                    }
                }
                match &self.step {
                    Step::Listing => self.listing.push(l),
                    Step::Fetch(uids) if uids.contains(&l.uid) => {
                        if let Some(b) = body {
                            self.bytes += b.len() as u64;
                            self.fetched += 1;
                            self.sink.stage(crate::util::crlf_to_lf(&b))?;
                            self.batch.push((l.uid, l.flags));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn done(&mut self, c: &mut ImapClient, kind: StatusKind, text: String, now: Instant) {
        let ok = kind == StatusKind::Ok;
        match self.step.clone() {
            Step::StartTls if ok => {
                c.start_tls();
                self.send(c, Step::Login, now);
            }
            Step::StartTls => self.abort(
                c,
                fail(1, format!("the server refused STARTTLS: {text}")),
                now,
            ),
            Step::Login if ok => {
                if self.all_folders {
                    self.send(c, Step::ListFolders, now)
                } else {
                    self.next_folder(c, now)
                }
            }
            Step::Login => self.abort(c, fail(4, format!("login refused: {text}")), now),
            Step::ListFolders if ok => self.next_folder(c, now),
            Step::Select(f) if !ok => self.abort(c, anyhow!("cannot open folder {f}: {text}"), now),
            Step::Select(_) => self.send(c, Step::Listing, now),
            Step::Listing if !ok => {
                self.abort(c, anyhow!("cannot list {}: {text}", self.folder), now)
            }
            Step::Listing => {
                let listing = std::mem::take(&mut self.listing);
                if self.count_only {
                    self.counted_elsewhere = self.counted;
                    self.counted += listing.len();
                    let short = self.wait_for.is_some_and(|n| self.counted < n);
                    let one_folder = !self.all_folders && self.folders.is_empty() && !self.idled;
                    if short && one_folder && self.can_idle {
                        self.idled = true;
                        return self.send(c, Step::Idle, now);
                    }
                    return self.next_folder(c, now);
                }
                if self.list {
                    for l in &listing {
                        println!("{}", list_line(&self.folder, l));
                    }
                    return self.next_folder(c, now);
                }
                let known = match self.seen.folders.get(&self.folder) {
                    Some((v, uids)) if *v == self.uid_validity => Some(uids),
                    Some((v, _)) => {
                        eprintln!(
                            "mailkit: fetch: {}: UIDVALIDITY changed ({v} → {}): fetching the folder again",
                            self.folder, self.uid_validity
                        );
                        None
                    }
                    None => None,
                };
                self.todo = listing
                    .iter()
                    .map(|l| l.uid)
                    .filter(|u| known.is_none_or(|k| !k.contains(u)))
                    .collect();
                self.next_batch(c, now);
            }
            Step::Fetch(uids) if ok => {
                if let Err(e) = self.commit() {
                    return self.abort(c, e, now);
                }
                if self.delete {
                    self.send(c, Step::MarkDeleted(uids), now);
                } else {
                    // The next batch in flight is now the one answered.
                    self.step = match self.ahead.pop_front() {
                        Some(next) => Step::Fetch(next),
                        None => Step::Listing,
                    };
                    self.next_batch(c, now);
                }
            }
            Step::Fetch(_) => {
                self.abort(c, anyhow!("FETCH failed in {}: {text}", self.folder), now)
            }
            Step::MarkDeleted(uids) if ok => self.send(c, Step::Expunge(uids), now),
            Step::Expunge(uids) if ok => {
                self.deleted += uids.len();
                self.next_batch(c, now);
            }
            Step::MarkDeleted(_) | Step::Expunge(_) => self.abort(
                c,
                anyhow!(
                    "the server refused to delete in {}: {text} (it needs UIDPLUS for UID EXPUNGE)",
                    self.folder
                ),
                now,
            ),
            Step::Idle => {
                // DONE was answered (or IDLE refused): the count is what
                // it is; the caller decides whether to look again.
                self.send(c, Step::Logout, now)
            }
            Step::Logout => self.logout_ok = ok,
            Step::ListFolders => self.abort(c, anyhow!("LIST failed: {text}"), now),
        }
    }
}

/// The UID FETCH of a batch: BODY.PEEK, so nothing is marked read.
fn fetch_text(uids: &[u32]) -> Vec<u8> {
    format!("UID FETCH {} (UID FLAGS BODY.PEEK[])", set(uids)).into_bytes()
}

/// A UID set, runs as ranges: `1:4,7,9:10` (`uids` ascending).
fn set(uids: &[u32]) -> String {
    crate::proto::imap::render::sequence_set(uids)
}

fn nstring(n: NString<'_>) -> Vec<u8> {
    n.0.map(|s| s.as_ref().to_vec()).unwrap_or_default()
}

/// The Maildir info letters of IMAP system flags (keywords are left).
fn letters(flags: &[FlagFetch<'_>]) -> String {
    let mut l: Vec<char> = flags
        .iter()
        .filter_map(|f| match f {
            FlagFetch::Flag(Flag::Draft) => Some('D'),
            FlagFetch::Flag(Flag::Flagged) => Some('F'),
            FlagFetch::Flag(Flag::Answered) => Some('R'),
            FlagFetch::Flag(Flag::Seen) => Some('S'),
            FlagFetch::Flag(Flag::Deleted) => Some('T'),
            _ => None,
        })
        .collect();
    l.sort_unstable();
    l.into_iter().collect()
}

/// `FOLDER  UID  SIZE  FLAGS  From  Subject  Date`.
fn list_line(folder: &str, l: &Listed) -> String {
    use mailparse::MailHeaderMap;
    let (headers, _) = mailparse::parse_headers(&l.head).unwrap_or_default();
    let get = |k: &str| headers.get_first_value(k).unwrap_or_default();
    format!(
        "{folder}\t{}\t{}\t{}\t{}\t{}\t{}",
        l.uid,
        l.size,
        if l.flags.is_empty() { "-" } else { &l.flags },
        get("From"),
        get("Subject"),
        get("Date")
    )
}

/// Commits a Maildir batch, then gives each message with flags its info
/// (moved from `new/` to `cur/` as `NAME:2,FLAGS`, the directories synced).
fn commit_maildir(sink: &mut Sink, dir: &Path, batch: &[(u32, String)]) -> anyhow::Result<()> {
    let Sink::Maildir {
        md,
        mailbox,
        pending,
    } = sink
    else {
        return sink.commit();
    };
    if pending.is_empty() {
        return Ok(());
    }
    let deliveries: Vec<crate::store::Delivery> = pending
        .iter()
        .map(|m| crate::store::Delivery {
            mailboxes: mailbox,
            header: b"",
            body: m,
        })
        .collect();
    let results = md.deliver_batch(&deliveries);
    pending.clear();
    let mut moved = false;
    for (r, (_, flags)) in results.into_iter().zip(batch) {
        let name = r.map_err(|e| anyhow!("{e}"))?;
        if !flags.is_empty() {
            let from = dir.join("new").join(&name);
            let to = dir.join("cur").join(format!("{name}:2,{flags}"));
            std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} to cur/", from.display()))?;
            moved = true;
        }
    }
    if moved {
        for sub in ["cur", "new"] {
            std::fs::File::open(dir.join(sub))
                .and_then(|d| d.sync_all())
                .with_context(|| format!("cannot sync {}", dir.join(sub).display()))?;
        }
    }
    Ok(())
}

impl ClientService for ImapFetch {
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        if self.opened {
            return None;
        }
        self.opened = true;
        self.live = true;
        Some(self.server)
    }

    fn open_outbound(
        &mut self,
        _id: ConnId,
        _addr: SocketAddr,
        now: Instant,
    ) -> Option<ImapClient> {
        Some(ImapClient::new(self.timeout, now))
    }

    fn connect_failed(&mut self, _id: ConnId, _c: ImapClient, e: std::io::Error) {
        self.live = false;
        self.error = Some(fail(3, format!("cannot connect to {}: {e}", self.server)));
    }

    fn outbound_tls(&self) -> bool {
        self.implicit_tls
    }
}

impl Service for ImapFetch {
    type Session = ImapClient;
    type Completion = ();

    fn event(&mut self, _id: ConnId, c: &mut ImapClient, e: Event, now: Instant) {
        match e {
            Event::Greeting {
                ok: true,
                capabilities,
                ..
            } => {
                self.can_idle |= capabilities.iter().any(|c| c == "IDLE");
                let step = if self.starttls {
                    Step::StartTls
                } else {
                    Step::Login
                };
                self.send(c, step, now)
            }
            Event::Greeting {
                ok: false, text, ..
            } => {
                self.error = Some(fail(
                    3,
                    format!("the server refused the connection: {text}"),
                ))
            }
            Event::Untagged(r) => {
                if let Err(e) = self.untagged(r) {
                    return self.abort(c, e, now);
                }
                self.idle_check(c);
            }
            Event::Continue => self.idle_check(c),
            Event::Done { kind, text, .. } => self.done(c, kind, text, now),
            Event::Closed { reason } => {
                if let Some(r) = reason {
                    if self.error.is_none() && !self.logout_ok {
                        self.error = Some(fail(1, r));
                    }
                }
            }
        }
    }

    fn closed(&mut self, _id: ConnId, _c: ImapClient) {
        self.live = false;
    }

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.tls.as_ref()?.connect()
    }

    fn tls_failed(&mut self, _id: ConnId, _c: &mut ImapClient, error: &rustls::Error) {
        if self.error.is_none() {
            self.error = Some(fail(
                1,
                format!("TLS failed: {error} (--insecure skips certificate checks, --ca-file trusts a private CA)"),
            ));
        }
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        (self.opened && !self.live).then_some(StopMode::Drain)
    }
}

fn session(
    args: &Fetch,
    server: SocketAddr,
    password: &str,
    count_only: bool,
) -> anyhow::Result<ImapFetch> {
    let state_file = args.new_only.then(|| state_path(args));
    let seen = match &state_file {
        Some(f) => State::load(f, &args.user, &server)?,
        None => State::default(),
    };
    let folders: VecDeque<String> = if args.folders.is_empty() {
        VecDeque::from(["INBOX".to_owned()])
    } else {
        args.folders
            .iter()
            .map(|f| crate::store::mutf7::encode_path(f))
            .collect()
    };
    let server_name = args.server.as_deref().unwrap_or(DEFAULT_SERVER);
    let mut service = ImapFetch {
        server,
        user: args.user.clone(),
        password: password.to_owned(),
        timeout: Duration::from_secs(args.timeout),
        opened: false,
        live: false,
        count_only,
        wait_for: if count_only { args.wait } else { None },
        can_idle: false,
        idled: false,
        idle_done: false,
        list: args.list,
        delete: args.delete,
        all_folders: args.all_folders,
        folders: if args.all_folders {
            VecDeque::new()
        } else {
            folders
        },
        folder: String::new(),
        uid_validity: 0,
        step: Step::Login,
        tag: 0,
        listing: Vec::new(),
        todo: VecDeque::new(),
        ahead: VecDeque::new(),
        batch: Vec::new(),
        seen,
        state_file,
        sink: if count_only || args.list {
            Sink::Stdout
        } else {
            open_sink(args)?
        },
        maildir: args.to_maildir.clone(),
        fetched: 0,
        bytes: 0,
        deleted: 0,
        counted: 0,
        counted_elsewhere: 0,
        logout_ok: false,
        error: None,
        tls: client_tls(&args.tls, server_name)?,
        starttls: args.tls.starttls,
        implicit_tls: args.tls.tls,
    };
    let opts = ServiceOpts {
        name: "fetch",
        max_connections: 2,
        record_dir: None,
    };
    crate::net::run_client(&mut service, opts, Duration::from_secs(1))
        .context("the event loop failed")?;
    if let Err(e) = service.commit() {
        if service.error.is_none() {
            service.error = Some(e);
        }
    }
    Ok(service)
}

/// Runs `mailkit fetch --protocol imap` (`args.server` filled in).
pub fn run(args: Fetch) -> anyhow::Result<()> {
    let password = password(&args)?;
    if args.user.contains(['\r', '\n']) || password.contains(['\r', '\n']) {
        bail!("--user and the password cannot contain line breaks");
    }
    let name = args.server.clone().unwrap_or_else(|| DEFAULT_SERVER.into());
    let server = crate::util::with_default_port(&name, if args.tls.tls { 993 } else { 143 })
        .to_socket_addrs()
        .map_err(|e| fail(3, format!("cannot resolve --server {name}: {e}")))?
        .next()
        .ok_or_else(|| fail(3, format!("--server {name} has no address")))?;
    if let Some(n) = args.wait {
        let deadline = Instant::now() + Duration::from_secs(args.timeout);
        loop {
            // With IDLE the session itself waits (until enough mail is
            // there or the server stops answering within --timeout);
            // without, it counts once and we look again.
            let s = session(&args, server, &password, true)?;
            if s.counted >= n {
                break;
            }
            let idle_ended = s.idled && s.error.is_some();
            if let Some(e) = s.error {
                if !s.idled {
                    return Err(e);
                }
            }
            if Instant::now() >= deadline || idle_ended {
                bail!(
                    "timed out after {} s waiting for {n} messages ({} there)",
                    args.timeout,
                    s.counted
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let s = session(&args, server, &password, false)?;
    if let Some(e) = s.error {
        return Err(e);
    }
    if !args.list {
        let deleted = if args.delete {
            format!(", deleted {} on the server", s.deleted)
        } else {
            String::new()
        };
        eprintln!(
            "mailkit: fetch: {} ({} bytes) from {} at {name} over IMAP{deleted}",
            crate::util::count(s.fetched, "message"),
            s.bytes,
            args.user,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lines_per_folder_and_validity() {
        let d = std::env::temp_dir().join(format!("mk-imap-state-{}", std::process::id()));
        let server: SocketAddr = "127.0.0.1:1143".parse().unwrap();
        std::fs::write(
            &d,
            "bob@127.0.0.1:1143/INBOX 7 1\nbob@127.0.0.1:1143/INBOX 7 2\nbob@127.0.0.1:1143/Sent 9 4\nbob@127.0.0.1:1143/INBOX 8 5\neve@127.0.0.1:1143/INBOX 7 3\n",
        )
        .unwrap();
        let s = State::load(&d, "bob", &server).unwrap();
        assert_eq!(s.folders["INBOX"], (8, HashSet::from([5])));
        assert_eq!(s.folders["Sent"], (9, HashSet::from([4])));
        let _ = std::fs::remove_file(&d);
        assert_eq!(set(&[1, 3]), "1,3");
        assert_eq!(set(&[1, 2, 3, 4, 7, 9, 10]), "1:4,7,9:10");
        assert_eq!(set(&[5]), "5");
    }
}
