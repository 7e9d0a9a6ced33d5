//! Daily reports: the stats document of a day (or of a range of days) as CSV or as an Excel
//! workbook with Vietnamese headers, from memory or straight from the journal files — the
//! same figures the dashboard shows, because both come from the same events.

use std::path::Path;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;
use thiserror::Error;

use crate::domain::spec::CentreSpec;
use crate::journal::{self, JournalError};
use crate::stats::{DayStats, Figures, StatsDoc};

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("no journal for {0} in {1}")]
    NoJournal(NaiveDate, String),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("excel: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The stats document of the days `from..=to`, replayed from the journal in `dir`. Days with
/// no journal are skipped; a range with none at all is an error.
pub fn from_journal(
    spec: &CentreSpec,
    dir: &Path,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<StatsDoc, ReportError> {
    let mut stats = DayStats::default();
    let mut found = false;
    let mut day = from;
    while day <= to {
        if journal::day_path(dir, day).exists() {
            found = true;
            let events = journal::read_day(dir, day)?;
            stats.absorb_day(spec, &events);
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    if !found {
        return Err(ReportError::NoJournal(from, dir.display().to_string()));
    }
    let mut doc = stats.doc(spec, &Default::default());
    if from != to {
        doc.day = Some(format!("{from}..{to}"));
    }
    Ok(doc)
}

/// Puts the display names beside the ids of the stats document's services, counters and
/// clerks (`"name"`), so reports name them ("Hộ tịch", "Quầy 3", "Nguyễn Văn An").
pub fn add_names<'a>(
    doc: &mut StatsDoc,
    spec: &CentreSpec,
    staff: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let staff: std::collections::BTreeMap<&str, &str> = staff.into_iter().collect();
    for g in &mut doc.services {
        if let Some(s) = spec.service(&g.id) {
            g.name = Some(s.name.clone());
        }
    }
    for g in &mut doc.counters {
        if let Some(c) = spec.counter(g.id) {
            g.name = Some(c.name.clone());
        }
    }
    for g in &mut doc.clerks {
        if let Some(n) = staff.get(g.id.0.as_str()) {
            g.name = Some(n.to_string());
        }
    }
}

/// How a column's values are shown.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Count,
    /// Seconds, shown as minutes:seconds.
    Duration,
    Percent,
}

/// A column's value in a group's figures; None is an empty cell.
pub type Column = fn(&Figures) -> Option<f64>;

fn count(n: u32) -> Option<f64> {
    Some(f64::from(n))
}

/// Column headers (Vietnamese / English), the value of each in a group's figures, and how
/// it is shown.
pub const COLUMNS: [(&str, Column, Kind); 22] = [
    ("Số phát / Issued", |f| count(f.issued), Kind::Count),
    ("Đã gọi / Called", |f| count(f.called), Kind::Count),
    ("Đã phục vụ / Served", |f| count(f.served), Kind::Count),
    ("Vắng mặt / No-show", |f| count(f.no_show), Kind::Count),
    ("Hủy / Cancelled", |f| count(f.cancelled), Kind::Count),
    (
        "Chuyển / Transferred",
        |f| count(f.transferred),
        Kind::Count,
    ),
    ("Hết hạn / Expired", |f| count(f.expired), Kind::Count),
    ("Đang chờ / Waiting", |f| count(f.waiting), Kind::Count),
    (
        "Chờ TB (phút:giây) / Avg wait (m:ss)",
        |f| f.wait_s.map(|s| s.avg as f64),
        Kind::Duration,
    ),
    (
        "Chờ trung vị / Median wait",
        |f| f.wait_s.map(|s| f64::from(s.p50)),
        Kind::Duration,
    ),
    (
        "Chờ p90 / p90 wait",
        |f| f.wait_s.map(|s| f64::from(s.p90)),
        Kind::Duration,
    ),
    (
        "Chờ lâu nhất / Longest wait",
        |f| f.wait_s.map(|s| f64::from(s.max)),
        Kind::Duration,
    ),
    (
        "Phục vụ TB (phút:giây) / Avg service (m:ss)",
        |f| f.service_s.map(|s| s.avg as f64),
        Kind::Duration,
    ),
    (
        "Phục vụ trung vị / Median service",
        |f| f.service_s.map(|s| f64::from(s.p50)),
        Kind::Duration,
    ),
    ("Đúng hạn % / On time %", |f| f.on_time_pct, Kind::Percent),
    (
        "Rất hài lòng / Very satisfied",
        |f| count(f.ratings.s4),
        Kind::Count,
    ),
    ("Hài lòng / Satisfied", |f| count(f.ratings.s3), Kind::Count),
    (
        "Bình thường / Neutral",
        |f| count(f.ratings.s2),
        Kind::Count,
    ),
    (
        "Không hài lòng / Dissatisfied",
        |f| count(f.ratings.s1),
        Kind::Count,
    ),
    (
        "Hài lòng % / Satisfaction %",
        |f| f.satisfaction_pct,
        Kind::Percent,
    ),
    (
        "Đánh giá tại quầy / Counter ratings",
        |f| count(f.ratings_counter.total()),
        Kind::Count,
    ),
    (
        "Đánh giá qua điện thoại / Phone ratings",
        |f| count(f.ratings_phone.total()),
        Kind::Count,
    ),
];

/// A breakdown sheet's rows: id, name (None when unknown or on a sheet without names),
/// figures.
type Rows<'a> = Vec<(Value, Option<&'a str>, &'a Figures)>;

/// The breakdown sheets of the workbook: title, id column header, whether it has names,
/// and its rows.
fn sheets(doc: &StatsDoc) -> [(&'static str, &'static str, bool, Rows<'_>); 4] {
    [
        (
            "Lĩnh vực",
            "Mã / ID",
            true,
            doc.services
                .iter()
                .map(|g| (serde_json::json!(g.id), g.name.as_deref(), &g.figures))
                .collect(),
        ),
        (
            "Quầy",
            "Số quầy / No.",
            true,
            doc.counters
                .iter()
                .map(|g| (serde_json::json!(g.id), g.name.as_deref(), &g.figures))
                .collect(),
        ),
        (
            "Cán bộ",
            "Mã cán bộ / Staff ID",
            true,
            doc.clerks
                .iter()
                .map(|g| (serde_json::json!(g.id), g.name.as_deref(), &g.figures))
                .collect(),
        ),
        (
            "Theo giờ",
            "Giờ / Hour",
            false,
            doc.hours
                .iter()
                .map(|g| (serde_json::json!(g.hour), None, &g.figures))
                .collect(),
        ),
    ]
}

/// Cell formats of the workbook.
struct Formats {
    header: Format,
    duration: Format,
    bold: Format,
    note: Format,
}

/// The report as an Excel workbook: a summary sheet, one sheet per breakdown (id, name, then
/// the figures), waits and service times as minutes:seconds, and under every table what each
/// figure means ([`crate::stats::DEFINITIONS`]).
pub fn to_xlsx(doc: &StatsDoc, centre: &str) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    let f = Formats {
        header: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(rust_xlsxwriter::FormatAlign::Top),
        duration: Format::new().set_num_format("[m]:ss"),
        bold: Format::new().set_bold(),
        note: Format::new().set_font_color(rust_xlsxwriter::Color::RGB(0x44_4444)),
    };
    let title = Format::new().set_bold().set_font_size(14);
    {
        let sheet = book.add_worksheet();
        sheet.set_name("Tổng hợp")?;
        sheet.write_string_with_format(0, 0, centre, &title)?;
        let day = doc.day.as_deref().unwrap_or_default();
        sheet.write_string(1, 0, format!("Báo cáo ngày / Daily report: {day}"))?;
        sheet.write_string_with_format(3, 0, "Chỉ tiêu / Figure", &f.bold)?;
        sheet.write_string_with_format(3, 1, "Giá trị / Value", &f.bold)?;
        for (i, (header, value, kind)) in COLUMNS.iter().enumerate() {
            let row = 4 + i as u32;
            sheet.write_string(row, 0, *header)?;
            write_value(sheet, row, 1, value(&doc.totals), *kind, &f)?;
        }
        sheet.set_column_width(0, 44)?;
        sheet.set_column_width(1, 14)?;
        write_definitions(sheet, 4 + COLUMNS.len() as u32 + 1, &f)?;
    }
    for (name, id_header, named, groups) in sheets(doc) {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        let first = if named { 2u16 } else { 1 };
        sheet.write_string_with_format(0, 0, id_header, &f.header)?;
        if named {
            sheet.write_string_with_format(0, 1, "Tên / Name", &f.header)?;
        }
        for (c, (header, _, _)) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(0, first + c as u16, *header, &f.header)?;
        }
        sheet.set_row_height(0, 48)?;
        let mut rows = 0u32;
        for (r, (id, group_name, figures)) in groups.into_iter().enumerate() {
            let row = 1 + r as u32;
            rows = row;
            write_cell(sheet, row, 0, &id)?;
            if let Some(n) = group_name {
                sheet.write_string(row, 1, n)?;
            }
            for (c, (_, value, kind)) in COLUMNS.iter().enumerate() {
                write_value(sheet, row, first + c as u16, value(figures), *kind, &f)?;
            }
        }
        sheet.set_column_width(0, if named { 16 } else { 8 })?;
        if named {
            sheet.set_column_width(1, 34)?;
        }
        for c in 0..COLUMNS.len() as u16 {
            sheet.set_column_width(first + c, 13)?;
        }
        sheet.set_freeze_panes(1, first)?;
        write_definitions(sheet, rows + 2, &f)?;
    }
    Ok(book.save_to_buffer()?)
}

/// The definitions of the figures, from `row` down, in column A (Vietnamese, then English).
fn write_definitions(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(row, 0, "Định nghĩa / Definitions", &f.bold)?;
    for (i, (vi, en)) in crate::stats::DEFINITIONS.iter().enumerate() {
        sheet.write_string_with_format(row + 1 + i as u32, 0, format!("{vi} — {en}"), &f.note)?;
    }
    Ok(())
}

/// A figure: durations as a fraction of a day with a minutes:seconds format; None is an
/// empty cell.
fn write_value(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    v: Option<f64>,
    kind: Kind,
    f: &Formats,
) -> Result<(), XlsxError> {
    match (kind, v) {
        (Kind::Duration, Some(secs)) => {
            sheet.write_number_with_format(row, col, secs / 86_400.0, &f.duration)?;
        }
        (_, Some(n)) => {
            sheet.write_number(row, col, n)?;
        }
        (_, None) => {}
    }
    Ok(())
}

pub fn write_cell(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    v: &Value,
) -> Result<(), XlsxError> {
    match v {
        Value::Number(n) => sheet.write_number(row, col, n.as_f64().unwrap_or_default())?,
        Value::String(s) => sheet.write_string(row, col, s)?,
        Value::Null => sheet,
        other => sheet.write_string(row, col, other.to_string())?,
    };
    Ok(())
}
