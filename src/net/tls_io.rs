//! The TLS pump: plaintext from the session into rustls a record's worth
//! at a time, records from rustls to the write buffer, bytes read from the
//! socket through rustls to the session (after rustls's `tlsserver-mio`
//! example).

use std::io::{Read, Write};
use std::time::Instant;

use super::conn::{pump, Conn};
use super::limits::{LINGER_CLOSE, OUT_HIGH_WATER, TLS_SLICE};
use super::{ConnId, Service};
use crate::proto::Session;

/// Moves plaintext from `tls_pending` into TLS, a record's worth at a
/// time, while the encrypted output waiting for the socket is under the
/// high-water mark (rustls holds at most 64 KiB itself; a write it cannot
/// take waits here, not dropped). [`super::conn::flush`] calls it again as
/// the socket drains. Sends close_notify once everything before it is in.
pub(super) fn tls_push<S>(c: &mut Conn<S>) {
    loop {
        let Some(t) = c.tls.as_mut() else { return };
        if c.tls_pending_pos >= c.tls_pending.len() {
            c.tls_pending = Vec::new();
            c.tls_pending_pos = 0;
            if c.tls_close && c.body.is_none() {
                c.tls_close = false;
                t.send_close_notify();
                tls_out(c);
            }
            return;
        }
        if c.out.len() - c.out_pos >= OUT_HIGH_WATER {
            return;
        }
        let end = c.tls_pending.len().min(c.tls_pending_pos + TLS_SLICE);
        match t.writer().write(&c.tls_pending[c.tls_pending_pos..end]) {
            Ok(0) => {
                // rustls is full (or still handshaking): its records go out
                // first; try again when the socket has taken them.
                tls_out(c);
                return;
            }
            Ok(n) => {
                c.tls_pending_pos += n;
                tls_out(c);
            }
            Err(_) => {
                c.dead = true;
                return;
            }
        }
    }
}

/// Moves TLS records waiting in rustls into the output buffer.
pub(super) fn tls_out<S>(c: &mut Conn<S>) {
    if let Some(t) = c.tls.as_mut() {
        if c.out_pos >= c.out.len() {
            c.out.clear();
            c.out_pos = 0;
        }
        while t.wants_write() {
            if t.write_tls(&mut c.out).is_err() {
                break;
            }
        }
    }
}

/// Feeds bytes read from the socket through TLS: handshake records are
/// answered, plaintext goes to the session. Reports the handshake's end
/// and failures to the service.
pub(super) fn tls_in<S: Service>(
    c: &mut Conn<S::Session>,
    service: &mut S,
    id: ConnId,
    now: Instant,
    mut data: &[u8],
) {
    let mut plain = [0u8; 16 * 1024];
    while !data.is_empty() && !c.dead {
        let Some(t) = c.tls.as_mut() else { return };
        let was_handshaking = t.is_handshaking();
        match t.read_tls(&mut data) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => {
                c.dead = true;
                break;
            }
        }
        match t.process_new_packets() {
            Ok(state) => {
                let mut want = state.plaintext_bytes_to_read();
                let peer_closed = state.peer_has_closed();
                if was_handshaking && !t.is_handshaking() {
                    service.tls_ready(id, &mut c.session, t);
                }
                while want > 0 {
                    let n = match c.tls.as_mut().map(|t| t.reader().read(&mut plain)) {
                        Some(Ok(n)) => n,
                        _ => break,
                    };
                    if n == 0 {
                        break;
                    }
                    want = want.saturating_sub(n);
                    c.record_theirs(&plain[..n]);
                    c.session.handle_input(now, &plain[..n]);
                    // The session may have answered: send it before reading on.
                    pump(c, service, id, now);
                }
                if peer_closed && !c.eof {
                    c.eof = true;
                    c.session.handle_eof(now);
                }
            }
            Err(e) => {
                // Send the alert rustls prepared, then close.
                tls_out(c);
                service.tls_failed(id, &mut c.session, &e);
                // Nothing more can be read: the session learns the peer is gone.
                if !c.eof {
                    c.eof = true;
                    c.session.handle_eof(now);
                }
                pump(c, service, id, now);
                if c.closing.is_none() {
                    c.closing = Some(now + LINGER_CLOSE);
                }
                break;
            }
        }
        tls_out(c);
    }
}
