//! The loop with a toy protocol: a server service and a client service on
//! one loop, many connections each, refused connects reported, stop when a
//! service says so, streamed bodies.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::proto::line::{Line, LineBuffer};
use crate::proto::{Body, Output, Session};

/// Either end of a line-echo protocol.
enum Toy {
    /// Greets, echoes lines, closes after "bye".
    Server {
        input: LineBuffer,
        out: Vec<u8>,
        closed: bool,
        /// "big N": stream N bytes of 'x' then "\r\n".
        big: Option<usize>,
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
            Toy::Server {
                input,
                out,
                closed,
                big,
            } => {
                input.extend(bytes);
                while let Some(Line::Complete(l)) = input.next_line(100) {
                    if let Some(n) = l.strip_prefix(b"big ") {
                        let n: usize = std::str::from_utf8(n).unwrap().parse().unwrap();
                        *big = Some(n);
                        continue;
                    }
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
        if let Toy::Server { big, out, .. } = self {
            if let Some(n) = big.take() {
                out.extend_from_slice(b"\r\n");
                let src = io::Read::take(io::repeat(b'x'), n as u64);
                return Some(Output::Body(Body::raw(Box::new(src))));
            }
        }
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

struct ToyServer;

impl ServerService for ToyServer {
    fn open(&mut self, _id: ConnId, _from: super::Accepted, _now: Instant) -> Toy {
        Toy::Server {
            input: LineBuffer::new(),
            out: b"hello\r\n".to_vec(),
            closed: false,
            big: None,
        }
    }
    fn busy_reply(&self) -> &[u8] {
        b"busy\r\n"
    }
}

impl Service for ToyServer {
    type Session = Toy;
    type Completion = ();
    fn event(&mut self, _id: ConnId, _s: &mut Toy, _e: (), _now: Instant) {}
}

struct ToyClient {
    to_connect: Vec<SocketAddr>,
    finished: u32,
    echoed: u32,
    failed: u32,
    expected: u32,
}

impl ClientService for ToyClient {
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
}

impl Service for ToyClient {
    type Session = Toy;
    type Completion = ();
    fn event(&mut self, _id: ConnId, _s: &mut Toy, _e: (), _now: Instant) {}
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

fn opts(name: &'static str) -> ServiceOpts {
    ServiceOpts {
        name,
        max_connections: 1000,
        record_dir: None,
    }
}

#[test]
fn a_server_and_a_client_service_share_one_loop() {
    let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    // A port with nothing behind it: bind, note, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut to_connect = vec![addr; 50];
    to_connect.push(dead);
    let mut server = ToyServer;
    let mut client = ToyClient {
        to_connect,
        finished: 0,
        echoed: 0,
        failed: 0,
        expected: 51,
    };
    let started = Instant::now();
    let mut rt = Runtime::new(Duration::from_secs(2)).unwrap();
    let (_, inbox) = rt.channel();
    let l = Listener {
        socket: listener,
        implicit_tls: false,
    };
    rt.add_server(&mut server, inbox, opts("toy"), vec![l])
        .unwrap();
    let (_, inbox) = rt.channel();
    rt.add_client(&mut client, inbox, opts("toy-client"))
        .unwrap();
    rt.run().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(client.failed, 1);
    assert_eq!(client.finished, 50);
    assert_eq!(client.echoed, 50 * 20);
}

#[test]
fn a_streamed_body_arrives_whole_and_in_order() {
    let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let n = 5_000_000;
    let reader = std::thread::spawn(move || {
        use std::io::{BufRead, Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(format!("big {n}\r\n").as_bytes()).unwrap();
        let mut r = std::io::BufReader::new(s.try_clone().unwrap());
        let mut hello = String::new();
        r.read_line(&mut hello).unwrap();
        assert_eq!(hello, "hello\r\n");
        let mut body = vec![0u8; n];
        r.read_exact(&mut body).unwrap();
        assert!(body.iter().all(|&b| b == b'x'));
        // What the session said after the body comes after it.
        let mut end = String::new();
        r.read_line(&mut end).unwrap();
        assert_eq!(end, "\r\n");
        s.write_all(b"after\r\nbye\r\n").unwrap();
        let mut rest = String::new();
        r.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "after\r\nbye\r\n");
    });
    let mut server = ToyServer;
    let mut watcher = Watcher(Some(reader));
    let mut rt = Runtime::new(Duration::from_secs(1)).unwrap();
    let (_, inbox) = rt.channel();
    let l = Listener {
        socket: listener,
        implicit_tls: false,
    };
    rt.add_server(&mut server, inbox, opts("toy"), vec![l])
        .unwrap();
    let (_, inbox) = rt.channel();
    rt.add_client(&mut watcher, inbox, opts("watch")).unwrap();
    rt.run().unwrap();
}

/// Stops the loop once the reader thread is done (and fails the test if
/// the reader did).
struct Watcher(Option<std::thread::JoinHandle<()>>);

impl ClientService for Watcher {
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        None
    }
    fn open_outbound(&mut self, _: ConnId, _: SocketAddr, _: Instant) -> Option<Toy> {
        None
    }
    fn connect_failed(&mut self, _: ConnId, _: Toy, _: io::Error) {}
}

impl Service for Watcher {
    type Session = Toy;
    type Completion = ();
    fn event(&mut self, _: ConnId, _: &mut Toy, _: (), _: Instant) {}
    fn poll_wakeup(&self) -> Option<Instant> {
        Some(Instant::now() + Duration::from_millis(20))
    }
    fn stop_requested(&mut self) -> Option<StopMode> {
        if self.0.as_ref().is_some_and(|h| h.is_finished()) {
            if let Some(h) = self.0.take() {
                h.join().expect("the reader failed");
            }
            return Some(StopMode::Graceful);
        }
        None
    }
}
