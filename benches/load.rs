//! The load tool: `cargo bench --bench load -- [--sockets 1,100,1000,10000] [--repeat K] [--seconds N]
//! [--rate CALLS_PER_S] [--kiosks 1,8,64] [--events 100000] [--quick] [--no-floor]
//! [--rust-log info] [--bin PATH] [--config FILE] [--write BENCHMARKS.md]`.
//!
//! `--config FILE` runs every daemon with that centre (`xephang run --demo --config FILE`)
//! instead of the embedded demo: the file must keep the demo centre's PINs and tokens (the
//! load uses them), e.g. config/default.toml with an `[uplink]` section to a hub.
//!
//! Drives a release build of the daemon (the `xephang` binary cargo builds for this bench,
//! `target/release/xephang`) on 127.0.0.1 from this separate process and prints a table;
//! see benches/load/mod.rs for what is measured and BENCHMARKS.md for the last results.

#[path = "load/mod.rs"]
mod load;

use std::path::PathBuf;
use std::process::ExitCode;

use load::{FloorMode, Options};

fn list(v: &str) -> Result<Vec<usize>, String> {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim()
                .replace('_', "")
                .parse::<usize>()
                .map_err(|e| format!("{s}: {e}"))
        })
        .collect()
}

fn parse(args: &[String]) -> Result<(Options, Option<PathBuf>), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut o = Options::full(
        PathBuf::from(env!("CARGO_BIN_EXE_xephang")),
        FloorMode::Child(exe),
    );
    let mut write = None;
    let mut explicit = std::collections::HashSet::new();
    let mut it = args.iter();
    let mut quick = false;
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--bench" => {} // added by `cargo bench`
            "--quick" => quick = true,
            "--no-floor" => o.floor = FloorMode::Off,
            "--sockets" => o.sockets = list(&val()?)?,
            "--kiosks" => o.kiosks = list(&val()?)?,
            "--repeat" => {
                o.repeat = val()?
                    .parse::<usize>()
                    .map_err(|e| format!("--repeat: {e}"))?
                    .max(1)
            }
            "--seconds" => o.seconds = val()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--rate" => o.rate = Some(val()?.parse().map_err(|e| format!("--rate: {e}"))?),
            "--events" => {
                o.events = val()?
                    .replace('_', "")
                    .parse()
                    .map_err(|e| format!("--events: {e}"))?
            }
            "--rust-log" => o.rust_log = val()?,
            "--bin" => o.bin = PathBuf::from(val()?),
            "--config" => o.config = Some(PathBuf::from(val()?)),
            "--write" => write = Some(PathBuf::from(val()?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
        explicit.insert(a.clone());
    }
    if quick {
        if !explicit.contains("--sockets") {
            o.sockets = vec![1, 100, 1000];
        }
        if !explicit.contains("--seconds") {
            o.seconds = 3.0;
        }
        if !explicit.contains("--repeat") {
            o.repeat = 3;
        }
        o.startup_runs = 1;
    }
    Ok((o, write))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--floor-server") {
        return match args.get(1) {
            Some(plan) => load::floor::child_main(std::path::Path::new(plan)),
            None => ExitCode::FAILURE,
        };
    }
    let (opts, write) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}\nusage: cargo bench --bench load -- [--sockets 1,100,1000,10000] [--repeat K] [--seconds N] [--rate CALLS_PER_S] [--kiosks 1,8,64] [--events 100000] [--quick] [--no-floor] [--rust-log FILTER] [--bin PATH] [--config FILE] [--write BENCHMARKS.md]");
            return ExitCode::from(2);
        }
    };
    if !opts.bin.exists() {
        eprintln!(
            "{} does not exist: run `cargo build --release` first",
            opts.bin.display()
        );
        return ExitCode::FAILURE;
    }
    let shown: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    let command = format!("cargo bench --bench load -- {}", shown.join(" "))
        .trim_end()
        .to_string();
    let report = load::run(&opts);
    println!("{}", load::report::header(&report, &command));
    println!("{}", load::report::tables(&report));
    if let Some(path) = write {
        // Relative paths are the repository's (cargo runs benches from the package root).
        match load::report::write(&path, &report, &command) {
            Ok(()) => eprintln!("[load] wrote {}", path.display()),
            Err(e) => {
                eprintln!("[load] cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
