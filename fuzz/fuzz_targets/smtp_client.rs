//! The SMTP client session fed arbitrary server bytes in arbitrary chunks:
//! never panics, reports every queued message exactly once, ends closed.
#![no_main]
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailkit::proto::smtp::client::{ClientConfig, ClientSession, Envelope, Event, Output};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut c = ClientSession::new(ClientConfig::new("fuzz.example"), now);
    for i in 0..3 {
        c.send(Envelope {
            from: Some("a@b.example".into()),
            to: vec!["c@d.example".into(), format!("r{i}@e.example")],
            data: b"Subject: x\n\n.dot\nbody\n".to_vec(),
            // One message each as BINARYMIME and with DSN parameters: the
            // fuzzed server may or may not offer CHUNKING, BINARYMIME, DSN.
            binary: i == 1,
            dsn: (i == 2).then(|| mailkit::proto::smtp::client::EnvelopeDsn {
                mail: mailkit::proto::smtp::dsn::MailDsn {
                    ret: Some(mailkit::proto::smtp::dsn::Ret::Hdrs),
                    envid: Some("id+1".into()),
                },
                rcpts: vec![mailkit::proto::smtp::dsn::RcptDsn {
                    notify: Some(mailkit::proto::smtp::dsn::Notify::NEVER),
                    orcpt: Some(("rfc822".into(), "c@d.example".into())),
                }],
                required: false,
            }),
        });
    }
    c.finish();
    let mut outcomes = [0u32; 3];
    let mut closed = false;
    let drain = |c: &mut ClientSession, outcomes: &mut [u32; 3], closed: &mut bool| {
        while let Some(o) = c.poll_output() {
            match o {
                Output::Event(Event::Delivered { message, .. }) | Output::Event(Event::Failed { message, .. }) => {
                    outcomes[message] += 1;
                }
                Output::StartTls => {}
                Output::Close => *closed = true,
                _ => {}
            }
        }
    };
    for chunk in data.split(|&b| b == 0xfe) {
        c.handle_input(now, chunk);
        drain(&mut c, &mut outcomes, &mut closed);
    }
    c.handle_eof(now);
    drain(&mut c, &mut outcomes, &mut closed);
    assert!(closed, "session not closed after EOF");
    assert_eq!(outcomes, [1, 1, 1], "each message reported exactly once");
});
