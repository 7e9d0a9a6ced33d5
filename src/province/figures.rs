//! The province's figures: each centre's day exactly as that lobby's own `/api/v1/stats`
//! computes it (the same events through the same [`crate::stats::DayStats`]: today's from
//! the live read model, a past day's replayed from PostgreSQL), the province totals merged
//! from the centres' samples (never an average of averages), and the Excel report with one
//! row per centre and day.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use deadpool_postgres::Pool;
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;

use super::centres::Live;
use super::db::{self, DbError};
use crate::read::ReadModel;
use crate::report::COLUMNS;
use crate::stats::{Acc, DayStats, Figures, StatsDoc};

/// One centre's figures of one day.
pub struct CentreDay {
    pub stats: DayStats,
    /// The stats document of API.md (what the lobby's `/api/v1/stats?day=` answers).
    pub doc: StatsDoc,
}

/// The figures of `day` for a centre; None when the hub holds no event of that day.
pub async fn centre_day(
    pool: &Pool,
    live: &Live,
    day: NaiveDate,
) -> Result<Option<CentreDay>, DbError> {
    let model = live.read.current();
    if model.day() == day {
        return Ok(Some(today(&model, live)));
    }
    let events = db::day(pool, &live.id, &live.spec, day).await?;
    if events.is_empty() {
        return Ok(None);
    }
    let replayed = model.rebuilt(day, &events, live.now());
    let stats = replayed.stats().clone();
    let doc = stats.doc(&live.spec, &BTreeMap::new());
    Ok(Some(CentreDay { stats, doc }))
}

/// Today's figures from the live model, with the longest current wait per service (as the
/// lobby's own handler computes them).
pub fn today(model: &Arc<ReadModel>, live: &Live) -> CentreDay {
    let now = live.now();
    let mut longest = BTreeMap::new();
    for t in model.snapshot().waiting() {
        let wait = (now - t.issued_at).num_seconds().max(0) as u32;
        let e = longest.entry(t.service.clone()).or_insert(0);
        *e = (*e).max(wait);
    }
    let stats = model.stats().clone();
    let doc = stats.doc(&live.spec, &longest);
    CentreDay { stats, doc }
}

/// Adds `b`'s counts and samples to `a`.
fn merge(a: &mut Acc, b: &Acc) {
    a.issued += b.issued;
    a.called += b.called;
    a.served += b.served;
    a.no_show += b.no_show;
    a.cancelled += b.cancelled;
    a.transferred += b.transferred;
    a.expired += b.expired;
    a.on_time += b.on_time;
    a.waits.extend_from_slice(&b.waits);
    a.service_times.extend_from_slice(&b.service_times);
    for i in 0..4 {
        a.ratings[i] += b.ratings[i];
        a.ratings_counter[i] += b.ratings_counter[i];
        a.ratings_phone[i] += b.ratings_phone[i];
    }
}

/// The province's figures of a day: the totals merged from the centres' samples, then each
/// centre's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvinceDoc {
    pub day: NaiveDate,
    pub totals: Figures,
    pub centres: Vec<CentreFigures>,
}

/// A centre's totals of the day, with its id and name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CentreFigures {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The [`ProvinceDoc`] of `day` over `centres`.
pub async fn province_day(
    pool: &Pool,
    centres: &[Arc<Live>],
    day: NaiveDate,
) -> Result<ProvinceDoc, DbError> {
    let mut total = Acc::default();
    let (mut waiting, mut longest) = (0u32, None::<u32>);
    let mut rows = Vec::new();
    for live in centres {
        let Some(cd) = centre_day(pool, live, day).await? else {
            continue;
        };
        merge(&mut total, &cd.stats.totals);
        let t = cd.doc.totals;
        waiting += t.waiting;
        if let Some(l) = t.longest_wait_s {
            longest = Some(longest.map_or(l, |m| m.max(l)));
        }
        rows.push(CentreFigures {
            id: live.id.to_string(),
            name: live.spec.name.clone(),
            figures: t,
        });
    }
    let mut totals = Figures::of(&total);
    totals.waiting = waiting;
    totals.longest_wait_s = longest;
    Ok(ProvinceDoc {
        day,
        totals,
        centres: rows,
    })
}

/// The report of `from..=to`: one row per centre and day, then a province total per day.
pub async fn report_xlsx(
    pool: &Pool,
    centres: &[Arc<Live>],
    province: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let sheet = book.add_worksheet();
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    sheet.set_name("Theo trung tâm").map_err(e)?;
    sheet
        .write_string_with_format(0, 0, province, &title)
        .map_err(e)?;
    sheet
        .write_string(1, 0, format!("Báo cáo / Report: {from} → {to}"))
        .map_err(e)?;
    let head = ["Ngày / Day", "Mã / Id", "Trung tâm / Centre"];
    for (c, h) in head.iter().enumerate() {
        sheet
            .write_string_with_format(3, c as u16, *h, &bold)
            .map_err(e)?;
    }
    for (c, (h, _, _)) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(3, 3 + c as u16, *h, &bold)
            .map_err(e)?;
    }
    let mut row = 4u32;
    let mut day = from;
    while day <= to {
        let doc = province_day(pool, centres, day)
            .await
            .map_err(|x| x.to_string())?;
        let mut lines: Vec<(&str, &str, &Figures)> = doc
            .centres
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), &c.figures))
            .collect();
        let any = !lines.is_empty();
        lines.push(("*", "Toàn tỉnh / Province", &doc.totals));
        if any {
            for (id, name, figs) in lines {
                sheet.write_string(row, 0, day.to_string()).map_err(e)?;
                sheet.write_string(row, 1, id).map_err(e)?;
                sheet.write_string(row, 2, name).map_err(e)?;
                for (c, (_, value, _)) in COLUMNS.iter().enumerate() {
                    if let Some(n) = value(figs) {
                        sheet.write_number(row, 3 + c as u16, n).map_err(e)?;
                    }
                }
                row += 1;
            }
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    sheet.set_column_width(2, 40).map_err(e)?;
    book.save_to_buffer().map_err(e)
}
