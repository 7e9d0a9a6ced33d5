//! Issue 8 against the real daemon: remote tickets and their caps (per client, per service),
//! the post-visit survey (recorded once, attributed to the clerk, counted apart and together
//! in stats, listed in the call-back CSV), and personal data (never in public or clerk views,
//! visible to supervisors, purged after `personal_data_days`).
//!
//! Time: appointment slots lie in the future and purges need days to pass, so the daemon runs
//! on a shifted clock (`XEPHANG_TEST_CLOCK_OFFSET_S`) set to a fixed day, and is restarted
//! with a later offset to move time on.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// The fixed day the clock is set to (a Monday; the slots below cover every day anyway).
const DAY: &str = "2031-05-05";

/// `hen` takes appointments (and walk-ins), `tuxa` gives tickets to phones (3 a day),
/// `hotich` neither. Counter 1 serves hen and hotich, counter 2 tuxa.
fn centre(centre_keys: &str) -> String {
    let services = [
        service_toml("hen", "Tiếp nhận theo lịch hẹn", 1001, 1999, ALL_DAY_SLOTS),
        service_toml(
            "tuxa",
            "Trả kết quả",
            2001,
            2999,
            "remote = true\nremote_cap = 3",
        ),
        service_toml("hotich", "Hộ tịch", 3001, 3999, ""),
    ]
    .concat();
    centre_toml(&services, &[(1, &["hen", "hotich"]), (2, &["tuxa"])]).replacen(
        "timezone = \"Asia/Ho_Chi_Minh\"\n",
        &format!("timezone = \"Asia/Ho_Chi_Minh\"\n{centre_keys}"),
        1,
    )
}

fn at(day: &str, hm: &str) -> String {
    format!("{day}T{hm}:00+07:00")
}

async fn remote(api: &Api, service: &str, cookie: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    api.request(
        reqwest::Method::POST,
        "/api/v1/remote-tickets",
        None,
        Body::Json(json!({ "service": service })),
        &headers,
    )
    .await
}

/// A new client: the `xephang_client` cookie the daemon sets on the allowance route.
async fn new_client(api: &Api) -> String {
    let r = api
        .http
        .get(format!("{}/api/v1/remote-tickets", api.base))
        .send()
        .await
        .expect("GET remote-tickets");
    assert_eq!(r.status(), 200);
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a Set-Cookie for a new client")
        .to_string();
    assert!(set.contains("HttpOnly"), "{set}");
    set.split(';').next().expect("cookie pair").to_string()
}

/// What a client (its cookie) may still take: `GET /api/v1/remote-tickets`.
async fn allowance(api: &Api, cookie: &str) -> Value {
    let (get, none) = (reqwest::Method::GET, Body::None);
    let headers = [("cookie", cookie)];
    let r = api
        .request(get, "/api/v1/remote-tickets", None, none, &headers)
        .await;
    r.expect(200).clone()
}

async fn csv(api: &Api, path: &str) -> Vec<Vec<String>> {
    let r = api.get(path, Some(SUPERVISOR)).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(split_csv)
        .collect()
}

/// One CSV line into cells (quotes as written by the daemon).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_tickets_are_capped_per_client_and_per_service_and_called_in_turn() {
    let mut d = Daemon::start_with(&centre(""));
    let api = d.api();

    // A service without `remote` gives no ticket to phones; that costs the phone nothing.
    remote(&api, "hotich", None)
        .await
        .expect_error(409, "service_closed");

    // One phone (no cookie: known by its address): two tickets, then 429.
    let a1 = remote(&api, "tuxa", None).await.expect(201).clone();
    assert_ticket_shape(&a1);
    assert_eq!(a1["remote"], true, "{a1}");
    assert_eq!(a1["status"], "waiting");
    remote(&api, "tuxa", None).await.expect(201);
    let refused = remote(&api, "tuxa", None).await;
    refused.expect_error(429, "rate_limited");
    assert!(refused.message().contains("ki-ốt"), "{}", refused.text);

    // A second phone (its own cookie) has its own allowance…
    let b = new_client(&api).await;
    let left =
        json!({"per_client": 2, "used": 0, "left": 2, "services": [{"id": "tuxa", "left": 1}]});
    assert_eq!(allowance(&api, &b).await, left);
    remote(&api, "tuxa", Some(&b)).await.expect(201);
    // …but the service's daily cap (3) is reached: refused for everyone.
    let capped = remote(&api, "tuxa", Some(&b)).await;
    capped.expect_error(429, "rate_limited");
    // (the refused ticket is not counted)
    let left =
        json!({"per_client": 2, "used": 1, "left": 1, "services": [{"id": "tuxa", "left": 0}]});
    assert_eq!(allowance(&api, &b).await, left);
    // A made-up cookie is no new client: it counts with the address's cookieless tickets.
    remote(
        &api,
        "tuxa",
        Some("xephang_client=0123456789abcdef.0000000000000000"),
    )
    .await
    .expect_error(429, "rate_limited");
    // The kiosk is not capped.
    let kiosk = api.issue("tuxa").await;

    // The first phone's ticket is called in its turn, and its page follows it.
    let clerk = api.clerk(2).await;
    let called = api.next(2, &clerk).await.expect(200).clone();
    assert_eq!(id_of(&called["ticket"]), id_of(&a1), "{called}");
    let page = api.ticket(&id_of(&a1)).await.expect(200).clone();
    assert_eq!(
        (page["status"].clone(), page["counter"].clone()),
        (json!("called"), json!(2))
    );
    let mut rest = Vec::new();
    for _ in 0..3 {
        let n = api.next(2, &clerk).await.expect(200).clone();
        rest.push(id_of(&n["ticket"]));
    }
    assert_eq!(
        rest[2],
        id_of(&kiosk),
        "issue order: three phone tickets, then the kiosk's"
    );

    // The service's cap is in the journal: a restart does not reset it.
    d.restart();
    remote(&api, "tuxa", Some(&b))
        .await
        .expect_error(429, "rate_limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_phone_survey_is_recorded_once_for_the_clerk_in_stats_and_the_callback_list() {
    let d = Daemon::start_with(&centre(""));
    let api = d.api();
    let clerk = api.clerk(1).await; // nv01, Nguyễn Văn An
    let t1 = api.issue("hotich").await;
    let t2 = api.issue("hotich").await;
    let t3 = api.issue("hotich").await;
    for _ in 0..3 {
        api.next(1, &clerk).await.expect(200);
    }
    api.counter_op(1, "finish", &clerk).await.expect(200);

    // t1 from the phone, with a comment and a call-back number.
    let r = api
        .post(
            "/api/v1/ratings",
            None,
            json!({ "ticket": id_of(&t1), "score": 3, "comment": "Cán bộ nhiệt tình, nhanh", "phone": "+84 912 345 678" }),
        )
        .await;
    let rating = r.expect(201).clone();
    assert_eq!(rating["source"], "phone", "{rating}");
    assert_eq!(
        (rating["clerk"].clone(), rating["counter"].clone()),
        (json!("nv01"), json!(1))
    );
    assert_eq!(rating["phone"], "0912345678", "normalised: {rating}");
    // Once only: from the phone again, and from anywhere else.
    api.post(
        "/api/v1/ratings",
        None,
        json!({ "ticket": id_of(&t1), "score": 1 }),
    )
    .await
    .expect_error(409, "already_rated");
    assert_eq!(api.ticket(&id_of(&t1)).await.body["rated"], true);
    // t3 (the counter's last) on the tablet; the phone may not rate it after that.
    let r = api
        .post(
            "/api/v1/ratings",
            Some(&rating_token(1)),
            json!({ "score": 4 }),
        )
        .await;
    assert_eq!(r.expect(201)["source"], "counter");
    api.post(
        "/api/v1/ratings",
        None,
        json!({ "ticket": id_of(&t3), "score": 2 }),
    )
    .await
    .expect_error(409, "already_rated");
    // A phone number that is none is refused, and nothing is recorded.
    api.post(
        "/api/v1/ratings",
        None,
        json!({ "ticket": id_of(&t2), "score": 2, "phone": "=HYPERLINK(\"x\")" }),
    )
    .await
    .expect_error(400, "bad_request");
    assert_eq!(api.ticket(&id_of(&t2)).await.body["rated"], false);

    // Stats: phone and counter ratings apart and together, for the clerk too.
    let stats = api
        .get("/api/v1/stats", Some(SUPERVISOR))
        .await
        .expect(200)
        .clone();
    let t = &stats["totals"];
    assert_eq!(
        t["ratings"],
        json!({"1": 0, "2": 0, "3": 1, "4": 1}),
        "{stats}"
    );
    assert_eq!(t["ratings_phone"], json!({"1": 0, "2": 0, "3": 1, "4": 0}));
    assert_eq!(
        t["ratings_counter"],
        json!({"1": 0, "2": 0, "3": 0, "4": 1})
    );
    let nv01 = stats["clerks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == "nv01"))
        .expect("nv01 in stats");
    assert_eq!(nv01["ratings_phone"]["3"], 1, "{nv01}");
    assert_eq!(nv01["ratings_counter"]["4"], 1, "{nv01}");
    let daily = api.get("/api/v1/reports/daily.csv", Some(SUPERVISOR)).await;
    let total = daily.text.lines().nth(1).expect("totals row");
    assert!(
        total.ends_with(",1,1"),
        "counter and phone ratings in the CSV: {total}"
    );

    // The call-back list: every served ticket, the number left on the phone, the rating.
    let rows = csv(&api, "/api/v1/reports/callbacks.csv").await;
    assert!(rows[0][0].starts_with("ngay/day"), "{:?}", rows[0]);
    assert_eq!(rows.len(), 4, "header + three served tickets: {rows:?}");
    let row = |t: &Value| {
        rows.iter()
            .find(|r| r[1] == number_of(t))
            .cloned()
            .unwrap_or_else(|| panic!("no row for {}", number_of(t)))
    };
    let r1 = row(&t1);
    assert_eq!(r1[4], "Nguyễn Văn An (nv01)");
    assert_eq!(r1[8], "0912345678");
    assert_eq!(r1[9], "dien_thoai/phone_page");
    assert_eq!(
        (r1[10].as_str(), r1[11].as_str(), r1[12].as_str()),
        ("3", "Hài lòng", "dien_thoai/phone")
    );
    assert_eq!(r1[13], "Cán bộ nhiệt tình, nhanh");
    let r2 = row(&t2);
    assert_eq!(
        (r2[8].as_str(), r2[10].as_str()),
        ("", ""),
        "t2: no phone, no rating"
    );
    let r3 = row(&t3);
    assert_eq!(
        (r3[8].as_str(), r3[10].as_str(), r3[12].as_str()),
        ("", "4", "quay/counter")
    );

    // Supervisors only.
    api.get("/api/v1/reports/callbacks.csv", None)
        .await
        .expect_error(401, "unauthorized");
    api.get("/api/v1/reports/callbacks.csv", Some(&clerk))
        .await
        .expect_error(403, "forbidden");
    api.get("/api/v1/bookings", Some(DISPLAY))
        .await
        .expect_error(403, "forbidden");
}

/// Everything that must stay with supervisors.
struct Secrets(Vec<(&'static str, &'static str)>);

impl Secrets {
    #[track_caller]
    fn absent(&self, what: &str, text: &str) {
        for (s, why) in &self.0 {
            assert!(!text.contains(s), "{what} shows the {why} ({s}): {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_stays_with_supervisors_and_is_purged_after_its_days() {
    const NAME: &str = "Lê Thị Riêng Tư";
    const PHONE: &str = "0987654321";
    const CALLBACK: &str = "0911222333";
    const NAME_LATER: &str = "Trần Văn Sau Này";
    const PHONE_LATER: &str = "0977888999";
    let secrets = Secrets(vec![
        (NAME, "booking name"),
        (PHONE, "booking phone"),
        (CALLBACK, "call-back number"),
        (NAME_LATER, "name of a future booking"),
        (PHONE_LATER, "phone of a future booking"),
    ]);
    let later_day = add_days(DAY, 3);
    let mut d = Daemon::start_with_env(
        &centre("personal_data_days = 1\n"),
        &[(CLOCK, &clock_at(&at(DAY, "08:00")))],
    );
    let api = d.api();
    assert_eq!(api.state(None).await["day"], DAY, "the test clock is on");

    // 08:00: two bookings with names and phones, one today at 08:30, one in three days.
    let book = |start: String, name: &'static str, phone: &'static str| {
        let api = api.clone();
        async move {
            let r = api
                .post(
                    "/api/v1/bookings",
                    None,
                    json!({ "service": "hen", "start": start, "name": name, "phone": phone }),
                )
                .await;
            r.expect(201)["code"].as_str().expect("code").to_string()
        }
    };
    let code = book(at(DAY, "08:30"), NAME, PHONE).await;
    book(at(&later_day, "09:00"), NAME_LATER, PHONE_LATER).await;
    let full = json!({ "service": "hen", "start": at(DAY, "08:30"), "name": NAME, "phone": PHONE });
    let r = api.post("/api/v1/bookings", None, full).await;
    r.expect_error(409, "slot_full");
    // The refusal is logged (checked at the end): let the line out before the kill -9.
    d.wait_log("slot_full");

    // 08:35: the citizen checks in on time, is called, served, and rates from the phone,
    // leaving a call-back number. Every audience watches.
    d.set_env(CLOCK, &clock_at(&at(DAY, "08:35")));
    d.restart();
    let clerk = api.clerk(1).await;
    let public = Collector::open(&d.ws_url()).await;
    let display = Collector::open(&ws_url_with(&d.ws_url(), &[("token", DISPLAY)])).await;
    let clerk_ws = Collector::open(&ws_url_with(&d.ws_url(), &[("token", &clerk)])).await;
    let sup_ws = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    let walk_in = api.issue("hen").await;
    let t = api
        .post("/api/v1/checkins", Some(KIOSK), json!({ "code": code }))
        .await
        .expect(201)
        .clone();
    assert_eq!(t["priority"], "appointment", "{t}");
    let called = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(
        id_of(&called["ticket"]),
        id_of(&t),
        "the appointment before the walk-in"
    );
    api.counter_op(1, "finish", &clerk).await.expect(200);
    api.post(
        "/api/v1/ratings",
        None,
        json!({ "ticket": id_of(&t), "score": 4, "phone": CALLBACK }),
    )
    .await
    .expect(201);
    // A booking made now shows up live on every socket (with or without its name).
    book(at(&later_day, "10:00"), NAME_LATER, PHONE_LATER).await;
    let last = api.seq().await;
    for c in [&public, &display, &clerk_ws, &sup_ws] {
        c.wait_seq(last, Duration::from_secs(15)).await;
    }

    // Neither the public nor a clerk sees any of it: snapshots and socket traffic.
    for token in [None, Some(DISPLAY), Some(clerk.as_str())] {
        let r = api.get("/api/v1/state", token).await;
        secrets.absent(
            &format!("GET /api/v1/state as {token:?}"),
            &r.expect(200).to_string(),
        );
    }
    secrets.absent("the public ticket page", &api.ticket(&id_of(&t)).await.text);
    for (who, c) in [
        ("public", &public),
        ("display", &display),
        ("clerk", &clerk_ws),
    ] {
        let frames = c.frames();
        assert!(frames.len() > 5, "{who}: too few frames to mean anything");
        assert!(
            frames.iter().any(|f| f.event_type() == "booking_created"),
            "{who} sees bookings being made"
        );
        for f in frames {
            secrets.absent(&format!("{who} socket frame {:?}", f.seq()), &f.raw);
        }
    }
    let _ = walk_in;
    // Supervisors do: their socket, the bookings list, the call-back list.
    let sup_all: String = sup_ws.frames().iter().map(|f| f.raw.clone()).collect();
    assert!(
        sup_all.contains(CALLBACK) && sup_all.contains(NAME_LATER),
        "supervisor socket"
    );
    let list = api
        .get("/api/v1/bookings", Some(SUPERVISOR))
        .await
        .expect(200)
        .clone();
    let mine = &list["bookings"][0];
    assert_eq!(
        (
            mine["code"].as_str(),
            mine["name"].as_str(),
            mine["phone"].as_str()
        ),
        (Some(code.as_str()), Some(NAME), Some(PHONE)),
        "{list}"
    );
    assert_eq!(
        mine["ticket"]["number"], t["number"],
        "check-in shown: {list}"
    );
    assert_eq!(mine["ticket"]["status"], "done");
    let rows = csv(&api, "/api/v1/reports/callbacks.csv").await;
    let row = rows
        .iter()
        .find(|r| r[1] == number_of(&t))
        .expect("served booking row");
    assert_eq!(
        (row[7].as_str(), row[8].as_str()),
        (NAME, CALLBACK),
        "{row:?}"
    );
    let later = api
        .get(
            &format!("/api/v1/bookings?day={later_day}"),
            Some(SUPERVISOR),
        )
        .await
        .expect(200)
        .to_string();
    assert!(
        later.contains(NAME_LATER) && later.contains(PHONE_LATER),
        "{later}"
    );

    // Two days later, with personal data kept one day: the daemon purges it by an event.
    d.set_env(CLOCK, &clock_at(&at(&add_days(DAY, 2), "08:00")));
    d.restart();
    let sup_ws = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    let public = Collector::open(&d.ws_url()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let purge = loop {
        let found = std::fs::read_dir(d.data_dir().join("journal"))
            .expect("journal dir")
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .find(|text| text.contains("personal_data_purged") && text.contains(&add_days(DAY, 1)));
        if let Some(text) = found {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no personal_data_purged in the journal"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        purge.contains(&format!("\"before\":\"{}\"", add_days(DAY, 1))),
        "{purge}"
    );

    // The supervisor views of that day no longer hold the names and numbers…
    let list = api
        .get(&format!("/api/v1/bookings?day={DAY}"), Some(SUPERVISOR))
        .await
        .expect(200)
        .clone();
    let old = &list["bookings"][0];
    assert_eq!(old["code"].as_str(), Some(code.as_str()), "{list}");
    assert_eq!(
        (old["name"].clone(), old["phone"].clone()),
        (Value::Null, Value::Null),
        "{list}"
    );
    let text = api
        .get(
            &format!("/api/v1/reports/callbacks.csv?day={DAY}"),
            Some(SUPERVISOR),
        )
        .await;
    assert!(
        text.text.contains(&number_of(&t)),
        "the visit is still listed: {}",
        text.text
    );
    for s in [NAME, PHONE, CALLBACK] {
        assert!(
            !text.text.contains(s),
            "purged {s} still in the call-back list: {}",
            text.text
        );
    }
    assert!(!list.to_string().contains(NAME) && !list.to_string().contains(PHONE));
    // …while a visit still to come keeps its details; the public still sees none.
    let later = api
        .get(
            &format!("/api/v1/bookings?day={later_day}"),
            Some(SUPERVISOR),
        )
        .await
        .expect(200)
        .to_string();
    assert!(
        later.contains(NAME_LATER),
        "a future visit is not purged: {later}"
    );
    let last = api.seq().await;
    public.wait_seq(last, Duration::from_secs(15)).await;
    sup_ws.wait_seq(last, Duration::from_secs(15)).await;
    for f in public.frames() {
        secrets.absent("public socket after the restart", &f.raw);
    }
    secrets.absent(
        "public snapshot after the restart",
        &api.state(None).await.to_string(),
    );
    let sup_all: String = sup_ws.frames().iter().map(|f| f.raw.clone()).collect();
    for s in [NAME, PHONE, CALLBACK] {
        assert!(
            !sup_all.contains(s),
            "purged {s} on the supervisor's socket"
        );
    }
    // Nor did any of it reach the daemon's log (commands done and refused).
    let log = d.log_tail();
    assert!(
        log.contains("slot_full"),
        "the refused booking is in the log: {log}"
    );
    secrets.absent("the daemon's log", &log);
}
