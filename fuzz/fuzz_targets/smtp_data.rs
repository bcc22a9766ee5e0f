//! The DATA reader on arbitrary input split at an arbitrary point: never
//! panics, the outcome does not depend on the split, and a message never
//! holds the bytes of a real `CRLF . CRLF` terminator. A small memory
//! budget (the second byte picks it) makes the 452 path reachable; whatever
//! the outcome, the budget is all given back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::proto::line::LineBuffer;
use mailkit::proto::smtp::data::DataReader;
use mailkit::util::budget::MemoryBudget;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let cut = data[0] as usize % data.len();
    let limit = 1024 + data[1] as usize * 16;
    let input = &data[2..];
    let cut = cut.min(input.len());

    let budget = MemoryBudget::new(limit);
    let mut whole = LineBuffer::new();
    whole.extend(input);
    let mut first = DataReader::new(4096).with_budget(budget.clone());
    let expected = first.read(&mut whole);
    drop(first);
    assert_eq!(budget.used(), 0);

    let mut split = LineBuffer::new();
    let mut r = DataReader::new(4096).with_budget(budget.clone());
    split.extend(&input[..cut]);
    let mut got = r.read(&mut split);
    split.extend(&input[cut..]);
    if got.is_none() {
        got = r.read(&mut split);
    }
    assert_eq!(expected, got);
    assert_eq!(whole.pending(), split.pending());
    let held = r.take_held();
    assert!(budget.used() <= limit && budget.used() == held.bytes());
    drop((r, held));
    assert_eq!(budget.used(), 0);
});
