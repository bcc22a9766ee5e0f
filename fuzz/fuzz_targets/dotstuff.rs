//! The streaming dot-stuffing encoder (what POP3 RETR/TOP send from a
//! message file another program may have written) over any bytes, cut
//! into any chunks, with or without TOP: the same output as one call; no
//! line in it is a bare "."; decoding gives back the input's lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailkit::proto::body::Body;
use mailkit::proto::dotstuff::{decode_line, encode, Encoder, TERMINATOR};

fuzz_target!(|input: &[u8]| {
    let (cuts, data) = match input.split_first() {
        Some((c, d)) => (*c, d),
        None => return,
    };
    let top = (cuts & 0x80 != 0).then_some(usize::from(cuts & 0x0f));
    let chunk = usize::from(cuts & 0x70) / 16 + 1;
    let whole = encode(data, top);
    // Streamed through a Body in chunks of 1-8 bytes.
    let mut out = Vec::new();
    let enc = top.map_or_else(Encoder::new, Encoder::top);
    let mut b = Body::dot_stuffed(Box::new(std::io::Cursor::new(data.to_vec())), enc);
    while !b.fill(&mut out, chunk).unwrap() {}
    out.extend_from_slice(TERMINATOR);
    assert_eq!(out, whole);
    // Every line ends CRLF; only the last is the terminator.
    let body = &whole[..whole.len() - TERMINATOR.len()];
    let mut decoded = Vec::new();
    for line in body.split_inclusive(|&b| b == b'\n') {
        let text = line.strip_suffix(b"\r\n").expect("CRLF line ends");
        let text = decode_line(text).expect("no terminator inside the body");
        decoded.extend_from_slice(text);
        decoded.push(b'\n');
    }
    if top.is_none() {
        // Line ends aside, the body is the input.
        // (A last line without its line end gets one, even if it is a
        // lone CR.)
        let mut want: Vec<u8> = data.iter().copied().filter(|&b| b != b'\r').collect();
        if !data.is_empty() && !data.ends_with(b"\n") {
            want.push(b'\n');
        }
        let got: Vec<u8> = decoded.into_iter().filter(|&b| b != b'\r').collect();
        assert_eq!(got, want);
    }
});
