//! `xephang journal check` and `xephang journal repair`: what a centre's IT runs when start-up
//! refuses a damaged day file (the refusal names the exact command). `check` only reads, takes
//! no lock and works while the daemon runs; `repair` takes the data folder's lock
//! ([`crate::datalock`]), so it is refused while a daemon writes the folder. The work is in
//! [`super::repair`]; this module parses the arguments and speaks to people (Vietnamese first,
//! English second).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;

use super::repair::{self, AsideLine, DayCheck};
use super::scan::ProblemKind;
use crate::datalock::DataLock;

/// Set-aside lines listed one by one; past this, a count.
const LIST_MAX: usize = 40;

#[derive(Debug, clap::Subcommand)]
pub enum JournalCmd {
    /// Say what is wrong with the day files and what a repair would keep and set aside.
    /// Read-only: works while the daemon runs. Exit 0: intact; 1: damaged; 2: cannot read.
    Check {
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Only this day (YYYY-MM-DD); default: every day file.
        #[arg(long)]
        day: Option<NaiveDate>,
    },
    /// Keep the intact start of each damaged day file and move the rest into
    /// `<day>.jsonl.damaged-<time>` beside it (never deletes). Refused while a daemon runs on
    /// the data folder. Exit 0: repaired or nothing to do; 1: refused or failed.
    Repair {
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Only this day (YYYY-MM-DD); default: every damaged day file.
        #[arg(long)]
        day: Option<NaiveDate>,
    },
}

/// Runs a `journal` subcommand; prints its report on stdout, problems on stderr.
pub fn run(cmd: JournalCmd) -> ExitCode {
    match cmd {
        JournalCmd::Check { data_dir, day } => check(&data_dir, day),
        JournalCmd::Repair { data_dir, day } => repair_cmd(&data_dir, day),
    }
}

/// The day files to look at: `day` alone (its file must exist), or every one.
fn days_of(journal_dir: &Path, day: Option<NaiveDate>) -> Result<Vec<NaiveDate>, String> {
    match day {
        Some(d) => {
            let path = super::day_path(journal_dir, d);
            if path.is_file() {
                Ok(vec![d])
            } else {
                Err(format!(
                    "không có tệp nhật ký {p} / no journal file {p}",
                    p = path.display()
                ))
            }
        }
        None => {
            let days = super::days(journal_dir);
            if days.is_empty() {
                Err(format!(
                    "không có tệp nhật ký nào trong {p} (--data-dir đúng chưa?) / no journal \
                     file in {p} (is --data-dir right?)",
                    p = journal_dir.display()
                ))
            } else {
                Ok(days)
            }
        }
    }
}

fn check(data_dir: &Path, day: Option<NaiveDate>) -> ExitCode {
    let journal_dir = data_dir.join("journal");
    let days = match days_of(&journal_dir, day) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("xephang journal check: {e}");
            return ExitCode::from(2);
        }
    };
    let mut damaged = 0;
    let mut unreadable = 0;
    for d in days {
        match repair::inspect(&journal_dir, d) {
            Ok(c) => {
                damaged += usize::from(c.is_damaged());
                print!("{}", describe(&c));
            }
            Err(e) => {
                unreadable += 1;
                eprintln!("xephang journal check: {e}");
            }
        }
    }
    if unreadable > 0 {
        ExitCode::from(2)
    } else if damaged > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn repair_cmd(data_dir: &Path, day: Option<NaiveDate>) -> ExitCode {
    let journal_dir = data_dir.join("journal");
    let days = match days_of(&journal_dir, day) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("xephang journal repair: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Held until the end of this function: no daemon appends while the file is replaced.
    let _lock = match DataLock::acquire(data_dir, "journal repair") {
        Ok(l) => l,
        Err(e) => {
            eprintln!("xephang journal repair: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stamp = chrono::Local::now().format("%Y%m%dT%H%M%S").to_string();
    let mut failed = false;
    for d in days {
        match repair::repair(&journal_dir, d, &stamp) {
            Ok(Some(done)) => print!("{}", describe_repair(&done.check, &done.aside_path)),
            Ok(None) => println!(
                "{}: nguyên vẹn, không sửa / intact, left as it is",
                super::day_path(&journal_dir, d).display()
            ),
            Err(e) => {
                failed = true;
                eprintln!("xephang journal repair: {e}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `check`'s report of one file.
pub fn describe(c: &DayCheck) -> String {
    let mut s = String::new();
    let path = c.path.display();
    let Some(p) = &c.problem else {
        let _ = writeln!(
            s,
            "{path}: nguyên vẹn / intact — {} dòng / lines{}",
            c.kept_lines,
            seqs(c.kept_seqs)
        );
        return s;
    };
    match p.kind {
        ProblemKind::TornTail => {
            let _ = writeln!(
                s,
                "{path}: dòng cuối (dòng {line}) bị cắt dở — khi khởi động sẽ bỏ dòng này (chưa \
                 từng được xác nhận) / the last line (line {line}) is cut short ({what}): \
                 start-up drops it (it was never acknowledged); if the daemon is running, it \
                 may be a write in progress",
                line = p.line,
                what = p.what
            );
        }
        ProblemKind::Damaged => {
            let _ = writeln!(
                s,
                "{path}: HỎNG ở dòng {line} (byte {offset}) / DAMAGED at line {line} (byte \
                 {offset}): {what}",
                line = p.line,
                offset = p.offset,
                what = p.what
            );
            if let Some(first) = c.aside.first() {
                let expected = c
                    .kept_seqs
                    .map_or("?".to_string(), |(_, b)| (b + 1).to_string());
                let _ = writeln!(
                    s,
                    "  dòng {} / line {}: seq {} (cần / expected {expected}), checksum {}",
                    first.line,
                    first.line,
                    first.seq.map_or("?".to_string(), |q| q.to_string()),
                    if first.checksum_ok {
                        "đúng / ok"
                    } else {
                        "SAI / BAD"
                    }
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "  Sửa sẽ giữ lại / a repair would keep: dòng / lines 1–{}{} ({} bytes)",
        c.kept_lines,
        seqs(c.kept_seqs),
        c.kept_bytes
    );
    let _ =
        writeln!(
        s,
        "  và để riêng / and set aside: {} dòng / lines, {} bytes → {}.damaged-<thời điểm / time>",
        c.aside.len(),
        c.size - c.kept_bytes,
        c.path.file_name().map_or(String::new(), |n| n.to_string_lossy().to_string())
    );
    list_aside(&mut s, &c.aside);
    touched(&mut s, c);
    if c.is_damaged() {
        let args = super::day_args(&c.path);
        let _ = writeln!(
            s,
            "  Để sửa / to repair (dừng daemon trước / stop the daemon first): xephang journal \
             repair {args}"
        );
    }
    s
}

/// `repair`'s report of one file.
fn describe_repair(c: &DayCheck, aside: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: đã sửa / repaired — giữ lại / kept dòng / lines 1–{}{}",
        c.path.display(),
        c.kept_lines,
        seqs(c.kept_seqs)
    );
    let _ = writeln!(
        s,
        "  Đã chuyển sang / moved to: {} ({} dòng / lines, {} bytes; không xoá gì / nothing \
         deleted)",
        aside.display(),
        c.aside.len(),
        c.size - c.kept_bytes
    );
    list_aside(&mut s, &c.aside);
    let lost = c.lost_events();
    let _ = writeln!(
        s,
        "  {lost} sự kiện đã ghi nhận bị để riêng / acknowledged events set aside: {lost}"
    );
    touched(&mut s, c);
    s
}

fn seqs(kept: Option<(u64, u64)>) -> String {
    match kept {
        Some((a, b)) => format!(", seq {a}–{b}"),
        None => String::new(),
    }
}

fn list_aside(s: &mut String, aside: &[AsideLine]) {
    for l in aside.iter().take(LIST_MAX) {
        let _ = write!(
            s,
            "    dòng / line {}: seq {}, {}",
            l.line,
            l.seq.map_or("?".to_string(), |q| q.to_string()),
            l.kind.as_deref().unwrap_or("?")
        );
        if let Some(t) = &l.ticket {
            let _ = write!(s, ", số / no. {} ({})", t.number, t.id);
        }
        if !l.checksum_ok {
            let _ = write!(s, " [checksum SAI / BAD]");
        }
        if !l.complete {
            let _ = write!(s, " [cắt dở / cut short]");
        }
        if let Some(n) = l.copy_of {
            let _ = write!(s, " [bản sao dòng {n}, đã giữ / copy of line {n}, kept]");
        }
        s.push('\n');
    }
    if aside.len() > LIST_MAX {
        let _ = writeln!(
            s,
            "    … và {n} dòng nữa / and {n} more lines",
            n = aside.len() - LIST_MAX
        );
    }
}

fn touched(s: &mut String, c: &DayCheck) {
    let touched = c.touched();
    if touched.is_empty() {
        let _ = writeln!(
            s,
            "  Không phiếu nào bị ảnh hưởng / no ticket is touched by what is set aside"
        );
        return;
    }
    let _ = writeln!(
        s,
        "  {n} phiếu bị ảnh hưởng — gọi các số này và cấp lại phiếu bằng tay; số cũ có thể được \
         cấp lại cho người khác / {n} tickets touched — call these numbers and re-issue their \
         tickets by hand; their old numbers may be handed out again:",
        n = touched.len()
    );
    for t in touched {
        let _ = writeln!(
            s,
            "    {} ({}) {}: {}",
            t.ticket.number,
            t.ticket.service.as_deref().unwrap_or("?"),
            t.ticket.id,
            t.kinds.join(", ")
        );
    }
}
