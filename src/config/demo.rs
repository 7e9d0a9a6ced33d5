//! The demo centre's secrets are public (README, tests, the embedded `config/default.toml`):
//! PIN 1234 for every clerk, 9999 for the supervisor, and device tokens such as
//! `demo-display-token-0001`. A real centre's config copied from the demo (or the packaged
//! `/etc/xephang/xephang.toml`, which ships them so that the file is complete) must not go
//! live with them: `xephang run --config FILE` refuses to start while any is left, naming
//! each, unless `--demo` says the demo is meant. Without `--config` the embedded demo runs as
//! before (`./run.sh`, the tests).
//!
//! Detected: a `pin_hash` equal to one of the demo's (the exact string: a PIN hashed again by
//! `xephang hash-pin` gets a fresh salt and is not recognised, whatever the PIN), and a device
//! token equal to a demo token or starting with `demo-`.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{parse, Config, DEFAULT_NAME, DEFAULT_TOML};

/// The demo's PIN hashes (with the PIN each stands for) and device tokens.
struct Demo {
    pins: HashMap<String, &'static str>,
    tokens: Vec<String>,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        // The embedded demo always parses (a unit test in config/tests.rs says so).
        let config = parse(DEFAULT_TOML, DEFAULT_NAME).ok();
        let staff = config.as_ref().map(|c| c.staff.as_slice()).unwrap_or(&[]);
        let devices = config.as_ref().map(|c| c.devices.as_slice()).unwrap_or(&[]);
        Demo {
            pins: staff
                .iter()
                .map(|s| {
                    let pin = if s.supervisor { "9999" } else { "1234" };
                    (s.pin_hash.clone(), pin)
                })
                .collect(),
            tokens: devices.iter().map(|d| d.token.clone()).collect(),
        }
    })
}

/// Every demo secret left in `config`, one line each, naming the staff id or device.
pub fn demo_secrets(config: &Config) -> Vec<String> {
    let demo = demo();
    let mut out = Vec::new();
    for s in &config.staff {
        if let Some(pin) = demo.pins.get(&s.pin_hash) {
            out.push(format!(
                "staff {}: pin_hash is the demo's (PIN {pin}) — make one with `xephang hash-pin`",
                s.id
            ));
        }
    }
    for d in &config.devices {
        if d.token.starts_with("demo-") || demo.tokens.contains(&d.token) {
            out.push(format!(
                "device \"{}\": token {} is a public demo token — use a long random one (e.g. `openssl rand -hex 24`)",
                d.name, d.token
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, HASH_1234};
    use super::*;

    #[test]
    fn the_demo_is_all_demo_secrets_and_a_real_centre_has_none() {
        let demo = parse(DEFAULT_TOML, DEFAULT_NAME).expect("demo parses");
        let found = demo_secrets(&demo);
        assert_eq!(
            found.len(),
            demo.staff.len() + demo.devices.len(),
            "{found:#?}"
        );
        assert!(found
            .iter()
            .any(|l| l.starts_with("staff gs01:") && l.contains("PIN 9999")));
        assert!(found
            .iter()
            .any(|l| l.starts_with("staff nv01:") && l.contains("PIN 1234")));
        assert!(found
            .iter()
            .any(|l| l.contains("token demo-kiosk-token-00001")));

        let real = format!(
            "{BASE}\n[[staff]]\nid = \"a\"\nname = \"A\"\npin_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8\"\n\n[[devices]]\nname = \"TV\"\nrole = \"display\"\ntoken = \"Zq3x8Yt0pW2vL7sN4mK1\"\n"
        );
        let real = parse(&real, "centre.toml").expect("parses");
        assert_eq!(demo_secrets(&real), Vec::<String>::new());

        let copied = format!(
            "{BASE}\n[[staff]]\nid = \"b\"\nname = \"B\"\npin_hash = \"{HASH_1234}\"\n\n[[devices]]\nname = \"TV 2\"\nrole = \"display\"\ntoken = \"demo-display-token-0002\"\n"
        );
        let copied = parse(&copied, "centre.toml").expect("parses");
        let found = demo_secrets(&copied);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].starts_with("staff b:"));
        assert!(found[1].starts_with("device \"TV 2\""));
    }
}
