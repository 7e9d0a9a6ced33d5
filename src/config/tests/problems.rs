//! Every kind of broken file yields a problem with the right line, field and message.

use super::*;

#[test]
fn unknown_keys_at_every_level_are_all_reported() {
    let text = format!(
        "colour = 1\n{}",
        BASE.replace("name = \"Test\"", "name = \"Test\"\ncolor = \"red\"")
            .replace(
                "last = 2999",
                "last = 2999\n[services.appointments]\nhours = [\"08:00-11:00\"]\nslots = 3"
            )
    ) + "[audio]\nno_such_audio_key = 1\n";
    assert_problem(&text, "colour = 1", "colour", "unknown key");
    assert_problem(&text, "color =", "centre.color", "unknown key");
    assert_problem(
        &text,
        "slots = 3",
        "services[1].appointments.slots",
        "unknown key",
    );
    assert_problem(
        &text,
        "no_such_audio_key",
        "audio.no_such_audio_key",
        "unknown key",
    );
    assert_eq!(problems(&text).len(), 4);
    // The message lists what is allowed there.
    let p = problems(&text);
    assert!(p
        .iter()
        .any(|p| p.field == "centre.color" && p.message.contains("name_en")));
}

#[test]
fn type_errors_are_reported_with_their_field() {
    let text = BASE.replace("first = 2001", "first = \"2001\"");
    assert_problem(
        &text,
        "first = \"2001\"",
        "services[1].first",
        "expected an integer",
    );
    // ...and not again as a missing key.
    assert_eq!(problems(&text).len(), 1);
}

#[test]
fn duplicate_service_id() {
    let text = BASE.replace("id = \"chungthuc\"", "id = \"hotich\"");
    let text = text.replacen("\"hotich\", \"chungthuc\"", "\"hotich\"", 1);
    let line = line_with(&text, "id = \"hotich\"");
    let dup = last_line_with(&text, "id = \"hotich\"");
    let ps = problems(&text);
    assert!(ps.iter().any(|p| p.line == Some(dup)
        && p.field == "services[1].id"
        && p.message.contains(&format!(
            "duplicate service id \"hotich\" (first defined at line {line})"
        ))));
}

#[test]
fn duplicate_counter_id() {
    let text = format!("{BASE}\n[[counters]]\nid = 1 # again\nservices = [\"hotich\"]\n");
    assert_problem(
        &text,
        "id = 1 # again",
        "counters[1].id",
        "duplicate counter id 1",
    );
}

#[test]
fn overlapping_ranges() {
    let text = BASE.replace("first = 2001", "first = 1500");
    let says = "range 1500–2999 overlaps service \"hotich\" (1001–1999)";
    assert_problem(&text, "last = 2999", "services[1].last", says);
    // Equal numbers with different prefixes print differently (A1001, B1001): allowed.
    let prefixed = BASE
        .replace("first = 1001", "prefix = \"A\"\nfirst = 1001")
        .replace(
            "first = 2001\nlast = 2999",
            "prefix = \"B\"\nfirst = 1001\nlast = 1999",
        );
    assert!(parse(&prefixed, "centre.toml").is_ok());
    // The same prefix twice is ambiguous again.
    let same = prefixed.replace("prefix = \"A\"", "prefix = \"B\"");
    let line = last_line_with(&same, "last = 1999");
    let ps = problems(&same);
    assert!(ps.iter().any(|p| p.line == Some(line)
        && p.field == "services[1].last"
        && p.message.contains("overlaps service \"hotich\"")));
}

#[test]
fn first_above_last() {
    let text = BASE.replace("last = 2999", "last = 2000");
    assert_problem(
        &text,
        "last = 2000",
        "services[1].last",
        "last (2000) is below first (2001)",
    );
}

#[test]
fn counter_with_unknown_service() {
    let text = BASE.replace("[\"hotich\", \"chungthuc\"]", "[\"hotic\", \"chungthuc\"]");
    let says = "unknown service \"hotic\" (known: hotich, chungthuc)";
    assert_problem(&text, "\"hotic\"", "counters[0].services", says);
    // An element on its own line is located on that line.
    let text = BASE.replace(
        "[\"hotich\", \"chungthuc\"]",
        "[\n  \"hotich\",\n  \"chungthuc\",\n  \"hotich\",\n]",
    );
    let line = last_line_with(&text, "\"hotich\",");
    let ps = problems(&text);
    assert!(ps
        .iter()
        .any(|p| p.line == Some(line) && p.message.contains("listed twice")));
}

fn device(name: &str, role: &str, token: &str, counter: Option<u32>) -> String {
    let counter = counter
        .map(|n| format!("counter = {n}\n"))
        .unwrap_or_default();
    format!("\n[[devices]]\nname = \"{name}\"\nrole = \"{role}\"\ntoken = \"{token}\"\n{counter}")
}

#[test]
fn short_token() {
    let text = BASE.to_string() + &device("TV", "display", "abc-short-token", None);
    assert_problem(
        &text,
        "abc-short-token",
        "devices[0].token",
        "too short (15 characters)",
    );
    let text = BASE.to_string() + &device("TV", "display", "sixteen-chars-ok", None);
    assert!(parse(&text, "centre.toml").is_ok());
    let text = BASE.to_string() + &device("TV", "display", "base64+token/with=", None);
    assert_problem(
        &text,
        "base64+token",
        "devices[0].token",
        "use only letters",
    );
}

#[test]
fn duplicate_token() {
    let text = BASE.to_string()
        + &device("TV", "display", "same-token-for-two", None)
        + &device("Kiosk", "kiosk", "same-token-for-two", None);
    let first = line_with(&text, "same-token-for-two");
    let dup = last_line_with(&text, "same-token-for-two");
    let ps = problems(&text);
    assert!(ps.iter().any(|p| p.line == Some(dup)
        && p.field == "devices[1].token"
        && p.message
            .contains(&format!("same token as the device at line {first}"))));
    // The token itself is never echoed (problems end up in logs).
    assert!(ps
        .iter()
        .all(|p| !p.to_string().contains("same-token-for-two")));
}

#[test]
fn rating_and_display_devices_take_a_known_counter_others_none() {
    let text = BASE.to_string() + &device("Tablet", "rating", "rating-token-counter", None);
    assert_problem(
        &text,
        "[[devices]]",
        "devices[0].counter",
        "needs the counter",
    );
    let text = BASE.to_string() + &device("Tablet", "rating", "rating-token-counter", Some(9));
    assert_problem(
        &text,
        "counter = 9",
        "devices[0].counter",
        "unknown counter 9 (known: 1)",
    );
    let text = BASE.to_string() + &device("Kiosk", "kiosk", "kiosk-token-abcdefgh", Some(1));
    assert_problem(
        &text,
        "counter = 1",
        "devices[0].counter",
        "only rating and display devices",
    );
    // A display with a counter is that counter's display, and the counter must exist.
    let text = BASE.to_string() + &device("TV", "display", "display-token-abcdef", Some(9));
    assert_problem(
        &text,
        "counter = 9",
        "devices[0].counter",
        "unknown counter 9 (known: 1)",
    );
    let text = BASE.to_string() + &device("TV", "display", "display-token-abcdef", Some(1));
    let c = parse(&text, "centre.toml").expect("a counter display");
    assert_eq!(c.devices[0].counter, Some(CounterId(1)));
    let text = BASE.to_string() + &device("TV", "screen", "display-token-abcdef", None);
    assert_problem(
        &text,
        "\"screen\"",
        "devices[0].role",
        "unknown role \"screen\"",
    );
    let text = BASE.to_string() + &device("Tablet", "rating", "rating-token-counter", Some(1));
    let c = parse(&text, "centre.toml").unwrap();
    assert_eq!(
        (c.devices[0].role, c.devices[0].counter),
        (DeviceRole::Rating, Some(CounterId(1)))
    );
}

fn staff(id: &str, hash: &str) -> String {
    format!("\n[[staff]]\nid = \"{id}\"\nname = \"Nguyễn Văn An\"\npin_hash = \"{hash}\"\n")
}

#[test]
fn bad_pin_hash() {
    let says = "not an argon2id hash; run `xephang hash-pin`";
    for bad in [
        "1234",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$UpdZB+ir2F0dnUDjIJKIHg",
        "$argon2id$v=19$m=19456,t=2,p=1$blDlhZxM6+6ZSrQ/zNC7Qw",
    ] {
        let text = BASE.to_string() + &staff("nv01", bad);
        assert_problem(&text, "pin_hash", "staff[0].pin_hash", says);
    }
    let text = BASE.to_string() + &staff("nv01", HASH_1234);
    let c = parse(&text, "centre.toml").unwrap();
    assert!(!c.staff[0].supervisor && c.staff[0].photo.is_none());
    // Secrets stay out of Debug output.
    assert!(!format!("{c:?}").contains(HASH_1234));
}

#[test]
fn staff_duplicates_and_photos() {
    let text = BASE.to_string() + &staff("nv01", HASH_1234) + &staff("nv01", HASH_1234);
    let dup = last_line_with(&text, "id = \"nv01\"");
    assert!(problems(&text).iter().any(|p| p.line == Some(dup)
        && p.field == "staff[1].id"
        && p.message.contains("duplicate")));
    let text = BASE.to_string() + &staff("nv01", HASH_1234) + "photo = \"../etc/passwd\"\n";
    assert_problem(&text, "photo =", "staff[0].photo", "plain file name");
    let text = BASE.to_string() + &staff("nv01", HASH_1234) + "photo = \"nv01.jpg\"\n";
    assert_problem(&text, "photo =", "staff[0].photo", "photos_dir");
}

#[test]
fn bad_timezone() {
    let text = BASE.replace(
        "name = \"Test\"",
        "name = \"Test\"\ntimezone = \"Asia/Hanoi\"",
    );
    assert_problem(
        &text,
        "timezone",
        "centre.timezone",
        "unknown time zone \"Asia/Hanoi\"",
    );
    let text = BASE.replace(
        "name = \"Test\"",
        "name = \"Test\"\ntimezone = \"Asia/Bangkok\"",
    );
    assert_eq!(
        parse(&text, "c.toml").unwrap().spec.timezone,
        chrono_tz::Asia::Bangkok
    );
}

#[test]
fn bad_hours_and_days() {
    let with = |hours: &str| BASE.replace("last = 1999", &format!("last = 1999\nhours = {hours}"));
    let text = with("[\"07:30-11:30\", \"7h30-11h\"]");
    assert_problem(
        &text,
        "hours",
        "services[0].hours",
        "\"7h30-11h\" is not a time window HH:MM-HH:MM",
    );
    let text = with("[\"11:30-07:30\"]");
    assert_problem(
        &text,
        "hours",
        "services[0].hours",
        "must end after it starts",
    );
    let text = with("[\"07:30-11:30\", \"11:00-12:00\"]");
    assert_problem(&text, "hours", "services[0].hours", "overlaps 07:30-11:30");
    let text = with("[\"25:00-26:00\"]");
    assert_problem(&text, "hours", "services[0].hours", "not a time window");
    let text = BASE.replace("last = 1999", "last = 1999\ndays = [\"mon\", \"thu2\"]");
    assert_problem(&text, "days", "services[0].days", "unknown day \"thu2\"");
    let ok = with("[\"07:30-11:30\", \"13:30-17:00\"]")
        .replace("first = 1001", "days = [\"mon\", \"sat\"]\nfirst = 1001");
    let c = parse(&ok, "c.toml").unwrap();
    let h = &c.spec.services[0].hours;
    assert_eq!(h.days, vec![Weekday::Mon, Weekday::Sat]);
    assert_eq!(
        h.windows[1].start,
        NaiveTime::from_hms_opt(13, 30, 0).unwrap()
    );
}

#[test]
fn appointments_need_hours() {
    let text = BASE.replace(
        "last = 1999",
        "last = 1999\n[services.appointments]\ncapacity = 0",
    );
    assert_problem(
        &text,
        "[services.appointments]",
        "services[0].appointments.hours",
        "required",
    );
    assert_problem(
        &text,
        "capacity = 0",
        "services[0].appointments.capacity",
        "at least 1",
    );
}

#[test]
fn toml_syntax_error() {
    let text = BASE.replace("first = 2001", "first = 2001 2002");
    let ps = problems(&text);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].line, Some(line_with(&text, "first = 2001 2002")));
    assert_eq!(ps[0].field, "(syntax)");
}

#[test]
fn missing_pieces_and_reserved_ids() {
    let ps = problems("[centre]\nname = \"X\"\n");
    let shown: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
    assert!(shown.contains(
        &"centre.toml: services: at least one [[services]] table is required".to_string()
    ));
    assert!(shown
        .iter()
        .any(|s| s.starts_with("centre.toml: counters: ")));
    let text = BASE.to_string() + "\n[[priorities]]\nid = \"appointment\"\nname = \"Hẹn\"\n";
    assert_problem(&text, "\"appointment\"", "priorities[0].id", "reserved");
    let text = BASE.replace("id = \"hotich\"", "id = \"Hộ tịch\"");
    assert_problem(
        &text,
        "id = \"Hộ tịch\"",
        "services[0].id",
        "may only contain a-z",
    );
    let text = BASE.replace("first = 1001", "prefix = \"a1\"\nfirst = 1001");
    assert_problem(&text, "prefix", "services[0].prefix", "capital letters");
}

#[test]
fn several_problems_are_all_reported_in_line_order() {
    let text = BASE
        .replace(
            "name = \"Test\"",
            "name = \"Test\"\ntimezone = \"Mars/Base\"\nlogoo = \"x\"",
        )
        .replace("id = \"chungthuc\"", "id = \"hotich\"")
        .replace("last = 2999", "last = 1")
        .replace("mode = \"fifo\"", "")
        .replace("id = 1", "id = 0\nmode = \"random\"")
        + &device("TV", "display", "short", None);
    let ps = problems(&text);
    let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
    for want in [
        "centre.timezone",
        "centre.logoo",
        "services[1].id",
        "services[1].last",
        "counters[0].id",
        "counters[0].mode",
        "devices[0].token",
    ] {
        assert!(fields.contains(&want), "{want} missing from {fields:?}");
    }
    let lines: Vec<usize> = ps.iter().filter_map(|p| p.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]));
    // Display: one problem per line, "file:line: field: message".
    let shown = ConfigError {
        problems: ps.clone(),
    }
    .to_string();
    assert_eq!(shown.lines().count(), ps.len());
    let tz_line = line_with(&text, "Mars/Base");
    assert!(shown.contains(&format!(
        "centre.toml:{tz_line}: centre.timezone: unknown time zone"
    )));
}

#[test]
fn audio_values_are_checked_by_the_audio_module() {
    let text = BASE.to_string() + "\n[audio]\noutput = \"off\"\nrepeats = 7\n";
    assert_problem(&text, "repeats = 7", "audio.repeats", "must be 1, 2 or 3");
}
