//! The loop with a toy protocol: many accepted and outbound connections in
//! one process, refused connects reported, stop when the service says so.

use super::*;
use crate::proto::line::{Line, LineBuffer};

/// Either end of a line-echo protocol.
enum Toy {
    /// Greets, echoes lines, closes after "bye".
    Server {
        input: LineBuffer,
        out: Vec<u8>,
        closed: bool,
    },
    /// Waits for the greeting, sends `left` pings, checks echoes, says bye.
    Client {
        input: LineBuffer,
        out: Vec<u8>,
        left: u32,
        echoed: u32,
        closed: bool,
    },
}

impl Session for Toy {
    type Event = ();
    fn handle_input(&mut self, _now: Instant, bytes: &[u8]) {
        match self {
            Toy::Server { input, out, closed } => {
                input.extend(bytes);
                while let Some(Line::Complete(l)) = input.next_line(100) {
                    out.extend_from_slice(l);
                    out.extend_from_slice(b"\r\n");
                    if l == b"bye" {
                        *closed = true;
                    }
                }
            }
            Toy::Client {
                input,
                out,
                left,
                echoed,
                closed,
            } => {
                input.extend(bytes);
                while let Some(Line::Complete(l)) = input.next_line(100) {
                    if l.starts_with(b"ping") {
                        *echoed += 1;
                    }
                    if l == b"bye" {
                        *closed = true;
                    } else if *left > 0 {
                        out.extend_from_slice(format!("ping {left}\r\n").as_bytes());
                        *left -= 1;
                    } else {
                        out.extend_from_slice(b"bye\r\n");
                    }
                }
            }
        }
    }
    fn handle_eof(&mut self, _now: Instant) {
        match self {
            Toy::Server { closed, .. } | Toy::Client { closed, .. } => *closed = true,
        }
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_output(&mut self) -> Option<Output<()>> {
        let (out, closed) = match self {
            Toy::Server { out, closed, .. } | Toy::Client { out, closed, .. } => (out, closed),
        };
        if !out.is_empty() {
            return Some(Output::Transmit(std::mem::take(out)));
        }
        if *closed {
            *closed = false;
            return Some(Output::Close);
        }
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn wants_input(&self) -> bool {
        true
    }
    fn shutdown(&mut self, _immediate: bool) {
        if let Toy::Server { closed, .. } = self {
            *closed = true;
        }
    }
}

struct ToyService {
    to_connect: Vec<SocketAddr>,
    finished: u32,
    echoed: u32,
    failed: u32,
    expected: u32,
}

impl Service for ToyService {
    type Session = Toy;
    type Completion = ();
    fn open(&mut self, _id: ConnId, _from: super::Accepted, _now: Instant) -> Toy {
        Toy::Server {
            input: LineBuffer::new(),
            out: b"hello\r\n".to_vec(),
            closed: false,
        }
    }
    fn event(&mut self, _id: ConnId, _s: &mut Toy, _e: (), _now: Instant) {}
    fn complete(&mut self, _s: &mut Toy, _c: (), _now: Instant) {}
    fn busy_reply(&self) -> &[u8] {
        b"busy\r\n"
    }
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        self.to_connect.pop()
    }
    fn open_outbound(&mut self, _id: ConnId, _addr: SocketAddr, _now: Instant) -> Option<Toy> {
        Some(Toy::Client {
            input: LineBuffer::new(),
            out: Vec::new(),
            left: 20,
            echoed: 0,
            closed: false,
        })
    }
    fn connect_failed(&mut self, _id: ConnId, _s: Toy, _e: io::Error) {
        self.failed += 1;
    }
    fn closed(&mut self, _id: ConnId, s: Toy) {
        if let Toy::Client { echoed, .. } = s {
            self.finished += 1;
            self.echoed += echoed;
        }
    }
    fn stop_requested(&mut self) -> Option<StopMode> {
        (self.finished + self.failed == self.expected).then_some(StopMode::Graceful)
    }
}

#[test]
fn clients_and_servers_share_one_loop() {
    let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    // A port with nothing behind it: bind, note, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut to_connect = vec![addr; 50];
    to_connect.push(dead);
    let rt: Runtime<()> = Runtime::new().unwrap();
    let mut service = ToyService {
        to_connect,
        finished: 0,
        echoed: 0,
        failed: 0,
        expected: 51,
    };
    let cfg = LoopConfig {
        max_connections: 1000,
        record_dir: None,
        grace: Duration::from_secs(2),
        name: "toy",
        implicit_tls: Vec::new(),
    };
    let started = Instant::now();
    rt.run_with(&mut service, vec![listener], cfg).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(service.failed, 1);
    assert_eq!(service.finished, 50);
    assert_eq!(service.echoed, 50 * 20);
}
