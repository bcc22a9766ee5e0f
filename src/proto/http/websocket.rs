//! WebSocket (RFC 6455) for the server side of `/api/events`: the opening
//! handshake's checks and accept key (§4.2), frames the server sends
//! (unmasked text, ping, close: §5.2, §5.5) and a decoder for what the
//! browser sends (masked frames, fragmented messages, ping, pong, close),
//! bounded, in any split. Sans-IO like the rest of `proto`.

use super::server::Request;

/// The GUID of RFC 6455 §1.3 that the accept key is made with.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Key` of a valid upgrade request (RFC 6455 §4.2.1):
/// GET, `Upgrade: websocket`, `Connection: upgrade`, version 13 and a
/// key of 16 octets in base64. None when it is not one.
pub fn upgrade_key(r: &Request) -> Option<Vec<u8>> {
    let has_token = |name: &str, token: &str| {
        r.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(|&b| b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    };
    let ok = r.method == "GET"
        && !r.http10
        && has_token("upgrade", "websocket")
        && has_token("connection", "upgrade")
        && r.header("sec-websocket-version") == Some(b"13");
    let key = r.header("sec-websocket-key")?.trim_ascii();
    let decoded = data_encoding::BASE64.decode(key).ok()?;
    (ok && decoded.len() == 16).then(|| key.to_vec())
}

/// The `Sec-WebSocket-Accept` value for `key` (RFC 6455 §4.2.2).
pub fn accept_key(key: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key);
    ctx.update(GUID);
    data_encoding::BASE64.encode(ctx.finish().as_ref())
}

/// Frame opcodes (RFC 6455 §5.2).
const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// A frame as the server sends it: FIN set, not masked.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// A text message (one frame).
pub fn text(payload: &str) -> Vec<u8> {
    frame(TEXT, payload.as_bytes())
}

/// A ping (keeps proxies from closing an idle connection).
pub fn ping(payload: &[u8]) -> Vec<u8> {
    frame(PING, &payload[..payload.len().min(125)])
}

/// A close frame with status `code` (RFC 6455 §7.4.1).
pub fn close(code: u16) -> Vec<u8> {
    frame(CLOSE, &code.to_be_bytes())
}

/// What the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A whole message (fragments joined), text or binary.
    Message(Vec<u8>),
    /// A ping: answer with [`pong`]'s frame of this payload.
    Ping(Vec<u8>),
    /// The client closes (status code if given): answer with a close
    /// frame and end the connection.
    Close(Option<u16>),
    /// A protocol error: send [`close`] with this code (1002 protocol
    /// error, 1009 too big) and end the connection.
    Fail(u16),
}

/// The pong frame answering a ping with `payload`.
pub fn pong(payload: &[u8]) -> Vec<u8> {
    frame(PONG, &payload[..payload.len().min(125)])
}

/// Decodes the frames a client sends, in any split.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// A fragmented message being joined.
    partial: Option<Vec<u8>>,
    max_message: usize,
    failed: bool,
}

impl Decoder {
    /// A decoder for messages of at most `max_message` octets.
    pub fn new(max_message: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            partial: None,
            max_message,
            failed: false,
        }
    }

    /// Adds bytes from the client.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.failed {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The next complete thing the client sent, if any.
    pub fn next_incoming(&mut self) -> Option<Incoming> {
        if self.failed {
            return None;
        }
        let fail = |d: &mut Decoder, code: u16| {
            d.failed = true;
            d.buf.clear();
            Some(Incoming::Fail(code))
        };
        loop {
            let b = &self.buf;
            if b.len() < 2 {
                return None;
            }
            let (fin, rsv, opcode) = (b[0] & 0x80 != 0, b[0] & 0x70, b[0] & 0x0F);
            let masked = b[1] & 0x80 != 0;
            if rsv != 0 || !masked {
                // No extension was agreed; client frames must be masked
                // (RFC 6455 §5.1, §5.2).
                return fail(self, 1002);
            }
            let (len, mut at) = match b[1] & 0x7F {
                126 if b.len() >= 4 => (u64::from(u16::from_be_bytes([b[2], b[3]])), 4),
                127 if b.len() >= 10 => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(&b[2..10]);
                    (u64::from_be_bytes(n), 10)
                }
                126 | 127 => return None,
                n => (u64::from(n), 2),
            };
            let control = opcode & 0x8 != 0;
            if control && (len > 125 || !fin) {
                return fail(self, 1002);
            }
            let joined = self.partial.as_ref().map_or(0, Vec::len) as u64;
            if len.saturating_add(joined) > self.max_message as u64 {
                return fail(self, 1009);
            }
            let len = len as usize;
            if b.len() < at + 4 + len {
                return None;
            }
            let mask = [b[at], b[at + 1], b[at + 2], b[at + 3]];
            at += 4;
            let payload: Vec<u8> = b[at..at + len]
                .iter()
                .enumerate()
                .map(|(i, &x)| x ^ mask[i % 4])
                .collect();
            self.buf.drain(..at + len);
            match opcode {
                PING => return Some(Incoming::Ping(payload)),
                PONG => continue,
                CLOSE => {
                    self.failed = true;
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    return Some(Incoming::Close(code));
                }
                TEXT | BINARY if self.partial.is_none() => {
                    if fin {
                        return Some(Incoming::Message(payload));
                    }
                    self.partial = Some(payload);
                }
                CONTINUATION if self.partial.is_some() => {
                    let mut m = self.partial.take().unwrap_or_default();
                    m.extend_from_slice(&payload);
                    if fin {
                        return Some(Incoming::Message(m));
                    }
                    self.partial = Some(m);
                }
                _ => return fail(self, 1002),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_of_rfc_6455() {
        // RFC 6455 §1.3's example.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        let req = |extra: &[(&str, &str)]| Request {
            method: "GET".into(),
            path: "/api/events".into(),
            query: None,
            headers: [
                ("upgrade", "websocket"),
                ("connection", "keep-alive, Upgrade"),
                ("sec-websocket-version", "13"),
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ]
            .iter()
            .chain(extra)
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect(),
            body: Vec::new(),
            http10: false,
        };
        assert_eq!(
            upgrade_key(&req(&[])).as_deref(),
            Some(&b"dGhlIHNhbXBsZSBub25jZQ=="[..])
        );
        let mut bad = req(&[]);
        bad.headers[2].1 = b"8".to_vec();
        assert_eq!(upgrade_key(&bad), None);
        let mut bad = req(&[]);
        bad.headers[3].1 = b"c2hvcnQ=".to_vec();
        assert_eq!(upgrade_key(&bad), None, "a key must be 16 octets");
    }

    /// RFC 6455 §5.7: a masked "Hello", a fragmented "Hel"+"lo", a ping.
    const FRAMES: &[u8] = &[
        0x81,
        0x85,
        0x37,
        0xfa,
        0x21,
        0x3d,
        0x7f,
        0x9f,
        0x4d,
        0x51,
        0x58, // "Hello"
        0x01,
        0x83,
        0,
        0,
        0,
        0,
        b'H',
        b'e',
        b'l', // "Hel", not final
        0x89,
        0x82,
        1,
        2,
        3,
        4,
        b'h' ^ 1,
        b'i' ^ 2, // ping "hi" between fragments
        0x80,
        0x82,
        0,
        0,
        0,
        0,
        b'l',
        b'o', // "lo", final
        0x88,
        0x82,
        0,
        0,
        0,
        0,
        0x03,
        0xe8, // close 1000
    ];

    fn decode(chunks: &[&[u8]]) -> Vec<Incoming> {
        let mut d = Decoder::new(1000);
        let mut out = Vec::new();
        for c in chunks {
            d.push(c);
            while let Some(i) = d.next_incoming() {
                out.push(i);
            }
        }
        out
    }

    #[test]
    fn client_frames_at_every_split() {
        let want = vec![
            Incoming::Message(b"Hello".to_vec()),
            Incoming::Ping(b"hi".to_vec()),
            Incoming::Message(b"Hello".to_vec()),
            Incoming::Close(Some(1000)),
        ];
        assert_eq!(decode(&[FRAMES]), want);
        for i in 0..FRAMES.len() {
            assert_eq!(decode(&[&FRAMES[..i], &FRAMES[i..]]), want, "split at {i}");
        }
    }

    #[test]
    fn unmasked_oversized_and_stray_frames_fail() {
        assert_eq!(decode(&[&[0x81, 0x01, b'x']]), [Incoming::Fail(1002)]);
        assert_eq!(decode(&[&[0x81, 0xFE, 0x10, 0x00]]), [Incoming::Fail(1009)]);
        assert_eq!(decode(&[&[0x80, 0x80, 0, 0, 0, 0]]), [Incoming::Fail(1002)]);
        assert_eq!(decode(&[&[0x09, 0x80, 0, 0, 0, 0]]), [Incoming::Fail(1002)]);
    }

    #[test]
    fn server_frames() {
        assert_eq!(text("hi"), [0x81, 2, b'h', b'i']);
        let long = text(&"x".repeat(300));
        assert_eq!(&long[..4], [0x81, 126, 1, 44]);
        assert_eq!(close(1001), [0x88, 2, 0x03, 0xe9]);
        assert_eq!(pong(b"hi"), [0x8A, 2, b'h', b'i']);
        assert_eq!(ping(b""), [0x89, 0]);
    }
}
