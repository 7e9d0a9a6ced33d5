//! LISTEN in every hub process: several hubs serve one database, and each learns of the
//! events the others stored from PostgreSQL's notifications (sent in the storing
//! transaction, so delivered exactly when committed). A dedicated connection (not from the
//! pool) listens; when it is lost — the database restarted — the hub reconnects with
//! backoff and catches every centre up from the database, since notifications sent
//! meanwhile are gone.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use super::centres::Registry;
use super::db::CHANNEL;

pub async fn run(url: String, registry: Arc<Registry>, mut shutdown: watch::Receiver<bool>) {
    let mut failures: u32 = 0;
    loop {
        match listen_once(&url, &registry, &mut shutdown, &mut failures).await {
            Ok(()) => return, // shutdown
            Err(e) => {
                failures += 1;
                let wait = Duration::from_millis(200 * u64::from(failures.min(25)));
                tracing::warn!(error = %e, retry_ms = wait.as_millis() as u64, "LISTEN connection lost; reconnecting");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

async fn listen_once(
    url: &str,
    registry: &Registry,
    shutdown: &mut watch::Receiver<bool>,
    failures: &mut u32,
) -> Result<(), String> {
    let (client, mut conn) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| e.to_string())?;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_string()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN connection error");
                    break;
                }
            }
        }
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| e.to_string())?;
        // Whatever was stored while this process was not listening.
        if let Err(e) = registry.catch_up_all().await {
            return Err(e.to_string());
        }
        tracing::info!("listening for other hubs' events");
        // Listening again: the next loss starts its backoff from the shortest wait (it kept
        // growing over the process's life, up to 5 s after a few outages).
        *failures = 0;
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(payload) => handle(registry, &payload).await,
                    None => return Err("the LISTEN connection closed".to_string()),
                },
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }
    .await;
    driver.abort();
    result
}

async fn handle(registry: &Registry, payload: &str) {
    let mut parts = payload.split(' ');
    let (a, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let result = match (a, b) {
        ("spec", centre) => registry.load(centre).await.map(|_| ()),
        ("refused", _) => {
            registry.changed.notify_one();
            Ok(())
        }
        (centre, seq) => {
            let seq: u64 = seq.parse().unwrap_or(u64::MAX);
            match registry.get(centre) {
                Some(live) if live.read.current().seq() >= seq => Ok(()),
                _ => registry.catch_up(centre).await,
            }
        }
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, %payload, "catching up after a notification failed");
    }
}
