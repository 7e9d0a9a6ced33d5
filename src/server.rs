//! Starting and stopping the daemon: recover the journal, start the writer, bind, serve,
//! print the screens' URLs, and on Ctrl-C / SIGTERM close sockets and let the writer finish.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::{self, App};
use crate::audio::settings::Output;
use crate::audio::{spawn_player, Announcer};
use crate::config::{Config, DeviceRole};
use crate::engine::{Clock, Engine};
use crate::hub::{CentreInfo, Hub};
use crate::metrics::Metrics;

/// How often the engine checks whether a new business day has begun.
const DAY_CHECK: Duration = Duration::from_secs(10);

pub struct RunOptions {
    pub config: Config,
    pub data_dir: PathBuf,
    pub bind: String,
    pub displays_dir: Option<PathBuf>,
}

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("voice clips: {0}")]
    Audio(#[from] crate::audio::AudioError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Runs the daemon until `stop` resolves.
pub async fn run(
    opts: RunOptions,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let RunOptions {
        config,
        data_dir,
        bind,
        displays_dir,
    } = opts;
    std::fs::create_dir_all(&data_dir).map_err(|source| ServerError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let config = Arc::new(config);
    let spec = Arc::new(config.spec.clone());
    let announcer = Announcer::new(&config.audio)?;
    let hub = Arc::new(Hub::new(
        &spec,
        CentreInfo {
            name: spec.name.clone(),
            name_en: spec.name_en.clone(),
            logo: config.logo.clone(),
            notice: config.notice.clone(),
        },
    ));
    let metrics = Arc::new(Metrics::default());
    let clock: Clock = crate::engine::offset_clock(test_clock_offset());
    let playlist_maker = announcer.clone();
    let announce = Box::new(
        move |number: &str, counter: crate::domain::ids::CounterId| {
            playlist_maker.playlist(number, counter.0)
        },
    );
    let started = Instant::now();
    let engine = Engine::recover(
        spec.clone(),
        data_dir.join("journal"),
        hub.clone(),
        metrics.clone(),
        announce,
        clock.clone(),
    )?;
    tracing::info!(seq = engine.state().seq, day = %engine.state().day, took_ms = started.elapsed().as_millis() as u64, "state recovered");
    let (handle, writer) = engine.spawn()?;

    if matches!(config.audio.output, Output::Device | Output::Both) {
        let player = spawn_player(&config.audio, announcer.clone());
        let (_, mut rx) = hub.subscribe(None);
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match rx.recv().await {
                    Ok(frame) => {
                        if let Some(playlist) = &frame.audio {
                            player.announce(playlist.clone(), Instant::now());
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "audio player fell behind the event stream")
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let app = Arc::new(App {
        keys: api::auth::Keys::load(&data_dir, &config.devices)?,
        config: config.clone(),
        spec,
        engine: handle.clone(),
        hub,
        logins: Default::default(),
        metrics,
        announcer: Some(announcer),
        data_dir,
        displays_dir,
        shutdown: shutdown_rx,
        clock,
        remote: Default::default(),
    });

    let ticker = {
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(DAY_CHECK);
            loop {
                every.tick().await;
                handle.tick().await;
            }
        })
    };
    drop(handle);

    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|source| ServerError::Bind {
            addr: bind.clone(),
            source,
        })?;
    let addr = listener.local_addr()?;
    print_urls(&config, addr);
    tracing::info!(%addr, "listening");

    let router = api::router(app);
    let signal = async move {
        stop.await;
        tracing::info!("shutting down: closing sockets, finishing the last batch");
        let _ = shutdown_tx.send(true);
    };
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .await?;
    ticker.abort();
    // The writer stops once the last handle (held by the router's state) is gone.
    let joined = tokio::task::spawn_blocking(move || writer.join());
    if tokio::time::timeout(Duration::from_secs(5), joined)
        .await
        .is_err()
    {
        tracing::warn!(
            "the writer did not stop within 5 s; every acknowledged event is already on disk"
        );
    }
    Ok(())
}

/// The clock shift of `XEPHANG_TEST_CLOCK_OFFSET_S` (tests only; 0 when unset).
fn test_clock_offset() -> i64 {
    let var = crate::engine::TEST_CLOCK_OFFSET_VAR;
    match std::env::var(var) {
        Err(_) => 0,
        Ok(v) => match v.trim().parse::<i64>() {
            Ok(s) => {
                tracing::warn!(
                    offset_s = s,
                    "{var} is set: the clock is shifted (for tests only)"
                );
                s
            }
            Err(_) => {
                tracing::warn!(value = %v, "{var} is not a whole number of seconds: ignored");
                0
            }
        },
    }
}

/// The first line is what scripts and tests wait for; then the screens, for people.
fn print_urls(config: &Config, addr: SocketAddr) {
    let base = format!("http://{addr}");
    let token = |role: DeviceRole| {
        config
            .devices
            .iter()
            .find(|d| d.role == role)
            .map(|d| format!("?token={}", d.token))
            .unwrap_or_default()
    };
    let rating = config
        .devices
        .iter()
        .find(|d| d.role == DeviceRole::Rating)
        .map(|d| (d.counter.map_or(1, |c| c.0), format!("?token={}", d.token)));
    let first_counter = config.spec.counters.first().map_or(1, |c| c.id.0);
    let mut out = format!("xephang listening on {base}\n");
    out.push_str(&format!("  Danh sách màn hình / Screens:      {base}/\n"));
    out.push_str(&format!(
        "  Bảng gọi số / Lobby board:         {base}/board{}\n",
        token(DeviceRole::Display)
    ));
    out.push_str(&format!(
        "  Màn hình quầy / Counter display:   {base}/display/{first_counter}{}\n",
        token(DeviceRole::Display)
    ));
    out.push_str(&format!(
        "  Kiosk lấy số / Ticket kiosk:       {base}/kiosk{}\n",
        token(DeviceRole::Kiosk)
    ));
    out.push_str(&format!(
        "  Cán bộ một cửa / Clerk terminal:   {base}/clerk\n"
    ));
    if let Some((n, t)) = rating {
        out.push_str(&format!(
            "  Đánh giá / Rating tablet:          {base}/rating/{n}{t}\n"
        ));
    }
    out.push_str(&format!(
        "  Giám sát / Supervisor:             {base}/supervisor{}\n",
        token(DeviceRole::Supervisor)
    ));
    out.push_str(&format!(
        "  Đặt lịch hẹn / Book appointment:   {base}/book\n"
    ));
    out.push_str(&format!(
        "  Phiếu trên điện thoại / Phone:     {base}/t/<ticket id> (QR on each ticket)\n"
    ));
    out.push_str(&format!(
        "  API: {base}/api/v1/state · {base}/healthz · WebSocket {base}/ws\n"
    ));
    print!("{out}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
