//! Transcript files written off the event loop. `--record DIR` makes a
//! file per session; creating it and writing to it are disk work, which
//! the loop must not wait for. A [`FileSink`] hands its bytes (in the
//! recorder's 8 KiB buffers) to one recording thread, which opens, writes
//! and closes the files in the order asked.
//!
//! The channel is bounded ([`IN_FLIGHT`] buffers, about 2 MB): if the disk
//! falls that far behind, the loop waits rather than letting memory grow
//! without bound. [`drain`] waits for every byte asked for to be written;
//! the binary calls it before it exits, so a stopped server's transcripts
//! are whole.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::OnceLock;
use std::time::Duration;

/// Buffers that may wait for the recording thread.
pub const IN_FLIGHT: usize = 256;

/// How long [`drain`] waits for the recording thread.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// What the recording thread is asked to do.
enum Op {
    /// Create `DIR/<stamp>-<n>.txt` (`.1.txt`, `.2.txt`… if taken) for
    /// sink `id`.
    Open {
        id: u64,
        dir: PathBuf,
        stamp: String,
        n: u64,
    },
    /// Append to sink `id`'s file.
    Write { id: u64, bytes: Vec<u8> },
    /// Sink `id` is done: close its file.
    Close { id: u64 },
    /// Answer once everything before this is written.
    Drain(mpsc::Sender<()>),
}

/// The recording thread's queue, started on first use; `None` if the
/// thread could not be started (then nothing is recorded, and each
/// session says so).
fn thread() -> Option<&'static SyncSender<Op>> {
    static SINK: OnceLock<Option<SyncSender<Op>>> = OnceLock::new();
    SINK.get_or_init(|| {
        let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
        std::thread::Builder::new()
            .name("mailkit-record".into())
            .spawn(move || record(rx))
            .ok()
            .map(|_| tx)
    })
    .as_ref()
}

/// Whether the thread was ever started (nothing to drain otherwise).
static STARTED: AtomicU64 = AtomicU64::new(0);

/// The recording thread: one open file per live sink.
fn record(rx: Receiver<Op>) {
    let mut files: HashMap<u64, Option<File>> = HashMap::new();
    for op in rx {
        match op {
            Op::Open { id, dir, stamp, n } => {
                let file = create(&dir, &stamp, n)
                    .map_err(|e| {
                        eprintln!(
                            "mailkit: cannot record session {n} in {}: {e}",
                            dir.display()
                        )
                    })
                    .ok();
                files.insert(id, file);
            }
            Op::Write { id, bytes } => {
                if let Some(slot) = files.get_mut(&id) {
                    if let Some(f) = slot {
                        if let Err(e) = f.write_all(&bytes) {
                            eprintln!("mailkit: a transcript stopped: {e}");
                            *slot = None;
                        }
                    }
                }
            }
            Op::Close { id } => {
                files.remove(&id);
            }
            Op::Drain(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// Creates a transcript file that is not there yet.
fn create(dir: &Path, stamp: &str, n: u64) -> io::Result<File> {
    let mut attempt = 0;
    loop {
        let name = if attempt == 0 {
            format!("{stamp}-{n}.txt")
        } else {
            format!("{stamp}-{n}.{attempt}.txt")
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(name))
        {
            Ok(f) => return Ok(f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// A transcript file being written by the recording thread.
pub struct FileSink {
    id: u64,
    tx: SyncSender<Op>,
}

impl FileSink {
    /// Asks for `DIR/<stamp>-<n>.txt`. A file that cannot be made is
    /// reported on stderr by the recording thread; the session goes on.
    pub fn open(dir: &Path, stamp: &str, n: u64) -> io::Result<FileSink> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tx = thread()
            .ok_or_else(|| io::Error::other("the recording thread could not be started"))?
            .clone();
        STARTED.store(1, Ordering::Release);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        tx.send(Op::Open {
            id,
            dir: dir.to_path_buf(),
            stamp: stamp.to_owned(),
            n,
        })
        .map_err(|_| io::Error::other("the recording thread has stopped"))?;
        Ok(FileSink { id, tx })
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx
            .send(Op::Write {
                id: self.id,
                bytes: buf.to_vec(),
            })
            .map_err(|_| io::Error::other("the recording thread has stopped"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        let _ = self.tx.send(Op::Close { id: self.id });
    }
}

/// Waits (up to ten seconds) until every transcript byte asked for so far
/// is written. Returns at once when nothing was ever recorded to a file.
pub fn drain() {
    if STARTED.load(Ordering::Acquire) == 0 {
        return;
    }
    let Some(tx) = thread() else { return };
    let (done, wait) = mpsc::channel();
    if tx.send(Op::Drain(done)).is_ok() {
        let _ = wait.recv_timeout(DRAIN_LIMIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_in_order_and_whole_after_drain() {
        let dir = std::env::temp_dir().join(format!("mailkit-sink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut a = FileSink::open(&dir, "T", 1).unwrap();
        let mut b = FileSink::open(&dir, "T", 1).unwrap();
        for i in 0..1000 {
            writeln!(a, "a{i}").unwrap();
        }
        b.write_all(b"b\n").unwrap();
        drop((a, b));
        // A directory that is not there: reported, nothing else happens.
        let mut lost = FileSink::open(&dir.join("missing"), "T", 2).unwrap();
        lost.write_all(b"x").unwrap();
        drain();
        let a = std::fs::read_to_string(dir.join("T-1.txt")).unwrap();
        assert_eq!(a.lines().count(), 1000);
        assert!(a.starts_with("a0\n") && a.ends_with("a999\n"));
        assert_eq!(
            std::fs::read_to_string(dir.join("T-1.1.txt")).unwrap(),
            "b\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
