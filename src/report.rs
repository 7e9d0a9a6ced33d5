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

/// Column headers (Vietnamese / English) and where each value sits in a FIGURES object.
pub const COLUMNS: [(&str, &[&str]); 22] = [
    ("Số phát / Issued", &["issued"]),
    ("Đã gọi / Called", &["called"]),
    ("Đã phục vụ / Served", &["served"]),
    ("Vắng mặt / No-show", &["no_show"]),
    ("Hủy / Cancelled", &["cancelled"]),
    ("Chuyển / Transferred", &["transferred"]),
    ("Hết hạn / Expired", &["expired"]),
    ("Đang chờ / Waiting", &["waiting"]),
    ("Chờ TB (giây) / Avg wait (s)", &["wait_s", "avg"]),
    ("Chờ trung vị / Median wait", &["wait_s", "p50"]),
    ("Chờ p90 / p90 wait", &["wait_s", "p90"]),
    ("Chờ lâu nhất / Max wait", &["wait_s", "max"]),
    ("Phục vụ TB (giây) / Avg service (s)", &["service_s", "avg"]),
    ("Phục vụ trung vị / Median service", &["service_s", "p50"]),
    ("Đúng hẹn % / On time %", &["on_time_pct"]),
    ("Rất hài lòng / Very satisfied", &["ratings", "4"]),
    ("Hài lòng / Satisfied", &["ratings", "3"]),
    ("Bình thường / Neutral", &["ratings", "2"]),
    ("Không hài lòng / Dissatisfied", &["ratings", "1"]),
    ("Hài lòng % / Satisfaction %", &["satisfaction_pct"]),
    (
        "Đánh giá tại quầy / Counter ratings",
        &["ratings_counter", "*"],
    ),
    (
        "Đánh giá qua điện thoại / Phone ratings",
        &["ratings_phone", "*"],
    ),
];

/// The value at `path`; a last step `*` counts the ratings of a by-score object.
pub fn at(v: &Value, path: &[&str]) -> Value {
    match path.split_last() {
        Some((&"*", head)) => crate::stats::rating_count(head.iter().fold(v, |v, k| &v[*k])),
        _ => path.iter().fold(v, |v, k| &v[*k]).clone(),
    }
}

/// The sheets of the workbook: title, the group's key in the document, its id column.
const SHEETS: [(&str, &str, &str, &str); 4] = [
    ("Lĩnh vực", "services", "id", "Lĩnh vực / Service"),
    ("Quầy", "counters", "id", "Quầy / Counter"),
    ("Cán bộ", "clerks", "id", "Cán bộ / Clerk"),
    ("Theo giờ", "hours", "hour", "Giờ / Hour"),
];

/// The report as an Excel workbook: a summary sheet, one sheet per breakdown, and the hours.
pub fn to_xlsx(doc: &Value, centre: &str) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    {
        let sheet = book.add_worksheet();
        sheet.set_name("Tổng hợp")?;
        sheet.write_string_with_format(0, 0, centre, &title)?;
        let day = doc["day"].as_str().unwrap_or_default();
        sheet.write_string(1, 0, format!("Báo cáo ngày / Daily report: {day}"))?;
        sheet.write_string_with_format(3, 0, "Chỉ tiêu / Figure", &bold)?;
        sheet.write_string_with_format(3, 1, "Giá trị / Value", &bold)?;
        for (i, (header, path)) in COLUMNS.iter().enumerate() {
            let row = 4 + i as u32;
            sheet.write_string(row, 0, *header)?;
            write_cell(sheet, row, 1, &at(&doc["totals"], path))?;
        }
        sheet.set_column_width(0, 40)?;
    }
    for (name, key, id_key, id_header) in SHEETS {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        sheet.write_string_with_format(0, 0, id_header, &bold)?;
        for (c, (header, _)) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(0, 1 + c as u16, *header, &bold)?;
        }
        for (r, group) in doc[key].as_array().into_iter().flatten().enumerate() {
            let row = 1 + r as u32;
            write_cell(sheet, row, 0, &group[id_key])?;
            for (c, (_, path)) in COLUMNS.iter().enumerate() {
                write_cell(sheet, row, 1 + c as u16, &at(group, path))?;
            }
        }
        sheet.set_column_width(0, 18)?;
    }
    Ok(book.save_to_buffer()?)
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
