//! `xephang hub`: the province hub (HUB.md; docs/HUB-SQL.md for the schema, the views and
//! the uplink wire format). Every lobby of a province ships its journal here through its
//! uplink (src/uplink); the hub stores the events in PostgreSQL once each, keeps one live
//! read model per centre (the lobby's own [`crate::read`] and [`crate::broadcast`]), and
//! serves the public side — every centre live, any ticket's phone page from anywhere — and
//! the province's dashboard, figures and reports.
//!
//! The hub keeps no state PostgreSQL does not have: it rebuilds every centre from the
//! database at start ([`centres`]), and several hub processes may serve one database, each
//! learning of the others' events through LISTEN/NOTIFY ([`listen`]).
//!
//! Inside: [`config`] (hub.toml), [`db`] (pool, migrations, queries), [`ingest`] (one
//! transaction per push), [`centres`] (live models), [`listen`], [`summary`] (the live lists
//! of the pages), [`figures`] (stats and report), [`http`] (routes).

pub mod centres;
pub mod config;
pub mod db;
pub mod figures;
pub mod http;
pub mod ingest;
pub mod listen;
pub mod summary;

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use centres::Registry;
use config::HubConfig;

/// How often estimates and opening hours of every centre are recomputed.
const REFRESH: Duration = Duration::from_secs(10);
/// How long start-up waits for the database.
const DB_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    Db(#[from] db::DbError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The `xephang hub` command: load the config (the embedded demo without `--config`), run
/// until `stop`.
pub fn main(
    config: Option<&Path>,
    bind: &str,
    stop: impl Future<Output = ()> + Send + 'static,
) -> ExitCode {
    let config = match config::load(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    raise_fd_limit();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, bind.to_string(), stop)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xephang hub: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Raises the soft open-file limit to the hard one: every phone on a ticket page is a
/// socket, and a province's phones outnumber the usual soft limit (1,024) many times (the
/// connection caps in `[limits]` stay the real bound). Logged by [`run`].
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a struct we own; no other effect than the limit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &want);
        }
    }
}

/// The soft open-file limit in force (None if it cannot be read).
fn fd_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills a struct we own.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim.rlim_cur)
}

/// Migrates, rebuilds every centre from the database, listens, serves.
pub async fn run(
    config: HubConfig,
    bind: String,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HubError> {
    let config = Arc::new(config);
    let pool = db::pool(&config.database_url, 16)?;
    let started = std::time::Instant::now();
    loop {
        match db::migrate(&pool).await {
            Ok(()) => break,
            Err(e) if started.elapsed() < DB_WAIT => {
                tracing::warn!(error = %e, "database not ready; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let registry = Arc::new(Registry::new(pool.clone()));
    let t = std::time::Instant::now();
    let n = registry.load_all().await?;
    tracing::info!(
        centres = n,
        took_ms = t.elapsed().as_millis() as u64,
        "read models rebuilt from PostgreSQL"
    );

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    tokio::spawn(listen::run(
        config.database_url.clone(),
        registry.clone(),
        shutdown_rx.clone(),
    ));
    {
        let registry = registry.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(REFRESH);
            loop {
                every.tick().await;
                registry.refresh_all();
            }
        });
    }
    let summaries = summary::spawn(registry.clone(), pool.clone(), config.clone());
    let hub = Arc::new(http::Hub {
        config: config.clone(),
        pool,
        registry,
        summaries,
        shutdown: shutdown_rx,
        ws_clients: AtomicU64::new(0),
        ws_dropped_slow: AtomicU64::new(0),
    });
    let router = http::router(hub);
    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|source| HubError::Bind {
            addr: bind.clone(),
            source,
        })?;
    let addr = listener.local_addr()?;
    println!("xephang hub listening on http://{addr}");
    println!("  Các trung tâm / Every centre:      http://{addr}/");
    println!("  Bảng điều hành tỉnh / Province:    http://{addr}/province?token=<province token>");
    println!("  API: http://{addr}/api/v1/centres · http://{addr}/healthz");
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    tracing::info!(%addr, name = %config.name, open_files = ?fd_limit(), "hub listening");
    // The lobby's connection caps at their defaults (a province's IT puts a proxy in front).
    let conns = crate::conn_limit::ConnLimiter::new(&crate::config::Limits::default());
    crate::server::serve(
        listener,
        None,
        router,
        Duration::from_secs(10),
        conns,
        shutdown_tx,
        stop,
    )
    .await;
    Ok(())
}
