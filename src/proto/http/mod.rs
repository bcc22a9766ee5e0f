//! HTTP/1.1 (RFC 9110 semantics, RFC 9112 message syntax): the sans-IO
//! server session `serve-http` will run on the loop. Request heads are
//! parsed by `httparse`; this module frames requests (head, then a body
//! of Content-Length or chunked octets), bounds them, answers one at a
//! time in order (pipelined requests wait), and writes responses with
//! the right framing and connection handling.

pub mod server;
pub mod websocket;
