//! Starting and stopping the daemon: lock the data folder, recover the journal, start the
//! writer, bind, serve, print the screens' URLs, and on Ctrl-C / SIGTERM close sockets and let
//! the writer finish (the lock is held until then, see [`crate::datalock`]).
//! [`build_app`] is the assembly without the socket, shared with the in-process HTTP fuzz
//! target (tests/fuzz), so that it fuzzes exactly the daemon that [`run`] serves.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::{self, App, AppState};
use crate::audio::settings::Output;
use crate::audio::{spawn_player, Announcer};
use crate::broadcast::Broadcaster;
use crate::config::Config;
use crate::conn_limit::ConnLimiter;
use crate::datalock::DataLock;
use crate::engine::{Clock, Engine};
use crate::metrics::Metrics;
use crate::read::ReadModel;
use crate::tls::Tls;

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
    #[error("{0}")]
    Locked(#[from] crate::datalock::LockError),
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("{0}")]
    Secret(#[from] crate::api::secret::SecretError),
    #[error("voice clips: {0}")]
    Audio(#[from] crate::audio::AudioError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The assembled daemon without its socket: what [`build_app`] returns.
pub struct Built {
    /// Every route with its middleware (limits, JSON errors, body limit), over [`Built::app`].
    pub router: axum::Router,
    /// The shared state behind the router (read side, engine handle, keys, config).
    pub app: AppState,
    /// The writer thread; it ends once every [`crate::engine::EngineHandle`] is dropped
    /// (the router's state holds one).
    pub writer: JoinHandle<()>,
    /// Sending `true` tells the WebSocket tasks to close their sockets (shutdown).
    pub shutdown: watch::Sender<bool>,
    /// The data folder's lock: keep it until the writer has stopped (dropping it lets
    /// another writer in).
    pub lock: DataLock,
}

/// Builds the daemon for `config` on `data_dir` with `clock`: creates the data directory,
/// takes its lock (before anything in it is opened; another process holding it is
/// [`ServerError::Locked`], with nothing written), recovers the journal, starts the writer thread, loads the voice clips and the signing
/// key, and assembles the router. Used by [`run`] and by the in-process HTTP fuzz target
/// (tests/fuzz), so both exercise the same assembly. Needs no Tokio runtime; starts no
/// timer, no audio player and no listener (that is [`run`]'s part).
pub fn build_app(
    config: Config,
    data_dir: PathBuf,
    displays_dir: Option<PathBuf>,
    clock: Clock,
) -> Result<Built, ServerError> {
    std::fs::create_dir_all(&data_dir).map_err(|source| ServerError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let lock = DataLock::acquire(&data_dir, "run")?;
    let keys = api::auth::Keys::load(&data_dir, &config)?;
    let config = Arc::new(config);
    let spec = Arc::new(config.spec.clone());
    let announcer = Announcer::new(&config.audio)?;
    let centre = Arc::new(config.centre_info());
    // Recovery replaces this empty model with the journal's day.
    let read = Arc::new(Broadcaster::new(ReadModel::new(
        spec.clone(),
        centre,
        chrono::NaiveDate::default(),
    )));
    let metrics = Arc::new(Metrics::default());
    // The recorded voice is put in use before the first call can be announced.
    let voice = Arc::new(crate::voice::Studio::open(
        &data_dir,
        announcer.clone(),
        spec.services.iter().filter_map(|s| s.prefix.as_deref()),
        &spec.name,
    ));
    let playlist_maker = announcer.clone();
    let announce = Box::new(
        move |number: &str, counter: crate::domain::ids::CounterId| {
            playlist_maker.playlist(number, counter.0)
        },
    );
    let started = Instant::now();
    let printers = Arc::new(crate::print::Printers::new(&config));
    let devices = Arc::new(crate::devices::Presence::new(
        spec.clone(),
        &config.devices,
        config.device_offline_min,
        clock.clone(),
    ));
    let mut engine = Engine::recover(
        spec.clone(),
        data_dir.join("journal"),
        read.clone(),
        metrics.clone(),
        announce,
        clock.clone(),
    )?;
    tracing::info!(seq = engine.state().seq, day = %engine.state().day, took_ms = started.elapsed().as_millis() as u64, "state recovered");
    let watched = printers.clone();
    engine.watch_printers(Arc::new(move || watched.inputs()));
    engine.watch_devices(devices.clone());
    let (handle, writer) = engine.spawn()?;

    let (shutdown, shutdown_rx) = watch::channel(false);
    let app = Arc::new(App {
        keys,
        config,
        engine: handle,
        read,
        logins: Default::default(),
        metrics,
        announcer: Some(announcer),
        voice,
        data_dir,
        displays_dir,
        shutdown: shutdown_rx,
        clock,
        printers,
        devices,
    });
    // The admin page's journalled changes (who may sign in) as recovered.
    app.sync_directory();
    Ok(Built {
        router: api::router(app.clone()),
        app,
        writer,
        shutdown,
        lock,
    })
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
    let clock: Clock = crate::engine::offset_clock(test_clock_offset());
    // A missing or bad certificate stops the daemon before anything else, naming the file.
    let tls = match config.server.tls.clone() {
        Some(files) => Some(Arc::new(
            tokio::task::spawn_blocking(move || Tls::load(&files))
                .await
                .map_err(|e| ServerError::Io(std::io::Error::other(e)))??,
        )),
        None => None,
    };
    if let Some(warning) =
        crate::tls::cleartext_warning(config.public_url.as_deref(), tls.is_some())
    {
        tracing::warn!("{warning}");
    }
    // Start-up reads the journal and the voice clips: off the runtime's workers.
    let Built {
        router,
        app,
        writer,
        shutdown,
        mut lock,
    } = tokio::task::spawn_blocking(move || build_app(config, data_dir, displays_dir, clock))
        .await
        .map_err(std::io::Error::other)??;

    if let (Output::Device | Output::Both, Some(announcer)) =
        (&app.config.audio.output, &app.announcer)
    {
        let player = spawn_player(&app.config.audio, announcer.clone());
        let (_, mut rx) = app.read.subscribe(None);
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

    crate::uplink::start(&app).await?;

    let ticker = {
        let handle = app.engine.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(DAY_CHECK);
            loop {
                every.tick().await;
                handle.tick().await;
            }
        })
    };
    let print_queues = start_printers(&app);
    let config = app.config.clone();
    let heartbeat = app.engine.heartbeat().clone();
    // From here on only the router's state holds the engine's handle (and the ticker's and
    // the print queues').
    drop(app);

    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|source| ServerError::Bind {
            addr: bind.clone(),
            source,
        })?;
    let addr = listener.local_addr()?;
    let redirect = match config.server.redirect_http {
        Some(at) => Some(
            TcpListener::bind(at)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: at.to_string(),
                    source,
                })?,
        ),
        None => None,
    };
    // Informative (names this process to a refused second writer): a failure only warns.
    let lock = tokio::task::spawn_blocking(move || {
        if let Err(e) = lock.record_bind(&addr.to_string()) {
            tracing::warn!(error = %e, "could not record the address in the lock file");
        }
        lock
    })
    .await
    .map_err(std::io::Error::other)?;
    crate::banner::print_urls(&config, addr, if tls.is_some() { "https" } else { "http" });
    if config.public_url.is_none() {
        tracing::warn!(
            "[centre] public_url is not set: QR codes on tickets point at the address each kiosk \
             used (127.0.0.1 on the server PC, a LAN address elsewhere), which phones on 4G cannot \
             open. Chưa đặt [centre] public_url: mã QR trên phiếu trỏ tới địa chỉ mà kiosk dùng."
        );
    }
    if let Some(r) = &redirect {
        println!("xephang redirects http://{} to https", r.local_addr()?);
    }
    tracing::info!(%addr, tls = tls.is_some(), "listening");
    crate::watchdog::ready();
    let feeder = crate::watchdog::start(heartbeat);
    let reloader = tokio::spawn(crate::tls::reload_on_sighup(tls.clone()));

    let header_timeout = Duration::from_secs(u64::from(config.limits.header_timeout_s));
    let conns = ConnLimiter::new(&config.limits);
    // One stop signal for both listeners.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let redirect = redirect.map(|listener| {
        let router = crate::https_redirect::router(addr.port());
        let (closing, _) = watch::channel(false);
        tokio::spawn(serve(
            listener,
            None,
            router,
            header_timeout,
            conns.clone(),
            closing,
            stopped(stop_rx.clone()),
        ))
    });
    serve(
        listener,
        tls,
        router,
        header_timeout,
        conns,
        shutdown,
        stopped(stop_rx),
    )
    .await;
    if let Some(redirect) = redirect {
        let _ = redirect.await;
    }
    crate::watchdog::stopping();
    drop(feeder);
    reloader.abort();
    ticker.abort();
    for q in print_queues {
        q.abort();
    }
    // The writer stops once the last handle (held by the router's state) is gone.
    let joined = tokio::task::spawn_blocking(move || writer.join());
    if tokio::time::timeout(Duration::from_secs(5), joined)
        .await
        .is_err()
    {
        tracing::warn!(
            "the writer did not stop within 5 s; every acknowledged event is already on disk"
        );
        // The writer may still append: keep the folder locked until the process exits.
        std::mem::forget(lock);
        return Ok(());
    }
    drop(lock);
    Ok(())
}

/// Starts one queue per kiosk printer (src/print): each reads the engine's clock and asks
/// the engine to check the alerts when its printer's condition changes.
fn start_printers(app: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    app.printers.start(
        |_| {
            let (spec, clock) = (app.spec().clone(), app.clock.clone());
            let engine = app.engine.clone();
            crate::print::queue::Env {
                now: Box::new(move || crate::engine::local_now(&spec, &clock)),
                changed: Box::new(move || engine.try_tick()),
            }
        },
        app.shutdown.clone(),
    )
}

/// How long shutdown waits for open HTTP connections to finish their request.
const DRAIN: Duration = Duration::from_secs(10);

/// The accept loop (instead of `axum::serve`, which sets no timer, so hyper's header-read
/// timeout would never fire): a connection past `conns`' caps is answered and closed; each
/// other connection is served by hyper's HTTP/1 server with a
/// Tokio timer and `header_timeout` (a client that does not finish sending a request's
/// headers within it, including an idle keep-alive connection, is disconnected: slowloris),
/// with the peer address as `ConnectInfo` and WebSocket upgrades. When `stop` resolves it
/// stops accepting, tells the WebSocket tasks through `shutdown` (they close their
/// sockets), asks every connection to finish its request and close, and waits for them
/// (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<Tls>>,
    router: axum::Router,
    header_timeout: Duration,
    conns: Arc<ConnLimiter>,
    shutdown: watch::Sender<bool>,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::service::TowerToHyperService;
    use tower_service::Service;

    let mut make = router.into_make_service_with_connect_info::<SocketAddr>();
    // Every connection task holds a receiver; `closed()` resolves when all have ended.
    let (open_tx, open_rx) = watch::channel(());
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, never spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // `[limits] http_total` / `http_per_ip` (conn_limit.rs): answered and closed.
        let slot = match conns.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                tracing::debug!(%peer, ?why, "connection refused");
                conns.refuse(stream, why);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(service) = make.call(peer).await;
        let hyper_service = TowerToHyperService::new(service);
        let shutdown_rx = shutdown.subscribe();
        let open = open_rx.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => {
                    serve_connection(stream, hyper_service, header_timeout, shutdown_rx, peer).await
                }
                // The handshake gets the same time as a request's headers (slowloris).
                Some(tls) => {
                    match tokio::time::timeout(header_timeout, tls.acceptor().accept(stream)).await
                    {
                        Ok(Ok(stream)) => {
                            serve_connection(
                                stream,
                                hyper_service,
                                header_timeout,
                                shutdown_rx,
                                peer,
                            )
                            .await
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            drop(open);
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: closing sockets, finishing the last batch");
    let _ = shutdown.send(true);
    drop(open_rx);
    if tokio::time::timeout(DRAIN, open_tx.closed()).await.is_err() {
        tracing::warn!("some connections were still open {DRAIN:?} after shutdown began");
    }
}

/// Serves one connection (plain or TLS) with hyper's HTTP/1 server until it ends, or until
/// shutdown asks it to finish its request and close.
async fn serve_connection<I, S>(
    io: I,
    service: S,
    header_timeout: Duration,
    mut shutdown_rx: watch::Receiver<bool>,
    peer: SocketAddr,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
        > + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut draining = *shutdown_rx.borrow();
    if draining {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            changed = shutdown_rx.changed(), if !draining => {
                if changed.is_err() || *shutdown_rx.borrow() {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
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
