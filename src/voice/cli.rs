//! `xephang voice export --out pack.tar` and `xephang voice import pack.tar`: a centre's
//! recorded voice as one file, to copy to every other centre of the province.
//!
//! Both work on the data dir's `voice/` folder. A running daemon reads that folder when it
//! starts; to load a pack into a running one, upload it on the `/voice` page instead (or
//! restart it after the import).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{self, Config};

use super::store::Store;
use super::{io_err, pack, VoiceError};

#[derive(Debug, clap::Subcommand)]
pub enum VoiceCmd {
    /// Write every recorded clip into one voice pack (a tar archive with a manifest).
    Export {
        /// The pack to write.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// The centre's config (its name goes into the manifest).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Load a voice pack: each language it holds is replaced by its clips. A damaged pack is
    /// refused and nothing changes.
    Import {
        /// The pack to read.
        file: PathBuf,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
    },
}

/// Runs a `xephang voice` command: prints what it did, or the error, and the exit code.
pub fn main(cmd: VoiceCmd) -> ExitCode {
    match run(cmd) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xephang voice: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: VoiceCmd) -> Result<String, String> {
    match cmd {
        VoiceCmd::Export {
            out,
            data_dir,
            config,
        } => {
            let config: Config = match config {
                Some(p) => config::load(&p),
                None => config::parse(config::DEFAULT_TOML, config::DEFAULT_NAME),
            }
            .map_err(|e| e.to_string())?;
            export(&data_dir, &out, &config.spec.name).map_err(|e| e.to_string())
        }
        VoiceCmd::Import { file, data_dir } => import(&data_dir, &file).map_err(|e| e.to_string()),
    }
}

/// Writes the pack of `data_dir`'s recorded clips to `out`.
pub fn export(data_dir: &Path, out: &Path, centre: &str) -> Result<String, VoiceError> {
    let clips = Store::new(data_dir).load()?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let bytes = pack::export(&clips, Some(centre), Some(now))?;
    std::fs::write(out, &bytes).map_err(io_err(out))?;
    Ok(format!(
        "{}: {} clips, {} bytes",
        out.display(),
        clips.len(),
        bytes.len()
    ))
}

/// Loads the pack `file` into `data_dir`.
pub fn import(data_dir: &Path, file: &Path) -> Result<String, VoiceError> {
    let bytes = std::fs::read(file).map_err(io_err(file))?;
    let (langs, clips) = pack::parse(&bytes)?;
    Store::new(data_dir).replace_languages(&langs, &clips)?;
    let names: Vec<&str> = langs.iter().map(|l| l.code()).collect();
    Ok(format!(
        "{}: {} clips imported ({}); a running daemon uses them after a restart",
        file.display(),
        clips.len(),
        names.join(", ")
    ))
}
