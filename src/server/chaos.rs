//! Chaos: failures the SMTP server injects on purpose, so an app's tests
//! can see how it copes with a failing mail server (`--chaos`,
//! `--enable-chaos`, `GET/PUT /api/v1/chaos`).
//!
//! Mailpit's three triggers (sender, recipient, authentication: a reply
//! code and a percentage) and mailkit's own: a delay before every reply,
//! a connection dropped in the middle of DATA, and a 451 for every
//! message after the first N. Every hit is logged. The settings are one
//! [`Chaos`] shared by the SMTP sessions ([`Faults`]) and the HTTP API,
//! changed at run time under a lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::proto::smtp::faults::Faults;

/// The reply code a trigger uses when none is given (Mailpit's default).
pub const DEFAULT_CODE: u16 = 451;

/// Longest injected delay: beyond RFC 5321 §4.5.3.2's shortest client
/// timeouts (5 minutes) there is nothing more to learn.
pub const MAX_DELAY_MS: u64 = 10 * 60 * 1000;

/// One of Mailpit's triggers: answer with `code`, `probability` percent
/// of the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// The SMTP reply code (400-599).
    pub code: u16,
    /// 0-100.
    pub probability: u8,
}

impl Default for Trigger {
    fn default() -> Self {
        Trigger {
            code: DEFAULT_CODE,
            probability: 0,
        }
    }
}

/// Every chaos setting; all off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// MAIL FROM refused.
    pub sender: Trigger,
    /// RCPT TO refused.
    pub recipient: Trigger,
    /// AUTH fails.
    pub auth: Trigger,
    /// Milliseconds every reply is held (0: none).
    pub delay_ms: u64,
    /// Percent of DATA commands whose connection is dropped mid-message.
    pub disconnect: u8,
    /// Messages after this many get 451 at the end of DATA.
    pub tempfail_after: Option<u64>,
}

/// A chaos setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosError(pub String);

impl std::fmt::Display for ChaosError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChaosError {}

fn err(s: impl Into<String>) -> ChaosError {
    ChaosError(s.into())
}

fn percent(s: &str, what: &str) -> Result<u8, ChaosError> {
    match s.trim().trim_end_matches('%').parse::<u8>() {
        Ok(p) if p <= 100 => Ok(p),
        _ => Err(err(format!("{what}: {s:?} is not a percentage (0 to 100)"))),
    }
}

fn code(n: u64, what: &str) -> Result<u16, ChaosError> {
    match u16::try_from(n) {
        Ok(c) if (400..=599).contains(&c) => Ok(c),
        _ => Err(err(format!(
            "{what}: {n} is not an SMTP error code (400 to 599)"
        ))),
    }
}

impl Settings {
    /// Applies one `--chaos` value: `KIND=VALUE[,KIND=VALUE...]` with
    /// `sender|recipient|auth=CODE:PERCENT` (or just `PERCENT`, code 451),
    /// `delay=MS`, `disconnect=PERCENT`, `tempfail-after=N`.
    pub fn apply(&mut self, spec: &str) -> Result<(), ChaosError> {
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (kind, value) = item.split_once('=').ok_or_else(|| {
                err(format!(
                    "--chaos {item:?}: want KIND=VALUE, e.g. sender=451:10 or delay=2000"
                ))
            })?;
            let kind = kind.trim().to_ascii_lowercase();
            let value = value.trim();
            let trigger = |what: &str| -> Result<Trigger, ChaosError> {
                let (c, p) = match value.split_once(':') {
                    Some((c, p)) => (
                        c.parse::<u64>().map_err(|_| {
                            err(format!("--chaos {what}: {c:?} is not a reply code"))
                        })?,
                        p,
                    ),
                    None => (u64::from(DEFAULT_CODE), value),
                };
                Ok(Trigger {
                    code: code(c, &format!("--chaos {what}"))?,
                    probability: percent(p, &format!("--chaos {what}"))?,
                })
            };
            match kind.as_str() {
                "sender" => self.sender = trigger("sender")?,
                "recipient" => self.recipient = trigger("recipient")?,
                "auth" | "authentication" => self.auth = trigger("auth")?,
                "delay" => {
                    self.delay_ms = value
                        .trim_end_matches("ms")
                        .parse::<u64>()
                        .ok()
                        .filter(|d| *d <= MAX_DELAY_MS)
                        .ok_or_else(|| {
                            err(format!(
                                "--chaos delay: {value:?} is not a number of milliseconds (at most {MAX_DELAY_MS})"
                            ))
                        })?
                }
                "disconnect" => self.disconnect = percent(value, "--chaos disconnect")?,
                "tempfail-after" => {
                    self.tempfail_after = Some(value.parse::<u64>().map_err(|_| {
                        err(format!("--chaos tempfail-after: {value:?} is not a count"))
                    })?)
                }
                _ => {
                    return Err(err(format!(
                        "--chaos {kind:?}: not a chaos setting (sender, recipient, auth, delay, disconnect, tempfail-after)"
                    )))
                }
            }
        }
        Ok(())
    }

    /// Mailpit's JSON (`Sender`, `Recipient`, `Authentication`, each
    /// `{"ErrorCode", "Probability"}`) with mailkit's settings beside them.
    pub fn to_json(&self) -> Value {
        let t = |t: &Trigger| json!({"ErrorCode": t.code, "Probability": t.probability});
        json!({
            "Sender": t(&self.sender),
            "Recipient": t(&self.recipient),
            "Authentication": t(&self.auth),
            "Delay": self.delay_ms,
            "Disconnect": self.disconnect,
            "TempfailAfter": self.tempfail_after,
        })
    }

    /// Settings from a `PUT /api/v1/chaos` body. As Mailpit's, it replaces
    /// every setting: one left out (or `null`) is off.
    pub fn from_json(v: &Value) -> Result<Settings, ChaosError> {
        let Value::Object(o) = v else {
            return Err(err("the chaos settings must be a JSON object"));
        };
        for k in o.keys() {
            if ![
                "Sender",
                "Recipient",
                "Authentication",
                "Delay",
                "Disconnect",
                "TempfailAfter",
            ]
            .contains(&k.as_str())
            {
                return Err(err(format!("{k:?} is not a chaos setting")));
            }
        }
        let number = |k: &str| -> Result<Option<u64>, ChaosError> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| err(format!("{k} must be a whole number, not {v}"))),
            }
        };
        let trigger = |k: &str| -> Result<Trigger, ChaosError> {
            let t = match o.get(k) {
                None | Some(Value::Null) => return Ok(Trigger::default()),
                Some(Value::Object(t)) => t,
                Some(v) => return Err(err(format!("{k} must be an object, not {v}"))),
            };
            let get = |f: &str| match t.get(f) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| err(format!("{k}.{f} must be a whole number, not {v}"))),
            };
            let probability = get("Probability")?.unwrap_or(0);
            let probability = u8::try_from(probability)
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| err(format!("{k}.Probability must be 0 to 100")))?;
            let code = match get("ErrorCode")? {
                None | Some(0) => DEFAULT_CODE,
                Some(c) => code(c, &format!("{k}.ErrorCode"))?,
            };
            Ok(Trigger { code, probability })
        };
        let delay_ms = number("Delay")?.unwrap_or(0);
        if delay_ms > MAX_DELAY_MS {
            return Err(err(format!("Delay must be at most {MAX_DELAY_MS} ms")));
        }
        let disconnect = number("Disconnect")?.unwrap_or(0);
        let disconnect = u8::try_from(disconnect)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| err("Disconnect must be 0 to 100"))?;
        Ok(Settings {
            sender: trigger("Sender")?,
            recipient: trigger("Recipient")?,
            auth: trigger("Authentication")?,
            delay_ms,
            disconnect,
            tempfail_after: number("TempfailAfter")?,
        })
    }
}

/// The chaos of one process: its settings, a random source, and the count
/// of messages that reached the end of DATA (for `tempfail-after`).
#[derive(Debug)]
pub struct Chaos {
    settings: Mutex<Settings>,
    rng: AtomicU64,
    ended: AtomicU64,
}

impl Chaos {
    /// Chaos with `settings`, seeded from the clock.
    pub fn new(settings: Settings) -> Chaos {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()).rotate_left(32);
        Chaos {
            settings: Mutex::new(settings),
            rng: AtomicU64::new(seed | 1),
            ended: AtomicU64::new(0),
        }
    }

    /// The settings, locked (a panic elsewhere cannot poison them: they
    /// are plain values, always whole).
    fn locked(&self) -> std::sync::MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The settings now.
    pub fn settings(&self) -> Settings {
        self.locked().clone()
    }

    /// Replaces the settings (`PUT /api/v1/chaos`); `tempfail-after`
    /// counts from now.
    pub fn set(&self, s: Settings) {
        eprintln!("mailkit: chaos: settings now {}", s.to_json());
        *self.locked() = s;
        self.ended.store(0, Ordering::Relaxed);
    }

    /// True `p` percent of the time (xorshift64*; not for secrets).
    fn roll(&self, p: u8) -> bool {
        match p {
            0 => false,
            100.. => true,
            _ => {
                let mut x = self.rng.load(Ordering::Relaxed);
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                self.rng.store(x, Ordering::Relaxed);
                (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % 100 < u64::from(p)
            }
        }
    }

    fn trigger(&self, name: &str, pick: impl Fn(&Settings) -> Trigger) -> Option<u16> {
        let t = pick(&self.locked());
        self.roll(t.probability).then(|| {
            eprintln!("mailkit: chaos: {name} trigger: answered {}", t.code);
            t.code
        })
    }
}

impl Faults for Chaos {
    fn sender(&self) -> Option<u16> {
        self.trigger("sender", |s| s.sender)
    }

    fn recipient(&self) -> Option<u16> {
        self.trigger("recipient", |s| s.recipient)
    }

    fn auth(&self) -> Option<u16> {
        self.trigger("auth", |s| s.auth)
    }

    fn delay(&self) -> Option<Duration> {
        let ms = self.locked().delay_ms;
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    fn disconnect(&self) -> bool {
        let p = self.locked().disconnect;
        let hit = self.roll(p);
        if hit {
            eprintln!("mailkit: chaos: disconnect: dropping the connection during DATA");
        }
        hit
    }

    fn tempfail(&self) -> bool {
        let Some(n) = self.locked().tempfail_after else {
            return false;
        };
        let seen = self.ended.fetch_add(1, Ordering::Relaxed);
        let hit = seen >= n;
        if hit {
            eprintln!("mailkit: chaos: tempfail-after {n}: answered 451");
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values_parse_and_bad_ones_say_why() {
        let mut s = Settings::default();
        s.apply("sender=550:100, recipient=30,auth=535:5").unwrap();
        s.apply("delay=250,disconnect=10%,tempfail-after=3")
            .unwrap();
        assert_eq!(
            s,
            Settings {
                sender: Trigger {
                    code: 550,
                    probability: 100
                },
                recipient: Trigger {
                    code: 451,
                    probability: 30
                },
                auth: Trigger {
                    code: 535,
                    probability: 5
                },
                delay_ms: 250,
                disconnect: 10,
                tempfail_after: Some(3),
            }
        );
        for bad in [
            "sender=250:10",
            "sender=451:101",
            "bogus=1",
            "delay=x",
            "sender",
            "tempfail-after=-1",
            "delay=700000",
        ] {
            let e = Settings::default().apply(bad).unwrap_err();
            assert!(e.0.starts_with("--chaos"), "{bad}: {e}");
        }
    }

    #[test]
    fn json_round_trips_in_mailpits_shape() {
        let mut s = Settings::default();
        s.apply("sender=550:100,delay=5,tempfail-after=2").unwrap();
        let v = s.to_json();
        assert_eq!(v["Sender"], json!({"ErrorCode": 550, "Probability": 100}));
        assert_eq!(v["Authentication"]["ErrorCode"], 451);
        assert_eq!(Settings::from_json(&v).unwrap(), s);
        // A PUT replaces everything: what it leaves out is off.
        let only =
            Settings::from_json(&json!({"Recipient": {"ErrorCode": 452, "Probability": 50}}))
                .unwrap();
        assert_eq!(only.sender, Trigger::default());
        assert_eq!(only.recipient.code, 452);
        assert_eq!(only.delay_ms, 0);
        for bad in [
            json!([]),
            json!({"Sender": {"ErrorCode": 200, "Probability": 1}}),
            json!({"Sender": {"Probability": 101}}),
            json!({"Sender": 5}),
            json!({"Nope": 1}),
            json!({"Disconnect": 150}),
            json!({"Delay": -1}),
        ] {
            assert!(Settings::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chance_follows_the_percentage() {
        let c = Chaos::new(Settings::default());
        assert!((0..1000).all(|_| !c.roll(0)));
        assert!((0..1000).all(|_| c.roll(100)));
        let hits = (0..10_000).filter(|_| c.roll(30)).count();
        assert!((2_500..3_500).contains(&hits), "{hits}");
    }

    #[test]
    fn tempfail_after_counts_from_the_last_change() {
        let mut s = Settings::default();
        s.apply("tempfail-after=2").unwrap();
        let c = Chaos::new(s.clone());
        assert_eq!(
            (0..4).map(|_| c.tempfail()).collect::<Vec<_>>(),
            [false, false, true, true]
        );
        c.set(s);
        assert!(!c.tempfail());
    }
}
