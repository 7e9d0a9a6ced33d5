//! A fixed scripted day with known times, run through the pure domain and written to a real
//! journal file: every figure of the stats, the CSV and the XLSX report (read back with
//! calamine) is checked against values computed by hand.

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{DateTime, FixedOffset, TimeZone};
use serde_json::{json, Value};

use xephang::config;
use xephang::domain::decide::{end_of_day, start_of_day};
use xephang::domain::event::{ClerkRef, Event, RatingSource};
use xephang::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use xephang::domain::spec::CentreSpec;
use xephang::domain::{decide, Command, Ctx, Envelope, State};
use xephang::journal::Journal;
use xephang::stats::{to_csv, DayStats};

fn at(h: u32, m: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(2026, 11, 20, h, m, 0).single())
        .expect("valid time")
}

struct Day {
    spec: CentreSpec,
    state: State,
    log: Vec<Envelope>,
}

impl Day {
    fn commit(&mut self, now: DateTime<FixedOffset>, events: Vec<Event>) -> Vec<Event> {
        for e in &events {
            let env = self.state.commit(&self.spec, e.clone(), now);
            self.log.push(env);
        }
        events
    }

    fn run(&mut self, (h, m): (u32, u32), cmd: Command) -> Vec<Event> {
        let now = at(h, m);
        let none = |_: &str, _: CounterId| Vec::new();
        let ctx = Ctx {
            now,
            new_id: TicketId(ulid::Ulid::new()),
            new_code: BookingCode("AAAAAA".into()),
            announce: &none,
        };
        let events = decide(&self.spec, &self.state, &cmd, &ctx).unwrap_or_else(|e| {
            panic!(
                "{cmd:?}: {e:?} ratings={:?}",
                self.state.ratings.keys().collect::<Vec<_>>()
            )
        });
        self.commit(now, events)
    }

    fn issue(&mut self, t: (u32, u32), service: &str, priority: Option<&str>) -> TicketId {
        let cmd = Command::Issue {
            service: ServiceId::new(service),
            priority: priority.map(str::to_string),
            remote: false,
        };
        self.run(t, cmd)[0].ticket().expect("ticket").id
    }
}

fn login(staff: &str, name: &str, counter: u32) -> Command {
    Command::Login {
        counter: CounterId(counter),
        clerk: ClerkRef {
            id: StaffId(staff.into()),
            name: name.into(),
            photo: None,
        },
    }
}

/// The script (see the module doc of the figures below).
fn scripted_day() -> Day {
    let cfg = config::parse(config::DEFAULT_TOML, "default.toml").expect("demo config");
    let day0 = at(7, 0).date_naive();
    let mut d = Day {
        state: State::new(&cfg.spec, day0),
        spec: cfg.spec,
        log: Vec::new(),
    };
    let first = start_of_day(&d.state, day0);
    d.commit(at(7, 0), vec![first]);
    d.run((7, 55), login("nv01", "An", 1));
    d.run((7, 55), login("nv02", "Bình", 2));
    let c1 = CounterId(1);
    let c2 = CounterId(2);
    let t1 = d.issue((8, 0), "hotich", None);
    d.issue((8, 2), "hotich", None); // T2
    d.run((8, 10), Command::Next { counter: c1 }); // T1: wait 600 s (target 900: on time)
    d.issue((8, 11), "chungthuc", Some("elderly")); // T3
    d.run((8, 20), Command::Next { counter: c1 }); // T1 done (600 s); T3 first: wait 540 s (on time)
    d.run((8, 25), Command::Finish { counter: c1 }); // T3 done (300 s)
    d.run((8, 30), Command::Next { counter: c2 }); // T2: wait 1680 s (late)
    d.run((8, 31), Command::NoShow { counter: c2 });
    let t4 = d.issue((8, 40), "hotich", None);
    d.run((8, 41), Command::Cancel { ticket: t4 });
    d.issue((9, 0), "datdai", None); // T5, expires at day end
    let rate = |ticket, counter, score, source| Command::Rate {
        ticket,
        counter,
        score,
        comment: Some("Góp ý".into()),
        source,
        phone: None,
    };
    d.run((9, 5), rate(None, Some(c1), 2, RatingSource::Counter)); // T3 at the tablet
    d.run((9, 6), rate(Some(t1), None, 4, RatingSource::Phone));
    let expired = end_of_day(&d.state, at(17, 0));
    d.commit(at(17, 0), expired);
    d
}

fn fig(v: &Value, k: &str) -> Value {
    v[k].clone()
}

#[test]
fn scripted_day_figures_match_hand_computed_values() {
    let d = scripted_day();
    let doc = DayStats::from_events(&d.spec, &d.log).to_json(&d.spec, &Default::default());
    let t = &doc["totals"];
    let counts = [
        "issued",
        "called",
        "served",
        "no_show",
        "cancelled",
        "transferred",
        "expired",
        "waiting",
    ];
    let got: Vec<Value> = counts.iter().map(|k| fig(t, k)).collect();
    assert_eq!(
        got,
        vec![
            json!(5),
            json!(3),
            json!(2),
            json!(1),
            json!(1),
            json!(0),
            json!(1),
            json!(0)
        ]
    );
    assert_eq!(
        t["wait_s"],
        json!({"avg": 940, "p50": 600, "p90": 1680, "max": 1680})
    );
    assert_eq!(
        t["service_s"],
        json!({"avg": 450, "p50": 300, "p90": 600, "max": 600})
    );
    assert_eq!(t["on_time_pct"], json!(66.7));
    assert_eq!(t["ratings"], json!({"1": 0, "2": 1, "3": 0, "4": 1}));
    // T3 rated 2 on the tablet, T1 rated 4 from the phone: apart and together.
    assert_eq!(
        t["ratings_counter"],
        json!({"1": 0, "2": 1, "3": 0, "4": 0})
    );
    assert_eq!(t["ratings_phone"], json!({"1": 0, "2": 0, "3": 0, "4": 1}));
    assert_eq!(t["satisfaction_pct"], json!(50.0));

    let by_id = |key: &str, id: Value| -> Value {
        doc[key]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["id"] == id || x["hour"] == id))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let hotich = by_id("services", json!("hotich"));
    assert_eq!(
        (
            hotich["issued"].clone(),
            hotich["called"].clone(),
            hotich["served"].clone()
        ),
        (json!(3), json!(2), json!(1))
    );
    assert_eq!(
        (hotich["no_show"].clone(), hotich["cancelled"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        hotich["wait_s"],
        json!({"avg": 1140, "p50": 600, "p90": 1680, "max": 1680})
    );
    assert_eq!(hotich["on_time_pct"], json!(50.0));
    assert_eq!(hotich["ratings"], json!({"1": 0, "2": 0, "3": 0, "4": 1}));
    let chungthuc = by_id("services", json!("chungthuc"));
    assert_eq!(chungthuc["on_time_pct"], json!(100.0));
    assert_eq!(chungthuc["satisfaction_pct"], json!(0.0));
    let datdai = by_id("services", json!("datdai"));
    assert_eq!(
        (
            datdai["issued"].clone(),
            datdai["expired"].clone(),
            datdai["wait_s"].clone()
        ),
        (json!(1), json!(1), Value::Null)
    );

    let c1 = by_id("counters", json!(1));
    assert_eq!(
        (c1["called"].clone(), c1["served"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(
        c1["service_s"],
        json!({"avg": 450, "p50": 300, "p90": 600, "max": 600})
    );
    assert_eq!(c1["satisfaction_pct"], json!(50.0));
    let nv02 = by_id("clerks", json!("nv02"));
    assert_eq!(
        (
            nv02["called"].clone(),
            nv02["no_show"].clone(),
            nv02["served"].clone()
        ),
        (json!(1), json!(1), json!(0))
    );

    let h8 = by_id("hours", json!(8));
    assert_eq!(
        (
            h8["issued"].clone(),
            h8["called"].clone(),
            h8["served"].clone(),
            h8["cancelled"].clone()
        ),
        (json!(4), json!(3), json!(2), json!(1))
    );
    let h9 = by_id("hours", json!(9));
    assert_eq!(
        (h9["issued"].clone(), h9["ratings"]["4"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(by_id("hours", json!(17))["expired"], json!(1));

    // The CSV holds the same figures.
    let csv = to_csv(&serde_json::from_value(doc.clone()).expect("a stats document"));
    let total_row = csv.lines().nth(1).expect("totals row");
    assert_eq!(
        total_row,
        "Tổng,2026-11-20,,5,3,2,1,1,0,1,0,0:15:40,0:10:00,0:28:00,0:28:00,0:07:30,66.7,1,0,1,0,50.0,1,1"
    );
    assert!(csv.starts_with("\u{feff}Phân loại,Mã,Tên,Số phát,Đã gọi,"));
    let hotich_row = csv
        .lines()
        .find(|l| l.starts_with("Lĩnh vực,hotich,"))
        .expect("hotich row");
    assert_eq!(
        hotich_row,
        "Lĩnh vực,hotich,,3,2,1,1,1,0,0,0,0:19:00,0:10:00,0:28:00,0:28:00,0:10:00,50.0,1,0,0,0,100.0,0,1"
    );
}

#[test]
fn report_command_writes_csv_and_xlsx_from_the_journal() {
    let d = scripted_day();
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_dir = dir.path().join("journal");
    let (mut j, _) = Journal::open(&journal_dir, at(7, 0).date_naive()).expect("journal");
    j.append(&d.log).expect("append");
    drop(j);

    let bin = env!("CARGO_BIN_EXE_xephang");
    for format in ["csv", "xlsx"] {
        let out = dir.path().join(format!("report.{format}"));
        let status = std::process::Command::new(bin)
            .args(["report", "--day", "2026-11-20", "--format", format, "--out"])
            .arg(&out)
            .arg("--data-dir")
            .arg(dir.path())
            .status()
            .expect("run report");
        assert!(status.success(), "report --format {format} failed");
    }
    let csv = std::fs::read_to_string(dir.path().join("report.csv")).expect("csv");
    assert!(csv.contains(
        "Tổng,2026-11-20,,5,3,2,1,1,0,1,0,0:15:40,0:10:00,0:28:00,0:28:00,0:07:30,66.7,1,0,1,0,50.0,1,1"
    ));
    // Names beside ids (the report command reads the config's names).
    assert!(
        csv.contains("Lĩnh vực,hotich,Hộ tịch,3,"),
        "{}",
        csv.lines().nth(2).unwrap_or_default()
    );
    assert!(csv.contains("Cán bộ,nv01,Nguyễn Văn An,"));

    let mut book: Xlsx<_> = open_workbook(dir.path().join("report.xlsx")).expect("xlsx");
    let summary = book.worksheet_range("Tổng hợp").expect("summary sheet");
    let value = |label_prefix: &str| -> Data {
        summary
            .rows()
            .find(|r| matches!(&r[0], Data::String(s) if s.starts_with(label_prefix)))
            .map(|r| r[1].clone())
            .unwrap_or(Data::Empty)
    };
    assert_eq!(value("Số phát"), Data::Float(5.0));
    assert_eq!(value("Đã phục vụ"), Data::Float(2.0));
    assert_eq!(secs(&value("Chờ TB")), 940.0, "a duration shown as m:ss");
    assert_eq!(value("Đúng hạn"), Data::Float(66.7));
    assert_eq!(value("Hài lòng %"), Data::Float(50.0));
    assert_eq!(value("Đánh giá tại quầy"), Data::Float(1.0));
    assert_eq!(value("Đánh giá qua điện thoại"), Data::Float(1.0));
    let services = book.worksheet_range("Lĩnh vực").expect("services sheet");
    let header: Vec<String> = services
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "Mã / ID");
    assert_eq!(header[1], "Tên / Name");
    let hotich = services
        .rows()
        .find(|r| r[0] == Data::String("hotich".into()))
        .expect("hotich row");
    assert_eq!(hotich[1], Data::String("Hộ tịch".into()));
    assert_eq!(hotich[2], Data::Float(3.0));
    assert_eq!(secs(&hotich[10]), 1140.0);
    // The definitions are written under the table.
    let defs: Vec<String> = services
        .rows()
        .skip_while(|r| r[0] != Data::String("Định nghĩa / Definitions".into()))
        .map(|r| r[0].to_string())
        .collect();
    assert!(defs.len() > 5, "{defs:?}");
    assert!(defs.iter().any(|d| d.starts_with("Đã gọi: số lượt gọi")));
    for sheet in ["Quầy", "Cán bộ", "Theo giờ"] {
        assert!(book.worksheet_range(sheet).is_ok(), "sheet {sheet}");
    }
}

/// Seconds of a duration cell (a fraction of a day, formatted as minutes:seconds).
fn secs(d: &Data) -> f64 {
    let days = match d {
        Data::Float(f) => *f,
        Data::DateTime(e) => e.as_f64(),
        other => panic!("not a duration: {other:?}"),
    };
    (days * 86_400.0).round()
}

/// Issue 14 item 12: a transferred ticket counts a call at each counter that calls it, so no
/// counter shows more served than called; an hour's "waiting" is the queue at its end.
#[test]
fn transferred_ticket_and_hourly_waiting_read_right() {
    let cfg = config::parse(config::DEFAULT_TOML, "default.toml").expect("demo config");
    let day0 = at(7, 0).date_naive();
    let mut d = Day {
        state: State::new(&cfg.spec, day0),
        spec: cfg.spec,
        log: Vec::new(),
    };
    let first = start_of_day(&d.state, day0);
    d.commit(at(7, 0), vec![first]);
    d.run((7, 55), login("nv01", "An", 1));
    d.run((7, 55), login("nv03", "Cường", 3));
    let (c1, c3) = (CounterId(1), CounterId(3));
    d.issue((8, 0), "hotich", None);
    for m in 1..=4 {
        d.issue((8, m), "datdai", None);
    }
    d.run((8, 10), Command::Next { counter: c1 }); // the hotich ticket, at counter 1
    d.run(
        (8, 12),
        Command::Transfer {
            counter: c1,
            service: ServiceId::new("datdai"),
        },
    );
    // Counter 3 calls the four datdai tickets, then the transferred one (queued by its issue
    // time, it is first).
    d.run((8, 20), Command::Next { counter: c3 }); // the transferred ticket
    d.run((8, 30), Command::Finish { counter: c3 });
    d.run((9, 5), Command::Next { counter: c3 });
    let doc = DayStats::from_events(&d.spec, &d.log).to_json(&d.spec, &Default::default());
    let find = |key: &str, k: &str, id: Value| -> Value {
        doc[key]
            .as_array()
            .and_then(|a| a.iter().find(|x| x[k] == id))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let q1 = find("counters", "id", json!(1));
    let q3 = find("counters", "id", json!(3));
    assert_eq!(
        (
            q1["called"].clone(),
            q1["served"].clone(),
            q1["transferred"].clone()
        ),
        (json!(1), json!(0), json!(1))
    );
    assert_eq!(
        (q3["called"].clone(), q3["served"].clone()),
        (json!(2), json!(1)),
        "the transferred ticket's second call counts at counter 3"
    );
    for c in doc["counters"].as_array().expect("counters") {
        assert!(c["served"].as_u64() <= c["called"].as_u64(), "{c}");
    }
    // At 08:59 four datdai tickets wait (the transferred one was called); at 09:59, three.
    assert_eq!(find("hours", "hour", json!(8))["waiting"], json!(4));
    assert_eq!(find("hours", "hour", json!(9))["waiting"], json!(3));
    // The citizen's wait is sampled once, at the first call: 600 s (the transferred ticket)
    // and 3840 s (08:01 → 09:05); the second call of the transferred ticket adds none.
    assert_eq!(
        doc["totals"]["wait_s"],
        json!({"avg": 2220, "p50": 600, "p90": 3840, "max": 3840})
    );
}
