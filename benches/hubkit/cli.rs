//! The command line and `main` of a hub bench, shared by `hub_phones` and `hub_lobby`:
//! `--quick` plus numeric `--NAME VALUE` options (`_` allowed as a digit separator), a
//! PostgreSQL from `XEPHANG_DATABASE_URL`, a 2-worker Tokio runtime, exit code 2 on a bad
//! command line and 1 on a failed run.

use std::collections::HashMap;
use std::future::Future;

/// The parsed command line.
pub struct Args {
    pub quick: bool,
    values: HashMap<String, f64>,
}

impl Args {
    /// Parses this process's arguments; `known` are the numeric options it takes.
    pub fn parse(known: &[&str]) -> Result<Args, String> {
        let mut a = Args {
            quick: false,
            values: HashMap::new(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                // `cargo bench` passes `--bench`.
                "--bench" => {}
                "--quick" => a.quick = true,
                name if known.contains(&name) => {
                    let v = it
                        .next()
                        .ok_or(format!("{name} needs a value"))?
                        .replace('_', "")
                        .parse::<f64>()
                        .map_err(|e| format!("{name}: {e}"))?;
                    a.values.insert(arg, v);
                }
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(a)
    }

    /// The value given for `name`, if any.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    /// The value given for `name` as a count, else `default`.
    pub fn count(&self, name: &str, default: usize) -> usize {
        self.get(name).map_or(default, |v| v.max(0.0) as usize)
    }
}

/// Runs a bench: `parse` the command line (printing `usage` and exiting 2 when it fails),
/// then `run(database_url, options)` on a 2-worker runtime (exiting 1 when it fails). Does
/// nothing but say how to get one when no PostgreSQL is given.
pub fn bench_main<O, F, Fut>(
    bench: &str,
    usage: &str,
    parse: impl FnOnce() -> Result<O, String>,
    run: F,
) where
    F: FnOnce(String, O) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let opts = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\nusage: cargo bench --bench {bench} -- {usage}");
            std::process::exit(2);
        }
    };
    let Some(base) = super::database_url(&format!("{bench} bench")) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Err(e) = rt.block_on(run(base, opts)) {
        eprintln!("{bench} bench failed: {e}");
        std::process::exit(1);
    }
}
