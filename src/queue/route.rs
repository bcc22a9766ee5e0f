//! Where relayed mail goes next (SPEC: relay): `--route DOMAIN=HOST:PORT`
//! (`*.DOMAIN` for its subdomains), else the `--relay-to` smarthost; and
//! who may relay without AUTH (`--relay-from CIDR`).

use crate::util::BadValue;
/// The next-hop table.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    /// `(pattern, HOST:PORT)`: a domain, or `*.domain` for its subdomains.
    pub routes: Vec<(String, String)>,
    /// The smarthost for everything else.
    pub smarthost: Option<String>,
    /// Without a route or smarthost, look the domain's MX up in the DNS.
    pub mx: bool,
}

/// The prefix of a next hop found in the DNS: `mx:DOMAIN`.
pub const MX_PREFIX: &str = "mx:";

impl Routes {
    /// Parses `DOMAIN=HOST:PORT` (from `--route`).
    pub fn add(&mut self, spec: &str) -> Result<(), BadValue> {
        let bad = || BadValue::new(spec, "DOMAIN=HOST:PORT (or *.DOMAIN=HOST:PORT)");
        let (d, h) = spec.split_once('=').ok_or_else(bad)?;
        let d = d.trim().to_ascii_lowercase();
        if d.is_empty() || h.trim().is_empty() || d.contains(['@', ' ', '/']) {
            return Err(bad());
        }
        self.routes.push((d, h.trim().to_owned()));
        Ok(())
    }

    /// The next hop for `domain`, if mail there can be relayed: a route,
    /// the smarthost, or `mx:DOMAIN` (resolved later, in the DNS).
    pub fn next_hop(&self, domain: &str) -> Option<String> {
        let found = self.configured(domain);
        match found {
            Some(h) => Some(h.to_owned()),
            None if self.mx && !domain.is_empty() => {
                Some(format!("{MX_PREFIX}{}", domain.to_ascii_lowercase()))
            }
            None => None,
        }
    }

    fn configured(&self, domain: &str) -> Option<&str> {
        let domain = domain.to_ascii_lowercase();
        for (pattern, hop) in &self.routes {
            let hit = match pattern.strip_prefix("*.") {
                Some(parent) => {
                    domain.len() > parent.len() && domain.ends_with(&format!(".{parent}"))
                }
                None => *pattern == domain,
            };
            if hit {
                return Some(hop);
            }
        }
        self.smarthost.as_deref()
    }

    /// Whether anything can be relayed at all.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.smarthost.is_none() && !self.mx
    }
}

pub use crate::util::cidr::Cidr;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_smarthost() {
        let mut r = Routes::default();
        r.add("hamburger.edu=127.0.0.1:2526").unwrap();
        r.add("*.example.org=10.0.0.1:25").unwrap();
        assert_eq!(
            r.next_hop("Hamburger.EDU").as_deref(),
            Some("127.0.0.1:2526")
        );
        assert_eq!(
            r.next_hop("mail.example.org").as_deref(),
            Some("10.0.0.1:25")
        );
        assert_eq!(r.next_hop("example.org"), None);
        assert_eq!(r.next_hop("elsewhere.net"), None);
        r.mx = true;
        assert_eq!(
            r.next_hop("Elsewhere.net").as_deref(),
            Some("mx:elsewhere.net")
        );
        r.smarthost = Some("relay:25".into());
        assert_eq!(r.next_hop("elsewhere.net").as_deref(), Some("relay:25"));
        assert!(r.add("nothing").is_err());
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("127.0.0.0/8").unwrap();
        assert!(c.contains("127.1.2.3".parse().unwrap()));
        assert!(c.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!c.contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("1.2.3.4/33").is_err());
        assert!(Cidr::parse("nope").is_err());
    }
}
