//! Reading a message file for streaming without stalling the loop on a
//! cold disk: each read asks the kernel to start reading the next window
//! (`posix_fadvise(POSIX_FADV_WILLNEED)`, which returns at once), so by the
//! time the loop pulls the next chunk it is usually in the page cache.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::io::AsRawFd;

/// How far ahead of the reader the kernel is asked to read.
const WINDOW: u64 = 512 * 1024;
/// Read-ahead is asked for once this much has been read.
const FIRST: u64 = 64 * 1024;

/// A file read front to back, with read-ahead requested a window ahead.
#[derive(Debug)]
pub struct ReadAhead {
    file: File,
    pos: u64,
    /// Where the last read-ahead request ends.
    asked: u64,
}

impl ReadAhead {
    /// Reads `file` from its start.
    pub fn new(file: File) -> ReadAhead {
        ReadAhead {
            file,
            pos: 0,
            asked: 0,
        }
    }

    fn advise(&mut self) {
        // The kernel reads the start of a file ahead by itself; asking
        // only pays from the second chunk on (most messages are smaller).
        if self.pos < FIRST || self.pos + WINDOW / 2 < self.asked {
            return;
        }
        if self.asked < self.pos {
            self.asked = self.pos;
        }
        let (Ok(off), Ok(len)) = (i64::try_from(self.asked), i64::try_from(WINDOW)) else {
            return;
        };
        // SAFETY: fadvise only takes a descriptor we own and two integers;
        // it is a hint and changes nothing we rely on.
        unsafe {
            libc::posix_fadvise(self.file.as_raw_fd(), off, len, libc::POSIX_FADV_WILLNEED);
        }
        self.asked += WINDOW;
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.advise();
        let n = self.file.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}
