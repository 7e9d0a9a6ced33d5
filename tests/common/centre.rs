//! Test centres written as TOML text, with the demo staff (and their PIN hashes).

use super::*;

// ---------------------------------------------------------------------------------------
// Test configurations, written as text
// ---------------------------------------------------------------------------------------

/// The `[[staff]]` tables of config/default.toml, verbatim (with their pin_hash lines), so the
/// demo PINs work in the tests' own centres.
pub fn default_staff_toml() -> String {
    let text = std::fs::read_to_string(default_config()).expect("read config/default.toml");
    let mut out = String::new();
    let mut in_staff = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_staff = t.starts_with("[[staff]]");
        }
        if in_staff {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(
        out.contains("pin_hash"),
        "no [[staff]] with pin_hash in config/default.toml"
    );
    out
}

/// `[services.appointments]` of a service taking bookings every day at any hour: 30-minute
/// slots of capacity 1, 15 minutes' grace (the tests' clocks may be set to any instant).
pub const ALL_DAY_SLOTS: &str = "[services.appointments]\nslot_min = 30\ncapacity = 1\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nhours = [\"00:00-23:59\"]\ngrace_min = 15\n";

/// One `[[services]]` table; `extra` is appended verbatim (hours, slots, prefix…).
pub fn service_toml(id: &str, name: &str, first: u32, last: u32, extra: &str) -> String {
    format!(
        "[[services]]\nid = \"{id}\"\nname = \"{name}\"\nname_en = \"{id} (en)\"\nfirst = {first}\nlast = {last}\ntarget_wait_min = 15\n{extra}\n"
    )
}

pub fn counter_toml(id: u32, services: &[&str]) -> String {
    let list: Vec<String> = services.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        "[[counters]]\nid = {id}\nname = \"Quầy {id}\"\nservices = [{}]\nmode = \"fifo\"\n\n",
        list.join(", ")
    )
}

/// A whole centre: the given services and counters, the demo priorities, the demo staff, and
/// the demo device tokens (a rating device for each counter).
pub fn centre_toml(services: &str, counters: &[(u32, &[&str])]) -> String {
    let mut s = String::from(
        "[centre]\nname = \"Trung tâm kiểm thử\"\nname_en = \"Test centre\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\n",
    );
    s.push_str(services);
    s.push('\n');
    for (id, svcs) in counters {
        s.push_str(&counter_toml(*id, svcs));
    }
    for (id, name) in [
        ("elderly", "Người cao tuổi"),
        ("disabled", "Người khuyết tật"),
        ("pregnant", "Phụ nữ mang thai"),
        ("merit", "Người có công với cách mạng"),
    ] {
        s.push_str(&format!(
            "[[priorities]]\nid = \"{id}\"\nname = \"{name}\"\n\n"
        ));
    }
    s.push_str(&default_staff_toml());
    s.push('\n');
    s.push_str(&format!(
        "[[devices]]\nname = \"TV sảnh\"\nrole = \"display\"\ntoken = \"{DISPLAY}\"\n\n"
    ));
    s.push_str(&format!(
        "[[devices]]\nname = \"Kiosk\"\nrole = \"kiosk\"\ntoken = \"{KIOSK}\"\n\n"
    ));
    s.push_str(&format!(
        "[[devices]]\nname = \"Giám sát\"\nrole = \"supervisor\"\ntoken = \"{SUPERVISOR}\"\n\n"
    ));
    for (id, _) in counters {
        s.push_str(&format!(
            "[[devices]]\nname = \"Đánh giá {id}\"\nrole = \"rating\"\ntoken = \"{}\"\ncounter = {id}\n\n",
            rating_token(*id)
        ));
    }
    s
}
