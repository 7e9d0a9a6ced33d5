//! `xephang print-test --printer tcp://… [--paper-mm 58] [--png FILE] [--config FILE]`: prints
//! a sample ticket, for the installer standing next to the printer. It goes through the same
//! drawing, status check and transport as the daemon's queue, and says in words what went
//! wrong (no answer, out of paper…). `--png` also (or only) saves the picture.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::content::sample;
use super::escpos::encode;
use super::render::render;
use super::target::{Paper, PrinterTarget};
use super::transport::{Limits, Transport};

/// `xephang print-test`'s options.
#[derive(Debug, clap::Args)]
pub struct PrintTestArgs {
    /// The printer: tcp://HOST:PORT, usb:/dev/usb/lp0 or file:PATH.
    #[arg(long)]
    pub printer: Option<String>,
    /// Paper width: 80 or 58.
    #[arg(long, default_value_t = 80)]
    pub paper_mm: i64,
    /// Also save the ticket as a PNG (enough on its own: no printer needed).
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Take the centre's name and ticket footer from this config.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `xephang print-test`: one line per thing done, or the problem and exit code 1.
pub fn main(args: &PrintTestArgs) -> ExitCode {
    let config = match &args.config {
        Some(path) => match crate::config::load(path) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let (centre, footer) = config.as_ref().map_or(
        (
            "Trung tâm Phục vụ hành chính công — In thử".to_string(),
            crate::config::DEFAULT_TICKET_FOOTER.to_string(),
        ),
        |c| (c.spec.name.clone(), c.ticket_footer.clone()),
    );
    match print_test(
        args.printer.as_deref(),
        args.paper_mm,
        args.png.as_deref(),
        &centre,
        &footer,
    ) {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xephang print-test: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints (and/or saves) the sample ticket; Ok: what was done, in words.
pub fn print_test(
    printer: Option<&str>,
    paper_mm: i64,
    png: Option<&Path>,
    centre: &str,
    footer: &str,
) -> Result<String, String> {
    let paper =
        Paper::from_mm(paper_mm).ok_or_else(|| format!("--paper-mm {paper_mm}: use 80 or 58"))?;
    let target = printer
        .map(PrinterTarget::parse)
        .transpose()
        .map_err(|e| format!("--printer: {e}"))?;
    if target.is_none() && png.is_none() {
        return Err("give --printer (and/or --png FILE)".into());
    }
    let content = sample(
        centre,
        footer,
        "http://xephang.local/t/01JDEMO0000000000000000000",
    );
    let raster = render(&content, paper).map_err(|e| e.to_string())?;
    let mut done = Vec::new();
    if let Some(path) = png {
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        raster
            .write_png(std::io::BufWriter::new(file), 1)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        done.push(format!(
            "saved {} ({}×{} dots)",
            path.display(),
            raster.width,
            raster.height
        ));
    }
    if let Some(target) = target {
        let bytes = encode(&raster);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let transport = Transport::new(target.clone(), Limits::default());
        let sent = runtime
            .block_on(transport.send(&bytes))
            .map_err(|e| format!("{target}: not printed: {e}"))?;
        done.push(format!(
            "printed a sample ticket on {target} ({} mm, {} bytes){}",
            paper.mm(),
            bytes.len(),
            if sent.paper_low {
                "; the paper roll is nearly used up"
            } else {
                ""
            }
        ));
    }
    Ok(done.join("\n"))
}
