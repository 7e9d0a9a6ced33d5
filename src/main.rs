//! The `xephang` command: run the daemon, check a config, hash a PIN, preview an announcement,
//! check or repair a journal day file.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use xephang::config::{self, Config};
use xephang::server::{self, RunOptions};

#[derive(Parser)]
#[command(
    name = "xephang",
    version,
    about = "Lobby queue daemon of a one-stop public service centre (Bộ phận Một cửa)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Write the effective configuration (config file + admin page changes) as TOML.
    Export {
        /// Centre config (TOML); default: the embedded demo centre.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the daemon (the default): with no flags, the embedded demo centre on 127.0.0.1:8080.
    Run {
        /// Centre config (TOML); default: the embedded demo centre (config/default.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Where the journal and the session secret live.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Serve the screens from this folder instead of the embedded ones.
        #[arg(long)]
        displays: Option<PathBuf>,
        /// Run a config that still holds the demo's public PINs and tokens (refused without
        /// it). Not needed without --config: the embedded demo always runs.
        #[arg(long)]
        demo: bool,
    },
    /// Validate a config file: exit 0, or print `file:line: field: problem` lines and exit 1.
    CheckConfig { file: PathBuf },
    /// The configuration: `config export` writes the effective one (the file with the admin
    /// page's changes from the journal) as TOML.
    Config {
        #[command(subcommand)]
        action: ConfigCmd,
    },
    /// Read a PIN from standard input and print an argon2id hash for `pin_hash`.
    HashPin,
    /// Write the daily report of a day (or a range, with --to) from the journal files.
    Report {
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// First (or only) day, YYYY-MM-DD.
        #[arg(long)]
        day: chrono::NaiveDate,
        /// Last day of a range (inclusive).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check (read-only) or repair a damaged journal day file.
    Journal {
        #[command(subcommand)]
        action: xephang::journal::cli::JournalCmd,
    },
    /// Run the province hub (HUB.md): with no --config, the embedded demo hub
    /// (config/hub-demo.toml); the database from XEPHANG_DATABASE_URL or the config.
    Hub {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
    },
    /// Print (`--text`) or render (`--out FILE.wav`) the announcement of a call.
    Say {
        number: String,
        #[arg(long)]
        counter: u32,
        /// vi or en; default: the config's languages.
        #[arg(long, default_value = "")]
        lang: String,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        text: bool,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Export or import the centre's recorded voice as one pack (`voice export --out pack.tar`,
    /// `voice import pack.tar`).
    Voice {
        #[command(subcommand)]
        cmd: xephang::voice::cli::VoiceCmd,
    },
    /// Print a sample ticket on a kiosk printer (`--printer tcp://HOST:9100`), for installers.
    PrintTest(xephang::print::cli::PrintTestArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Csv,
    Xlsx,
}

fn report(
    config: Option<&PathBuf>,
    data_dir: &std::path::Path,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    format: ReportFormat,
    out: &std::path::Path,
) -> Result<(), String> {
    let config = load_config(config).map_err(|e| e.to_string())?;
    let mut doc = xephang::report::from_journal(&config.spec, &data_dir.join("journal"), from, to)
        .map_err(|e| e.to_string())?;
    xephang::report::add_names(
        &mut doc,
        &config.spec,
        config
            .staff
            .iter()
            .map(|s| (s.id.0.as_str(), s.name.as_str())),
    );
    let bytes = match format {
        ReportFormat::Csv => xephang::stats::to_csv(&doc).into_bytes(),
        ReportFormat::Xlsx => {
            xephang::report::to_xlsx(&doc, &config.spec.name).map_err(|e| e.to_string())?
        }
    };
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

fn load_config(path: Option<&PathBuf>) -> Result<Config, config::ConfigError> {
    match path {
        Some(p) => config::load(p),
        None => config::parse(config::DEFAULT_TOML, config::DEFAULT_NAME),
    }
}

/// Exit status of `run` for a config that cannot be used (sysexits' EX_CONFIG): the packaged
/// unit has `RestartPreventExitStatus=78`, so systemd does not restart it in a loop.
const EX_CONFIG: u8 = 78;

/// Refuses (EX_CONFIG) a config file that still holds the demo's public secrets, naming
/// each, unless `--demo` was given (then a warning).
fn refuse_demo_secrets(
    path: &std::path::Path,
    config: &Config,
    demo: bool,
) -> Result<(), ExitCode> {
    let secrets = config::demo_secrets(config);
    if secrets.is_empty() {
        return Ok(());
    }
    if demo {
        tracing::warn!(
            count = secrets.len(),
            "--demo: running {} with the demo's public PINs and tokens; never on a real centre",
            path.display()
        );
        return Ok(());
    }
    let mut msg = format!(
        "xephang: {} vẫn còn mã PIN / mã thiết bị mẫu (demo) — công khai, ai cũng biết.\n\
         xephang: {} still holds the demo centre's public secrets:\n",
        path.display(),
        path.display()
    );
    for s in &secrets {
        msg.push_str(&format!("  - {s}\n"));
    }
    msg.push_str("Replace them and start again, or pass --demo to run the demo on purpose.");
    eprintln!("{msg}");
    Err(ExitCode::from(EX_CONFIG))
}

/// argon2 (PIN checks) allocates 19 MiB per check; past glibc's default dynamic mmap
/// threshold those blocks stay in per-thread arenas (128 MiB RSS after eight clerk logins,
/// BENCHMARKS.md). A fixed 1 MiB threshold hands them back to the system after each check.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    use std::io::IsTerminal;
    // Log lines are written to stderr by a thread of their own: the writer and the async
    // workers only queue them, so a slow reader of stderr (journald, a pipe, a busy disk)
    // never stalls a clerk's click. Past 128,000 queued lines new ones are dropped rather
    // than block. The guard flushes what is queued when `main` returns.
    let (log, _flush_on_exit) = tracing_appender::non_blocking(std::io::stderr());
    tracing_subscriber::fmt()
        // No colour codes in the journal (systemd) or in a file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(log)
        .init();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Cmd::Run {
        config: None,
        data_dir: PathBuf::from("data"),
        bind: "127.0.0.1:8080".into(),
        displays: None,
        demo: false,
    });
    match command {
        Cmd::Run {
            config: path,
            data_dir,
            bind,
            displays,
            demo,
        } => {
            let config = match load_config(path.as_ref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(EX_CONFIG);
                }
            };
            if let Some(path) = &path {
                if let Err(code) = refuse_demo_secrets(path, &config, demo) {
                    return code;
                }
            }
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let opts = RunOptions {
                config,
                data_dir,
                bind,
                displays_dir: displays,
            };
            match runtime.block_on(server::run(opts, stop_signal())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xephang: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Config {
            action:
                ConfigCmd::Export {
                    config,
                    data_dir,
                    out,
                },
        } => match xephang::admin_export::run(config.as_deref(), &data_dir, out.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xephang config export: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::CheckConfig { file } => match config::load(&file) {
            Ok(c) => {
                println!(
                    "{}: ok — {} services, {} counters, {} staff, {} devices",
                    file.display(),
                    c.spec.services.len(),
                    c.spec.counters.len(),
                    c.staff.len(),
                    c.devices.len()
                );
                let secrets = config::demo_secrets(&c);
                if !secrets.is_empty() {
                    eprintln!(
                        "warning: `xephang run` refuses this file while it holds the demo's public secrets:"
                    );
                    for s in secrets {
                        eprintln!("  - {s}");
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Cmd::HashPin => {
            let mut pin = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut pin) {
                eprintln!("cannot read the PIN from standard input: {e}");
                return ExitCode::FAILURE;
            }
            let pin = pin.trim_end_matches(['\r', '\n']);
            if pin.is_empty() {
                eprintln!(
                    "empty PIN: type it on standard input, e.g. `echo 4821 | xephang hash-pin`"
                );
                return ExitCode::FAILURE;
            }
            match config::hash_pin(pin) {
                Ok(h) => {
                    println!("{h}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Report {
            data_dir,
            day,
            to,
            format,
            out,
            config,
        } => match report(
            config.as_ref(),
            &data_dir,
            day,
            to.unwrap_or(day),
            format,
            &out,
        ) {
            Ok(()) => {
                println!("{}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("xephang report: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Voice { cmd } => xephang::voice::cli::main(cmd),
        Cmd::Journal { action } => xephang::journal::cli::run(action),
        Cmd::Hub { config, bind } => {
            xephang::province::main(config.as_deref(), &bind, stop_signal())
        }
        Cmd::Say {
            number,
            counter,
            lang,
            out,
            text,
            config,
        } => {
            let config = match load_config(config.as_ref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            match xephang::audio::cli::say(
                &config.audio,
                &number,
                counter,
                &lang,
                out.as_deref(),
                text,
            ) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::PrintTest(args) => xephang::print::cli::main(&args),
    }
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return ctrl_c.await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
