//! Helpers: temp dirs, a server process that reports its address, and a
//! raw SMTP line client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("mailkit")
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("mailkit-it-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `mailkit ARGS --listen 127.0.0.1:0` and waits for its
    /// "listening on" line.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mailkit");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(a) = line.split(" listening on ").nth(1) {
                    let _ = tx.send(a.trim().to_string());
                }
                log2.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| {
                panic!(
                    "server did not print its address: {:?}",
                    log.lock().unwrap()
                )
            });
        Server {
            child,
            addr: addr.parse().unwrap(),
            log,
        }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits for the process to exit; returns its status code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw SMTP client speaking line by line.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// One reply line (without CRLF), or None at EOF.
    pub fn line(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                let s = String::from_utf8_lossy(&line)
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                return Some(s);
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// A whole reply (continuation lines grouped): (code, lines).
    pub fn reply(&mut self) -> (u16, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let l = self
                .line()
                .expect("connection closed while waiting for a reply");
            let code = l
                .get(..3)
                .and_then(|c| c.parse().ok())
                .unwrap_or_else(|| panic!("bad reply line {l:?}"));
            let more = l.as_bytes().get(3) == Some(&b'-');
            lines.push(l);
            if !more {
                return (code, lines);
            }
        }
    }

    pub fn cmd(&mut self, line: &str) -> u16 {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply().0
    }

    /// True if the server closes the connection within the limit.
    pub fn closed_within(&mut self, limit: Duration) -> bool {
        self.stream.set_read_timeout(Some(limit)).unwrap();
        let mut chunk = [0u8; 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return false
                }
                Err(_) => return true,
            }
        }
    }
}

/// Files in DIR/<mailbox>/<sub>/, sorted.
pub fn files(root: &Path, mailbox: &str, sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join(mailbox).join(sub))
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// `serve-smtp --hostname hamburger.edu --maildir MAILDIR EXTRA...` on a free port.
pub fn smtp_server(maildir: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "serve-smtp",
        "--hostname",
        "hamburger.edu",
        "--maildir",
        maildir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A loopback port that was free a moment ago (for listeners whose
/// address a test must know before the server starts, e.g. `--tls-listen`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve-imap --hostname hamburger.edu --domain hamburger.edu --maildir
/// MAILDIR EXTRA...` on a free port (throwaway logins).
pub fn imap_server(maildir: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "serve-imap",
        "--hostname",
        "hamburger.edu",
        "--domain",
        "hamburger.edu",
        "--maildir",
        maildir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A loopback address nothing listens on and nothing else can take while
/// this lives: a socket bound to it that never listens, so connecting is
/// refused. (The port of a listener that was dropped can be taken by a
/// server another test starts meanwhile, which then answers.)
pub struct DeadPort {
    fd: i32,
    /// The address.
    pub addr: SocketAddr,
}

impl DeadPort {
    pub fn new() -> DeadPort {
        // SAFETY: plain socket calls on a descriptor this value owns;
        // `sa` and `len` outlive the calls that fill them.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0, "socket");
            let mut sa: libc::sockaddr_in = std::mem::zeroed();
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let p = &mut sa as *mut libc::sockaddr_in as *mut libc::sockaddr;
            assert_eq!(libc::bind(fd, p, len), 0, "bind");
            assert_eq!(libc::getsockname(fd, p, &mut len), 0, "getsockname");
            let port = u16::from_be(sa.sin_port);
            DeadPort {
                fd,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
            }
        }
    }
}

impl Drop for DeadPort {
    fn drop(&mut self) {
        // SAFETY: the descriptor is this value's own.
        unsafe {
            libc::close(self.fd);
        }
    }
}
