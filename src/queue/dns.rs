//! Next hops from DNS (RFC 5321 §5.1): MX records by preference, their
//! hosts' A/AAAA addresses, the domain's own addresses when it has no MX
//! (the implicit MX), and a null MX (RFC 7505) as "accepts no mail".
//! hickory-proto builds and reads the DNS messages; the queries go over a
//! plain blocking UDP socket on the resolver thread, never on the loop.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

use super::error::DnsError;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Addresses to try, best first.
    Hosts(Vec<SocketAddr>),
    /// The domain does not exist or accepts no mail: a permanent failure.
    NoMail(String),
    /// The DNS did not answer usefully: try again later.
    Temporary(DnsError),
}

/// A DNS client for MX lookups.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// The DNS server (`--resolver`, else the first `nameserver` in
    /// /etc/resolv.conf).
    pub server: SocketAddr,
    /// How long to wait for each answer.
    pub timeout: Duration,
    /// The SMTP port of the hosts found (25; tests may change it).
    pub smtp_port: u16,
}

/// Questions to the resolver thread and its answers.
pub type DnsChannel = (
    std::sync::mpsc::Sender<String>,
    std::sync::mpsc::Receiver<(String, Lookup)>,
);

/// Starts the resolver thread: it answers each domain sent to it with
/// [`Resolver::mail_hosts`] and calls `wake` so the loop hears at once.
pub fn spawn(r: Resolver, wake: super::loader::Wake) -> std::io::Result<DnsChannel> {
    let (qtx, qrx) = std::sync::mpsc::channel::<String>();
    let (atx, arx) = std::sync::mpsc::channel::<(String, Lookup)>();
    std::thread::Builder::new()
        .name("mailkit-dns".into())
        .spawn(move || {
            for domain in qrx {
                let answer = r.mail_hosts(&domain);
                if atx.send((domain, answer)).is_err() {
                    return;
                }
                wake();
            }
        })?;
    Ok((qtx, arx))
}

/// The first `nameserver` of /etc/resolv.conf, else 127.0.0.1:53.
pub fn system_server() -> SocketAddr {
    std::fs::read_to_string("/etc/resolv.conf")
        .ok()
        .and_then(|t| {
            t.lines()
                .filter_map(|l| l.strip_prefix("nameserver"))
                .find_map(|a| a.trim().parse::<IpAddr>().ok())
        })
        .map_or_else(
            || SocketAddr::from(([127, 0, 0, 1], 53)),
            |ip| SocketAddr::new(ip, 53),
        )
}

enum Answer {
    Records(Vec<RData>),
    NxDomain,
}

impl Resolver {
    fn query(&self, name: &str, rtype: RecordType) -> Result<Answer, DnsError> {
        let fqdn = if name.ends_with('.') {
            name.to_owned()
        } else {
            format!("{name}.")
        };
        let qname = Name::from_ascii(&fqdn).map_err(|_| DnsError::BadName(name.to_owned()))?;
        let id = (super::schedule::jitter() * 65535.0) as u16;
        let mut m = Message::new(id, MessageType::Query, OpCode::Query);
        m.metadata.recursion_desired = true;
        m.add_query(Query::query(qname, rtype));
        let io_err = |e: std::io::Error| DnsError::Io {
            server: self.server,
            source: e.kind(),
        };
        let bytes = m
            .to_vec()
            .map_err(|e| io_err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let bind: SocketAddr = if self.server.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let sock = UdpSocket::bind(bind).map_err(io_err)?;
        sock.set_read_timeout(Some(self.timeout)).map_err(io_err)?;
        sock.connect(self.server).map_err(io_err)?;
        let mut buf = [0u8; 4096];
        for _ in 0..2 {
            sock.send(&bytes).map_err(io_err)?;
            let n = match sock.recv(&mut buf) {
                Ok(n) => n,
                Err(_) => continue,
            };
            let Ok(reply) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if reply.metadata.id != id {
                continue;
            }
            return match reply.metadata.response_code {
                ResponseCode::NoError => Ok(Answer::Records(
                    reply.answers.into_iter().map(|r| r.data).collect(),
                )),
                ResponseCode::NXDomain => Ok(Answer::NxDomain),
                other => Err(DnsError::Answered {
                    question: format!("{name} {rtype:?}"),
                    code: format!("{other:?}"),
                }),
            };
        }
        Err(DnsError::NoAnswer {
            server: self.server,
            question: format!("{name} {rtype:?}"),
        })
    }

    fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        let mut out = Vec::new();
        for rtype in [RecordType::A, RecordType::AAAA] {
            if let Answer::Records(rs) = self.query(host, rtype)? {
                for r in rs {
                    match r {
                        RData::A(a) => out.push(IpAddr::V4(a.0)),
                        RData::AAAA(a) => out.push(IpAddr::V6(a.0)),
                        _ => {}
                    }
                }
            }
        }
        Ok(out)
    }

    /// The SMTP servers for `domain`, best first (RFC 5321 §5.1).
    pub fn mail_hosts(&self, domain: &str) -> Lookup {
        let mx = match self.query(domain, RecordType::MX) {
            Ok(Answer::NxDomain) => {
                return Lookup::NoMail(format!("the domain {domain} does not exist"))
            }
            Ok(Answer::Records(rs)) => rs,
            Err(e) => return Lookup::Temporary(e),
        };
        let mut hosts: Vec<(u16, String)> = mx
            .into_iter()
            .filter_map(|r| match r {
                RData::MX(m) => Some((m.preference, m.exchange.to_ascii())),
                _ => None,
            })
            .collect();
        if hosts.len() == 1 && (hosts[0].1 == "." || hosts[0].1.is_empty()) {
            return Lookup::NoMail(format!("{domain} accepts no mail (null MX, RFC 7505)"));
        }
        if hosts.is_empty() {
            // The implicit MX: the domain itself (RFC 5321 §5.1).
            hosts.push((0, domain.to_owned()));
        }
        hosts.sort();
        let mut addrs = Vec::new();
        let mut last_err = None;
        for (_, h) in hosts {
            match self.addresses(h.trim_end_matches('.')) {
                Ok(ips) => addrs.extend(
                    ips.into_iter()
                        .map(|ip| SocketAddr::new(ip, self.smtp_port)),
                ),
                Err(e) => last_err = Some(e),
            }
        }
        if addrs.is_empty() {
            return match last_err {
                Some(e) => Lookup::Temporary(e),
                None => Lookup::NoMail(format!("no address for the mail hosts of {domain}")),
            };
        }
        Lookup::Hosts(addrs)
    }
}
