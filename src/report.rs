//! Daily reports: the stats document of a day (or of a range of days) as CSV or as an Excel
//! workbook with Vietnamese headers, from memory or straight from the journal files — the
//! same figures the dashboard shows, because both come from the same events.

use std::path::Path;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::{json, Value};
use thiserror::Error;

use crate::domain::spec::CentreSpec;
use crate::journal::{self, JournalError};
use crate::stats::DayStats;

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
) -> Result<Value, ReportError> {
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
    let mut doc = stats.to_json(spec, &Default::default());
    if from != to {
        doc["day"] = json!(format!("{from}..{to}"));
    }
    Ok(doc)
}

/// Puts the display names beside the ids of the stats document's services, counters and
/// clerks (`"name"`), so reports name them ("Hộ tịch", "Quầy 3", "Nguyễn Văn An").
pub fn add_names<'a>(
    doc: &mut Value,
    spec: &CentreSpec,
    staff: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let staff: std::collections::BTreeMap<&str, &str> = staff.into_iter().collect();
    let name_of = |key: &str, id: &Value| -> Option<String> {
        match key {
            "services" => spec
                .services
                .iter()
                .find(|s| id.as_str() == Some(s.id.0.as_str()))
                .map(|s| s.name.clone()),
            "counters" => spec
                .counters
                .iter()
                .find(|c| id.as_u64() == Some(u64::from(c.id.0)))
                .map(|c| c.name.clone()),
            _ => id
                .as_str()
                .and_then(|k| staff.get(k))
                .map(|n| n.to_string()),
        }
    };
    for key in ["services", "counters", "clerks"] {
        if let Some(list) = doc.get_mut(key).and_then(Value::as_array_mut) {
            for g in list {
                if let Some(name) = name_of(key, &g["id"]) {
                    g["name"] = json!(name);
                }
            }
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

/// Column headers (Vietnamese / English), where each value sits in a FIGURES object, and how
/// it is shown.
pub const COLUMNS: [(&str, &[&str], Kind); 22] = [
    ("Số phát / Issued", &["issued"], Kind::Count),
    ("Đã gọi / Called", &["called"], Kind::Count),
    ("Đã phục vụ / Served", &["served"], Kind::Count),
    ("Vắng mặt / No-show", &["no_show"], Kind::Count),
    ("Hủy / Cancelled", &["cancelled"], Kind::Count),
    ("Chuyển / Transferred", &["transferred"], Kind::Count),
    ("Hết hạn / Expired", &["expired"], Kind::Count),
    ("Đang chờ / Waiting", &["waiting"], Kind::Count),
    (
        "Chờ TB (phút:giây) / Avg wait (m:ss)",
        &["wait_s", "avg"],
        Kind::Duration,
    ),
    (
        "Chờ trung vị / Median wait",
        &["wait_s", "p50"],
        Kind::Duration,
    ),
    ("Chờ p90 / p90 wait", &["wait_s", "p90"], Kind::Duration),
    (
        "Chờ lâu nhất / Longest wait",
        &["wait_s", "max"],
        Kind::Duration,
    ),
    (
        "Phục vụ TB (phút:giây) / Avg service (m:ss)",
        &["service_s", "avg"],
        Kind::Duration,
    ),
    (
        "Phục vụ trung vị / Median service",
        &["service_s", "p50"],
        Kind::Duration,
    ),
    ("Đúng hạn % / On time %", &["on_time_pct"], Kind::Percent),
    (
        "Rất hài lòng / Very satisfied",
        &["ratings", "4"],
        Kind::Count,
    ),
    ("Hài lòng / Satisfied", &["ratings", "3"], Kind::Count),
    ("Bình thường / Neutral", &["ratings", "2"], Kind::Count),
    (
        "Không hài lòng / Dissatisfied",
        &["ratings", "1"],
        Kind::Count,
    ),
    (
        "Hài lòng % / Satisfaction %",
        &["satisfaction_pct"],
        Kind::Percent,
    ),
    (
        "Đánh giá tại quầy / Counter ratings",
        &["ratings_counter", "*"],
        Kind::Count,
    ),
    (
        "Đánh giá qua điện thoại / Phone ratings",
        &["ratings_phone", "*"],
        Kind::Count,
    ),
];

/// The value at `path`; a last step `*` counts the ratings of a by-score object.
pub fn at(v: &Value, path: &[&str]) -> Value {
    match path.split_last() {
        Some((&"*", head)) => crate::stats::rating_count(head.iter().fold(v, |v, k| &v[*k])),
        _ => path.iter().fold(v, |v, k| &v[*k]).clone(),
    }
}

/// The sheets of the workbook: title, the group's key in the document, its id column, and
/// whether it has names.
const SHEETS: [(&str, &str, &str, &str, bool); 4] = [
    ("Lĩnh vực", "services", "id", "Mã / ID", true),
    ("Quầy", "counters", "id", "Số quầy / No.", true),
    ("Cán bộ", "clerks", "id", "Mã cán bộ / Staff ID", true),
    ("Theo giờ", "hours", "hour", "Giờ / Hour", false),
];

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
pub fn to_xlsx(doc: &Value, centre: &str) -> Result<Vec<u8>, ReportError> {
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
        let day = doc["day"].as_str().unwrap_or_default();
        sheet.write_string(1, 0, format!("Báo cáo ngày / Daily report: {day}"))?;
        sheet.write_string_with_format(3, 0, "Chỉ tiêu / Figure", &f.bold)?;
        sheet.write_string_with_format(3, 1, "Giá trị / Value", &f.bold)?;
        for (i, (header, path, kind)) in COLUMNS.iter().enumerate() {
            let row = 4 + i as u32;
            sheet.write_string(row, 0, *header)?;
            write_value(sheet, row, 1, &at(&doc["totals"], path), *kind, &f)?;
        }
        sheet.set_column_width(0, 44)?;
        sheet.set_column_width(1, 14)?;
        write_definitions(sheet, 4 + COLUMNS.len() as u32 + 1, &f)?;
    }
    for (name, key, id_key, id_header, named) in SHEETS {
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
        for (r, group) in doc[key].as_array().into_iter().flatten().enumerate() {
            let row = 1 + r as u32;
            rows = row;
            write_cell(sheet, row, 0, &group[id_key])?;
            if named {
                write_cell(sheet, row, 1, &group["name"])?;
            }
            for (c, (_, path, kind)) in COLUMNS.iter().enumerate() {
                write_value(sheet, row, first + c as u16, &at(group, path), *kind, &f)?;
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

/// A figure: durations as a fraction of a day with a minutes:seconds format.
fn write_value(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    v: &Value,
    kind: Kind,
    f: &Formats,
) -> Result<(), XlsxError> {
    match (kind, v.as_f64()) {
        (Kind::Duration, Some(secs)) => {
            sheet.write_number_with_format(row, col, secs / 86_400.0, &f.duration)?;
            Ok(())
        }
        _ => write_cell(sheet, row, col, v),
    }
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
