//! A provincial day: each centre's day made by the real domain (issue → call → finish at
//! the demo centre's counters), encoded beforehand in the uplink's wire format (2,000 events
//! per push, as the uplink batches), and pushed with one sequential pusher per centre, all
//! centres at once — the hub's cost is measured, not the generator's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, NaiveDate, TimeZone};
use xephang::domain::event::ClerkRef;
use xephang::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use xephang::domain::spec::CentreSpec;
use xephang::domain::{decide, Command as Cmd, Ctx, Envelope, State};
use xephang::uplink::wire::{Push, MAX_EVENTS};

/// Tries of one push before the bench gives up.
pub const MAX_TRIES: usize = 50;

/// One lobby's day through the real domain.
pub fn day_of(spec: &CentreSpec, tickets: usize, seed: u64) -> Vec<Envelope> {
    let day = NaiveDate::from_ymd_opt(2031, 1, 6).expect("day");
    let tz = FixedOffset::east_opt(7 * 3600).expect("tz");
    let mut t = tz
        .with_ymd_and_hms(2031, 1, 6, 7, 30, 0)
        .single()
        .expect("time");
    let mut state = State::new(spec, day);
    let mut out = vec![state.commit(spec, xephang::domain::decide::start_of_day(&state, day), t)];
    let announce = |_: &str, _: CounterId| Vec::new();
    let run =
        |state: &mut State, cmd: Cmd, t: chrono::DateTime<FixedOffset>, out: &mut Vec<Envelope>| {
            let ctx = Ctx {
                now: t,
                new_id: TicketId(ulid::Ulid::from_parts(seed, out.len() as u128)),
                new_code: BookingCode("ABCDEF".into()),
                announce: &announce,
            };
            if let Ok(events) = decide(spec, state, &cmd, &ctx) {
                for e in events {
                    out.push(state.commit(spec, e, t));
                }
            }
        };
    for c in 1..=3u32 {
        let clerk = ClerkRef {
            id: StaffId(format!("nv{c:02}")),
            name: format!("Cán bộ {c}"),
            photo: None,
        };
        run(
            &mut state,
            Cmd::Login {
                counter: CounterId(c),
                clerk,
            },
            t,
            &mut out,
        );
    }
    let services = ["hotich", "chungthuc", "hotich"];
    for i in 0..tickets {
        t += chrono::Duration::seconds(3);
        let service = ServiceId::new(services[i % services.len()]);
        run(
            &mut state,
            Cmd::Issue {
                service,
                priority: None,
                remote: false,
            },
            t,
            &mut out,
        );
        run(
            &mut state,
            Cmd::Next {
                counter: CounterId(1 + (i % 2) as u32),
            },
            t,
            &mut out,
        );
    }
    out
}

/// Every centre's pushes, encoded.
pub struct Generated {
    pub bodies: Vec<Vec<Vec<u8>>>,
    pub events: usize,
}

/// The days of `centres` centres (`c000`…) of `tickets` tickets each, as request bodies.
pub fn push_bodies(centres: usize, tickets: usize) -> Generated {
    let config =
        xephang::config::parse(xephang::config::DEFAULT_TOML, xephang::config::DEFAULT_NAME)
            .expect("the embedded demo parses");
    let spec = config.spec.clone();
    let info = config.centre_info();
    let identity = "0123456789abcdef0123456789abcdef".to_string();
    let mut events = 0;
    let bodies = (0..centres)
        .map(|c| {
            let day = day_of(&spec, tickets, c as u64 + 1);
            events += day.len();
            day.chunks(MAX_EVENTS)
                .enumerate()
                .map(|(i, chunk)| {
                    let push = Push {
                        centre: format!("c{c:03}"),
                        identity: identity.clone(),
                        lobby_seq: day.len() as u64,
                        spec: (i == 0).then(|| spec.clone()),
                        info: (i == 0).then(|| info.clone()),
                        events: chunk.to_vec(),
                    };
                    serde_json::to_vec(&push).expect("a push encodes")
                })
                .collect()
        })
        .collect();
    Generated { bodies, events }
}

/// Pushes every centre's bodies to `hub` (one sequential pusher per centre, all at once),
/// retrying like the uplink does what the hub could not take (a 503 when its database pool is
/// exhausted, a connection it closed) at most [`MAX_TRIES`] times per push; the time it took
/// and the number of retries.
pub async fn push_all(hub: &str, bodies: Vec<Vec<Vec<u8>>>) -> Result<(Duration, usize), String> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;
    let url = Arc::new(format!("{hub}/api/v1/uplink"));
    let retries = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (c, pushes) in bodies.into_iter().enumerate() {
        let http = http.clone();
        let url = url.clone();
        let retries = retries.clone();
        tasks.push(tokio::spawn(async move {
            for body in pushes {
                let mut tries = 0;
                loop {
                    let r = http
                        .post(url.as_str())
                        .bearer_auth(super::centre_token(c))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    let why = match r {
                        Ok(r) if r.status().is_success() => break,
                        Ok(r) if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                            format!("503 {}", r.text().await.unwrap_or_default())
                        }
                        Ok(r) => {
                            return Err(format!(
                                "push refused: {} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            ))
                        }
                        Err(e) => e.to_string(),
                    };
                    tries += 1;
                    if tries >= MAX_TRIES {
                        return Err(format!("push failed {MAX_TRIES} times: {why}"));
                    }
                    retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100 * tries.min(10) as u64)).await;
                }
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok((t.elapsed(), retries.load(Ordering::Relaxed)))
}
