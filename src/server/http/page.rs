//! The web page: its files (`web/`, embedded in the binary, so it works
//! offline and from any directory) and the view of a message's HTML that
//! the page shows in its sandboxed frame. That view is served under a
//! Content-Security-Policy that itself sandboxes the document (no
//! scripts, no forms, no plugins, even when opened outside the frame)
//! and allows no remote loads unless the reader asks for remote images.

use super::api::{error, Api};
use super::index::Scope;
use super::summary::{self, Kind};
use crate::proto::http::server::Response;

/// The page's files: (path, content type, bytes).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../../web/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/app.js"),
    ),
    (
        "/app.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/app.css"),
    ),
    (
        "/favicon.svg",
        "image/svg+xml",
        include_str!("../../../web/favicon.svg"),
    ),
];

/// The page's own policy: its scripts and styles only, frames of its
/// own message views, the event stream.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A file of the page (`/index.html` is `/`), or 404.
pub fn asset(path: &str) -> Response {
    let path = if path == "/index.html" { "/" } else { path };
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, ctype, body)) => {
            let mut r = Response::new(200, ctype, body.as_bytes().to_vec());
            r.headers
                .push(("Content-Security-Policy".into(), PAGE_CSP.into()));
            r
        }
        None => error(404, &format!("no page {path:?}")),
    }
}

/// Text as HTML text (nothing in it can become markup).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `/view/{ID}`: the message's HTML (its `cid:` images pointed at their
/// parts), or its text in a `<pre>`, for the page's sandboxed frame.
/// `remote=1` in the query allows remote images.
pub fn view(api: &Api, scope: &Scope, id: &str, query: Option<&str>) -> Response {
    let id = id.trim_end_matches(".html");
    let (e, data) = match api.load(scope, id) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let msg = crate::message::mime::parse(&data);
    let (mut html, mut text) = (None, None);
    let mut cids = Vec::new();
    if let Some(root) = &msg.root {
        for (n, p) in summary::numbered(root) {
            match summary::classify(p) {
                Kind::Html if html.is_none() => html = Some(p.text()),
                Kind::Text if text.is_none() => text = Some(p.text()),
                _ => {}
            }
            if let Some(cid) = p.content_id() {
                cids.push((cid, n));
            }
        }
    }
    let body = match html {
        Some(mut h) => {
            for (cid, n) in cids {
                h = h.replace(
                    &format!("cid:{cid}"),
                    &format!("/api/v1/message/{}/part/{n}", e.id),
                );
            }
            h
        }
        None => format!(
            "<!doctype html><meta charset=utf-8><style>pre{{white-space:pre-wrap;word-wrap:break-word;font:13px/1.45 ui-monospace,monospace;margin:12px}}</style><pre>{}</pre>",
            escape(&text.unwrap_or_default())
        ),
    };
    let remote = query.is_some_and(|q| q.split('&').any(|p| p == "remote=1"));
    let img = if remote {
        "img-src * data:"
    } else {
        "img-src 'self' data:"
    };
    let csp = format!(
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; {img}; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'"
    );
    let mut r = Response::new(200, "text/html; charset=utf-8", body.into_bytes());
    r.headers.push(("Content-Security-Policy".into(), csp));
    // Only the page itself may frame it.
    r.headers
        .push(("X-Frame-Options".into(), "SAMEORIGIN".into()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(asset("/").status, 200);
        assert_eq!(asset("/../Cargo.toml").status, 404);
    }
}
