//! Any bytes as a users file: parsing never panics; every password it
//! accepts is one it can verify (a scheme it knows, a hash of that
//! scheme's form), so no login fails silently.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::store::users::{Password, Users};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for domains in [&[][..], &["hamburger.edu".to_string()][..]] {
        if let Ok(u) = Users::parse(text, "users", domains) {
            for a in u.addresses() {
                if let Some(Password::Hashed { scheme, .. }) = u.get(a) {
                    assert!(
                        matches!(
                            scheme.as_str(),
                            "ARGON2ID" | "ARGON2I" | "SHA512-CRYPT" | "SHA256-CRYPT"
                        ),
                        "{scheme}"
                    );
                }
                // Verification of a wrong password never panics (cheap
                // hashes only: Argon2 and many crypt rounds are slow by
                // design, which is the file owner's choice).
                let slow = matches!(u.get(a), Some(Password::Hashed { scheme, hash })
                    if scheme.starts_with("ARGON2") || hash.contains("rounds="));
                if !slow {
                    let _ = u.verify(a, "x");
                }
            }
        }
    }
});
