//! Figures of a day, computed from the event stream alone: the live dashboard (fed event by
//! event), `GET /api/v1/stats` for past days (fed by replaying the day's journal) and the CSV
//! report therefore always agree.
//!
//! Definitions (docs/ARCHITECTURE.md, README "Report figures", and under every table of the
//! XLSX report — [`DEFINITIONS`]): wait = first call − issue; service time = finish − (last)
//! call; on time = wait ≤ the service's target; satisfaction = share of scores 3 and 4;
//! called = calls made (a transferred or requeued ticket called again counts again, where it
//! is called), so a counter never shows more served than called; an hour's waiting = tickets
//! in the queue at the end of that hour (or now, for the current hour).

use std::collections::BTreeMap;

use chrono::Timelike;
use serde_json::{json, Value};

use crate::csv::value_cell as cell;
use crate::domain::event::{Event, RatingSource};
use crate::domain::ids::{CounterId, ServiceId, StaffId};
use crate::domain::spec::CentreSpec;
use crate::domain::Envelope;

mod doc;
pub use doc::{
    ByScore, ClerkFigures, CounterFigures, Figures, HourFigures, ServiceFigures, StatsDoc, Summary,
};

/// Counts and samples of one group (the whole day, a service, a counter, a clerk, an hour).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Acc {
    pub issued: u32,
    pub called: u32,
    pub served: u32,
    pub no_show: u32,
    pub cancelled: u32,
    pub transferred: u32,
    pub expired: u32,
    pub waiting: u32,
    pub waits: Vec<u32>,
    pub on_time: u32,
    pub service_times: Vec<u32>,
    /// Every rating by score (index 0 = score 1): the counter tablet's and the phone's.
    pub ratings: [u32; 4],
    /// Ratings given on the counter's tablet, by score.
    pub ratings_counter: [u32; 4],
    /// Ratings given afterwards on the citizen's phone (the post-visit survey), by score.
    pub ratings_phone: [u32; 4],
    /// Longest wait of a ticket still waiting, in seconds (live figures only).
    pub longest_wait_s: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Issued,
    Called,
    Served,
    NoShow,
    Cancelled,
    Transferred,
    Expired,
}

/// A day's figures, updated one event at a time.
#[derive(Debug, Clone, Default)]
pub struct DayStats {
    pub day: Option<chrono::NaiveDate>,
    pub totals: Acc,
    pub services: BTreeMap<ServiceId, Acc>,
    pub counters: BTreeMap<CounterId, Acc>,
    pub clerks: BTreeMap<StaffId, Acc>,
    pub hours: BTreeMap<u32, Acc>,
    /// Waiting tickets by service right now (from issue/call/… events).
    waiting: BTreeMap<ServiceId, i64>,
}

/// Which groups an event counts in.
struct Groups<'a> {
    service: Option<&'a ServiceId>,
    counter: Option<CounterId>,
    clerk: Option<&'a StaffId>,
    hour: u32,
}

impl DayStats {
    /// Figures of a whole journal day.
    pub fn from_events<'a>(
        spec: &CentreSpec,
        events: impl IntoIterator<Item = &'a Envelope>,
    ) -> DayStats {
        let mut s = DayStats::default();
        for e in events {
            s.apply(spec, e);
        }
        s
    }

    /// Adds a whole day's events to figures that may already hold earlier days (reports over
    /// a range of days): `day_started` does not reset them.
    pub fn absorb_day(&mut self, spec: &CentreSpec, events: &[Envelope]) {
        for env in events {
            match &env.event {
                Event::DayStarted { day, .. } => {
                    self.day.get_or_insert(*day);
                }
                _ => self.apply(spec, env),
            }
        }
    }

    pub fn apply(&mut self, spec: &CentreSpec, env: &Envelope) {
        let hour = env.at.hour();
        let ev = &env.event;
        if let Event::DayStarted { day, .. } = ev {
            *self = DayStats {
                day: Some(*day),
                ..DayStats::default()
            };
            return;
        }
        match ev {
            Event::TicketIssued { ticket, .. } => {
                self.count(
                    Field::Issued,
                    &groups(Some(&ticket.service), None, None, hour),
                );
                *self.waiting.entry(ticket.service.clone()).or_default() += 1;
            }
            Event::TicketCalled {
                ticket, counter, ..
            } => {
                *self.waiting.entry(ticket.service.clone()).or_default() -= 1;
                let g = groups(
                    Some(&ticket.service),
                    Some(*counter),
                    ticket.clerk.as_ref(),
                    hour,
                );
                // Every call counts where it is made (a transferred ticket called at a second
                // counter is a call there too); the citizen's wait is sampled at the first.
                self.count(Field::Called, &g);
                let first = ticket.first_called_at == ticket.called_at;
                if let (true, Some(called)) = (first, ticket.called_at) {
                    let wait = (called - ticket.issued_at).num_seconds().max(0) as u32;
                    let target = spec
                        .service(&ticket.service)
                        .map_or(u32::MAX, |s| s.target_wait_s);
                    self.each(&g, |a| {
                        a.waits.push(wait);
                        if wait <= target {
                            a.on_time += 1;
                        }
                    });
                }
            }
            Event::TicketFinished { ticket, counter } => {
                let g = groups(
                    Some(&ticket.service),
                    Some(*counter),
                    ticket.clerk.as_ref(),
                    hour,
                );
                self.count(Field::Served, &g);
                if let (Some(c), Some(f)) = (ticket.called_at, ticket.finished_at) {
                    let secs = (f - c).num_seconds().max(0) as u32;
                    self.each(&g, |a| a.service_times.push(secs));
                }
            }
            Event::TicketNoShow { ticket, counter } => {
                let g = groups(
                    Some(&ticket.service),
                    Some(*counter),
                    ticket.clerk.as_ref(),
                    hour,
                );
                self.count(Field::NoShow, &g);
            }
            Event::TicketTransferred {
                ticket,
                from_service,
                counter,
            } => {
                let g = groups(Some(from_service), *counter, ticket.clerk.as_ref(), hour);
                self.count(Field::Transferred, &g);
                *self.waiting.entry(ticket.service.clone()).or_default() += 1;
            }
            Event::TicketRequeued { ticket } => {
                *self.waiting.entry(ticket.service.clone()).or_default() += 1;
            }
            Event::TicketCancelled { ticket } | Event::TicketExpired { ticket } => {
                let field = if matches!(ev, Event::TicketCancelled { .. }) {
                    Field::Cancelled
                } else {
                    Field::Expired
                };
                self.count(field, &groups(Some(&ticket.service), None, None, hour));
                // Only a ticket still in the queue leaves it: waiting tickets have no counter
                // (a call sets it; requeue and transfer clear it).
                if ticket.counter.is_none() {
                    *self.waiting.entry(ticket.service.clone()).or_default() -= 1;
                }
            }
            Event::Rating(r) => {
                let g = groups(Some(&r.service), r.counter, r.clerk.as_ref(), hour);
                let i = usize::from(r.score.clamp(1, 4) - 1);
                let phone = r.source == RatingSource::Phone;
                self.each(&g, |a| {
                    a.ratings[i] += 1;
                    if phone {
                        a.ratings_phone[i] += 1;
                    } else {
                        a.ratings_counter[i] += 1;
                    }
                });
            }
            _ => {}
        }
        // An hour's "waiting": the queue at the end of that hour (its last ticket event).
        if matches!(
            ev,
            Event::TicketIssued { .. }
                | Event::TicketCalled { .. }
                | Event::TicketTransferred { .. }
                | Event::TicketRequeued { .. }
                | Event::TicketCancelled { .. }
                | Event::TicketExpired { .. }
        ) {
            let queue: i64 = self.waiting.values().map(|w| (*w).max(0)).sum();
            self.hours.entry(hour).or_default().waiting = queue as u32;
        }
    }

    fn each(&mut self, g: &Groups, f: impl Fn(&mut Acc)) {
        f(&mut self.totals);
        if let Some(s) = g.service {
            f(self.services.entry(s.clone()).or_default());
        }
        if let Some(c) = g.counter {
            f(self.counters.entry(c).or_default());
        }
        if let Some(k) = g.clerk {
            f(self.clerks.entry(k.clone()).or_default());
        }
        f(self.hours.entry(g.hour).or_default());
    }

    fn count(&mut self, field: Field, g: &Groups) {
        self.each(g, |a| {
            let slot = match field {
                Field::Issued => &mut a.issued,
                Field::Called => &mut a.called,
                Field::Served => &mut a.served,
                Field::NoShow => &mut a.no_show,
                Field::Cancelled => &mut a.cancelled,
                Field::Transferred => &mut a.transferred,
                Field::Expired => &mut a.expired,
            };
            *slot += 1;
        });
    }

    /// The stats document of API.md.
    /// `longest` holds the longest current wait per service (today only; empty for past days).
    pub fn doc(&self, spec: &CentreSpec, longest: &BTreeMap<ServiceId, u32>) -> StatsDoc {
        let mut totals = self.totals.clone();
        totals.waiting = self.waiting.values().map(|w| (*w).max(0) as u32).sum();
        totals.longest_wait_s = longest.values().max().copied();
        let services = spec
            .services
            .iter()
            .map(|s| {
                let mut acc = self.services.get(&s.id).cloned().unwrap_or_default();
                acc.waiting = self.waiting.get(&s.id).map_or(0, |w| (*w).max(0) as u32);
                acc.longest_wait_s = longest.get(&s.id).copied();
                ServiceFigures {
                    id: s.id.clone(),
                    name: None,
                    figures: Figures::of(&acc),
                }
            })
            .collect();
        let counters = spec
            .counters
            .iter()
            .map(|c| CounterFigures {
                id: c.id,
                name: None,
                figures: Figures::of(&self.counters.get(&c.id).cloned().unwrap_or_default()),
            })
            .collect();
        let clerks = self
            .clerks
            .iter()
            .map(|(k, a)| ClerkFigures {
                id: k.clone(),
                name: None,
                figures: Figures::of(a),
            })
            .collect();
        let hours = self
            .hours
            .iter()
            .map(|(h, a)| HourFigures {
                hour: *h,
                figures: Figures::of(a),
            })
            .collect();
        StatsDoc {
            day: self.day.map(|d| d.to_string()),
            totals: Figures::of(&totals),
            services,
            counters,
            clerks,
            hours,
        }
    }

    /// [`DayStats::doc`] as a JSON value.
    pub fn to_json(&self, spec: &CentreSpec, longest: &BTreeMap<ServiceId, u32>) -> Value {
        serde_json::to_value(self.doc(spec, longest)).unwrap_or(Value::Null)
    }
}

fn groups<'a>(
    service: Option<&'a ServiceId>,
    counter: Option<CounterId>,
    clerk: Option<&'a StaffId>,
    hour: u32,
) -> Groups<'a> {
    Groups {
        service,
        counter,
        clerk,
        hour,
    }
}

/// A duration in seconds as `h:mm:ss`, which Excel reads as a duration (a bare `m:ss` such as
/// `15:40` would be read as a time of day, 15 h 40).
pub fn hms(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The daily report as CSV (UTF-8 with a BOM, so Excel opens the Vietnamese right): one row
/// per group, the same figures as the stats document, waits and service times as `h:mm:ss`.
pub fn to_csv(doc: &StatsDoc) -> String {
    let mut out = String::from("\u{feff}Phân loại,Mã,Tên,Số phát,Đã gọi,Đã phục vụ,Vắng mặt,Hủy,Chuyển,Hết hạn,Đang chờ,Chờ TB,Chờ trung vị,Chờ p90,Chờ lâu nhất,Phục vụ TB,Đúng hạn %,Rất hài lòng,Hài lòng,Bình thường,Không hài lòng,Hài lòng %,Đánh giá tại quầy,Đánh giá qua điện thoại\n");
    let mut row = |section: &str, id: &Value, name: Option<&str>, f: &Figures| {
        let n = |v: u32| v.to_string();
        let p = |v: Option<f64>| cell(&json!(v));
        let w = |k: fn(&Summary) -> u64| f.wait_s.as_ref().map_or(String::new(), |s| hms(k(s)));
        let cols = [
            section.to_string(),
            cell(id),
            name.map_or(String::new(), crate::csv::cell),
            n(f.issued),
            n(f.called),
            n(f.served),
            n(f.no_show),
            n(f.cancelled),
            n(f.transferred),
            n(f.expired),
            n(f.waiting),
            w(|s| s.avg),
            w(|s| u64::from(s.p50)),
            w(|s| u64::from(s.p90)),
            w(|s| u64::from(s.max)),
            f.service_s.as_ref().map_or(String::new(), |s| hms(s.avg)),
            p(f.on_time_pct),
            n(f.ratings.s4),
            n(f.ratings.s3),
            n(f.ratings.s2),
            n(f.ratings.s1),
            p(f.satisfaction_pct),
            n(f.ratings_counter.total()),
            n(f.ratings_phone.total()),
        ];
        out.push_str(&cols.join(","));
        out.push('\n');
    };
    row("Tổng", &json!(doc.day), None, &doc.totals);
    for g in &doc.services {
        row("Lĩnh vực", &json!(g.id), g.name.as_deref(), &g.figures);
    }
    for g in &doc.counters {
        row("Quầy", &json!(g.id), g.name.as_deref(), &g.figures);
    }
    for g in &doc.clerks {
        row("Cán bộ", &json!(g.id), g.name.as_deref(), &g.figures);
    }
    for g in &doc.hours {
        row("Giờ", &json!(g.hour), None, &g.figures);
    }
    out
}

/// What each figure means, so that a reader can check it by hand (written under every table
/// of the XLSX report and in the README), Vietnamese then English.
pub const DEFINITIONS: [(&str, &str); 12] = [
    ("Số phát: số phiếu cấp trong ngày (tại ki-ốt, điện thoại, lịch hẹn).",
     "Issued: tickets given out that day (kiosk, phone, appointments)."),
    ("Đã gọi: số lượt gọi (không tính gọi lại); phiếu được chuyển hoặc đưa lại vào hàng rồi được gọi lần nữa thì tính thêm một lượt, ở quầy gọi nó.",
     "Called: calls made (recalls excluded); a ticket transferred or put back in the queue and called again counts again, at the counter that called it."),
    ("Đã phục vụ: số phiếu bấm \"Hoàn thành\", tính ở quầy và cán bộ hoàn thành nó.",
     "Served: tickets finished, counted at the counter and clerk that finished them."),
    ("Vắng mặt / Hủy / Hết hạn: phiếu kết thúc như vậy; Chuyển: phiếu chuyển đi từ lĩnh vực (quầy) này.",
     "No-show / Cancelled / Expired: tickets that ended so; Transferred: tickets sent away from this service (counter)."),
    ("Đang chờ: số phiếu trong hàng chờ lúc lập báo cáo; ở bảng theo giờ: lúc cuối giờ đó.",
     "Waiting: tickets in the queue when the report was made; in the hourly table: at the end of that hour."),
    ("Chờ: từ lúc lấy số đến lần gọi đầu tiên (phút:giây); TB = trung bình, trung vị, p90 = 90% phiếu chờ không quá, lâu nhất.",
     "Wait: from taking the number to its first call (minutes:seconds); average, median, p90 = 90% waited no longer, longest."),
    ("Phục vụ: từ lần gọi cuối đến lúc hoàn thành (phút:giây).",
     "Service time: from the last call to the finish (minutes:seconds)."),
    ("Đúng hạn %: phần trăm phiếu được gọi lần đầu trong thời gian chờ mục tiêu của lĩnh vực.",
     "On time %: share of tickets first called within the service's target wait."),
    ("Đánh giá: số lượt theo từng mức; Hài lòng % = (Rất hài lòng + Hài lòng) / tổng lượt đánh giá.",
     "Ratings: count per level; Satisfaction % = (very satisfied + satisfied) / all ratings."),
    ("Theo giờ: mỗi sự kiện tính vào giờ nó xảy ra (lấy số, gọi, hoàn thành…).",
     "By hour: each event counts in the hour it happened (issue, call, finish…)."),
    ("Một phiếu chuyển lĩnh vực: lượt gọi đầu tính ở quầy thứ nhất, lượt gọi sau và \"Đã phục vụ\" ở quầy thứ hai.",
     "A transferred ticket: its first call counts at the first counter, its next call and \"Served\" at the second."),
    ("Mã: mã lĩnh vực / số quầy / mã cán bộ trong cấu hình; Tên: tên hiển thị.",
     "ID: the service id / counter number / staff id of the configuration; Name: the display name."),
];
