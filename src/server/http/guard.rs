//! The checks every request passes before it is served, against the
//! attacks a local mail catcher invites: DNS rebinding (a foreign page
//! whose host name points at 127.0.0.1: the `Host` field must name this
//! server), cross-site requests (a state change or the event stream asked
//! for by another site's page: refused by `Origin`, and POST bodies must be
//! JSON, which a form cannot send), and CORS only for the origins
//! `--cors` names. Headers every response carries close the rest
//! (nosniff, no framing by other sites, no referrer).

use std::net::IpAddr;

use crate::proto::http::server::{Request, Response};

use super::api::error;

/// What the checks allow besides this server's own addresses.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// Host names that name this server (`--hostname`, `--allow-host`),
    /// lowercased; IP literals and `localhost` always do.
    pub hosts: Vec<String>,
    /// Origins allowed to call the API from their pages (`--cors`), as
    /// `scheme://host[:port]`; `*` allows any (but never state changes
    /// from a page that is not this server's).
    pub cors: Vec<String>,
}

/// The host of a `Host` value or an origin's authority, without the port.
fn host_part(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.rsplit_once(':').map_or(authority, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    })
}

/// Methods that change something.
fn changes(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

impl Guard {
    /// Whether a `Host` value names this server.
    pub fn host_ok(&self, host: &str) -> bool {
        let h = host_part(host.trim()).to_ascii_lowercase();
        h.parse::<IpAddr>().is_ok()
            || h == "localhost"
            || h.ends_with(".localhost")
            || self.hosts.contains(&h)
    }

    /// Whether CORS allows `origin`.
    fn cors_allows(&self, origin: &str) -> bool {
        self.cors
            .iter()
            .any(|c| c == "*" || c.eq_ignore_ascii_case(origin))
    }

    /// Checks a request: Ok(whether it comes from an origin `--cors`
    /// allows, so its response carries CORS headers), or the refusal.
    pub fn check(&self, req: &Request) -> Result<bool, Response> {
        let host = req
            .header("host")
            .map(|h| String::from_utf8_lossy(h).into_owned());
        let Some(host) = host else {
            if req.http10 {
                return Ok(false);
            }
            // RFC 9112 §3.2: a request without Host is a bad request.
            return Err(error(400, "the request has no Host header field"));
        };
        if !self.host_ok(&host) {
            return Err(error(
                403,
                &format!("Host {host:?} does not name this server (a DNS rebinding attempt?); start it with --hostname {} to allow that name", host_part(&host)),
            ));
        }
        let origin = req
            .header("origin")
            .map(|o| String::from_utf8_lossy(o).trim().to_owned());
        let same = origin.as_deref().is_none_or(|o| {
            o.split_once("://")
                .is_some_and(|(_, auth)| auth.eq_ignore_ascii_case(host.trim()))
        });
        let cors = !same && origin.as_deref().is_some_and(|o| self.cors_allows(o));
        let guarded = changes(&req.method) || req.path == "/api/events";
        // A page of another site (or a sandboxed one: origin "null") may
        // not change anything nor read the stream, unless --cors names it
        // (and then only over CORS, which browsers enforce).
        if guarded && !same && !(cors && req.path != "/api/events") {
            return Err(error(
                403,
                "cross-site request refused: the Origin is not this server (start it with --cors ORIGIN to allow a page elsewhere)",
            ));
        }
        let cross = req
            .header("sec-fetch-site")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"cross-site"));
        if guarded && cross && !cors {
            return Err(error(403, "cross-site request refused"));
        }
        if req.method == "POST" {
            let json = req.header("content-type").is_some_and(|c| {
                let c = String::from_utf8_lossy(c).to_ascii_lowercase();
                c.split(';')
                    .next()
                    .is_some_and(|t| t.trim() == "application/json")
            });
            if !json {
                return Err(error(
                    415,
                    "POST bodies must be JSON (Content-Type: application/json)",
                ));
            }
        }
        Ok(cors)
    }

    /// CORS headers for an allowed origin (`preflight`: the answer to OPTIONS).
    pub fn cors_headers(&self, req: &Request, r: &mut Response, preflight: bool) {
        let Some(origin) = req
            .header("origin")
            .map(|o| String::from_utf8_lossy(o).into_owned())
        else {
            return;
        };
        if !self.cors_allows(&origin) {
            return;
        }
        r.headers
            .push(("Access-Control-Allow-Origin".into(), origin.clone()));
        r.headers.push(("Vary".into(), "Origin".into()));
        if preflight {
            r.headers.push((
                "Access-Control-Allow-Methods".into(),
                "GET, PUT, POST, DELETE, OPTIONS".into(),
            ));
            r.headers.push((
                "Access-Control-Allow-Headers".into(),
                "Content-Type, Authorization".into(),
            ));
            r.headers
                .push(("Access-Control-Max-Age".into(), "600".into()));
        }
    }
}

/// Headers on every response: no MIME sniffing, no framing by other
/// sites, no referrer leaving the page (message links), no caching of mail.
pub fn secure_headers(r: &mut Response) {
    let has = |r: &Response, n: &str| r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    for (n, v) in [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ] {
        if !has(r, n) {
            r.headers.push((n.into(), v.into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            query: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: Vec::new(),
            http10: false,
        }
    }

    #[test]
    fn rebinding_and_cross_site_requests_are_refused() {
        let g = Guard::default();
        let status = |r: Result<bool, Response>| r.map_or_else(|e| e.status, |_| 200);
        assert_eq!(
            status(g.check(&req("GET", "/", &[("host", "127.0.0.1:8025")]))),
            200
        );
        assert_eq!(
            status(g.check(&req("GET", "/", &[("host", "localhost:8025")]))),
            200
        );
        assert_eq!(
            status(g.check(&req("GET", "/", &[("host", "[::1]:8025")]))),
            200
        );
        assert_eq!(
            status(g.check(&req("GET", "/", &[("host", "evil.example:8025")]))),
            403
        );
        assert_eq!(status(g.check(&req("GET", "/", &[]))), 400);
        let h = ("host", "127.0.0.1:8025");
        let same = ("origin", "http://127.0.0.1:8025");
        let evil = ("origin", "https://evil.example");
        assert_eq!(
            status(g.check(&req("DELETE", "/api/v1/messages", &[h, same]))),
            200
        );
        assert_eq!(
            status(g.check(&req("DELETE", "/api/v1/messages", &[h, evil]))),
            403
        );
        assert_eq!(
            status(g.check(&req("PUT", "/api/v1/messages", &[h, ("origin", "null")]))),
            403
        );
        assert_eq!(status(g.check(&req("GET", "/api/events", &[h, evil]))), 403);
        assert_eq!(
            status(g.check(&req("GET", "/api/v1/messages", &[h, evil]))),
            200
        );
        assert_eq!(
            status(g.check(&req("DELETE", "/x", &[h, ("sec-fetch-site", "cross-site")]))),
            403
        );
        assert_eq!(
            status(g.check(&req("POST", "/x", &[h, ("content-type", "text/plain")]))),
            415
        );
        let allowed = Guard {
            cors: vec!["https://app.test".into()],
            hosts: vec!["mail.test".into()],
        };
        assert_eq!(
            allowed
                .check(&req("PUT", "/x", &[h, ("origin", "https://app.test")]))
                .ok(),
            Some(true)
        );
        assert_eq!(
            status(allowed.check(&req(
                "GET",
                "/api/events",
                &[h, ("origin", "https://app.test")]
            ))),
            403
        );
        assert_eq!(
            status(allowed.check(&req("GET", "/", &[("host", "MAIL.test:80")]))),
            200
        );
    }
}
