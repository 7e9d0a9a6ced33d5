//! PostgreSQL: the pool, the embedded migrations and every query of the hub.
//!
//! Why tokio-postgres + deadpool-postgres rather than sqlx: the hub needs three things of
//! its client — typed array parameters for one multi-row `INSERT … SELECT FROM UNNEST(…)`
//! per batch, `LISTEN` notifications as a stream on a dedicated connection, and plain
//! runtime SQL with no database at compile time (the build machines of a province have
//! none). tokio-postgres gives all three directly (`Connection::poll_message` yields
//! notifications), with a smaller dependency tree than sqlx; deadpool adds the pool with
//! recycling checks. sqlx's compile-time checked queries need `DATABASE_URL` or an offline
//! cache at build time, and its listener is a separate abstraction over the same protocol.
//!
//! Schema (public and stable for BI tools, docs/HUB-SQL.md): `events (centre, seq, day, at,
//! kind, body jsonb, primary key (centre, seq))`, `centres` (one row per lobby: identity,
//! spec, last seq, freshness, a refused identity), views `daily_figures` and
//! `ticket_waits`. Migrations are a versioned list applied in one transaction at start
//! under an advisory lock (several hubs may start at once), recorded in
//! `schema_migrations`.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde_json::Value;
use thiserror::Error;
use tokio_postgres::NoTls;

use crate::domain::spec::CentreSpec;
use crate::domain::{Envelope, Event};
use crate::read::CentreInfo;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("database: {0}")]
    Pg(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database URL: {0}")]
    Url(String),
    #[error("stored data: {0}")]
    Data(String),
}

/// The notification channel: payload `<centre> <last seq>` after every push, `spec <centre>`
/// when a centre's spec changed.
pub const CHANNEL: &str = "xephang_events";

/// The versioned schema. Never edit an entry once released: add one.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE TABLE centres (
            id text PRIMARY KEY,
            identity text,
            spec jsonb,
            info jsonb,
            last_seq bigint NOT NULL DEFAULT 0,
            day date,
            lobby_seq bigint NOT NULL DEFAULT 0,
            last_event_at timestamptz,
            last_push_at timestamptz,
            refused_identity text,
            refused_at timestamptz,
            refused_count bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE events (
            centre text NOT NULL,
            seq bigint NOT NULL,
            day date NOT NULL,
            at timestamptz NOT NULL,
            kind text NOT NULL,
            body jsonb NOT NULL,
            PRIMARY KEY (centre, seq)
        );
        CREATE INDEX events_centre_day ON events (centre, day);
        CREATE INDEX events_day_started ON events (centre, seq) WHERE kind = 'day_started';",
    ),
    (
        2,
        "CREATE VIEW ticket_waits AS
         SELECT e.centre, e.day, e.body->'ticket'->>'number' AS number,
                e.body->'ticket'->>'service' AS service,
                (e.body->'ticket'->>'counter')::int AS counter,
                (e.body->'ticket'->>'issued_at')::timestamptz AS issued_at,
                (e.body->'ticket'->>'first_called_at')::timestamptz AS first_called_at,
                extract(epoch FROM (e.body->'ticket'->>'first_called_at')::timestamptz
                                 - (e.body->'ticket'->>'issued_at')::timestamptz)::int AS wait_s,
                (SELECT (s->>'target_wait_s')::int FROM centres c,
                        jsonb_array_elements(c.spec->'services') s
                  WHERE c.id = e.centre AND s->>'id' = e.body->'ticket'->>'service') AS target_wait_s
         FROM events e
         WHERE e.kind = 'ticket_called'
           AND e.body->'ticket'->>'called_at' = e.body->'ticket'->>'first_called_at';
        CREATE VIEW daily_figures AS
         SELECT e.centre, e.day,
                count(*) FILTER (WHERE e.kind = 'ticket_issued') AS issued,
                count(*) FILTER (WHERE e.kind = 'ticket_finished') AS served,
                count(*) FILTER (WHERE e.kind = 'ticket_no_show') AS no_show,
                count(*) FILTER (WHERE e.kind = 'ticket_cancelled') AS cancelled,
                count(*) FILTER (WHERE e.kind = 'ticket_transferred') AS transferred,
                count(*) FILTER (WHERE e.kind = 'ticket_expired') AS expired,
                count(*) FILTER (WHERE e.kind = 'rating') AS ratings,
                count(*) FILTER (WHERE e.kind = 'rating' AND (e.body->>'score')::int >= 3) AS ratings_satisfied,
                (SELECT count(*) FROM ticket_waits w WHERE w.centre = e.centre AND w.day = e.day) AS first_calls,
                (SELECT count(*) FROM ticket_waits w WHERE w.centre = e.centre AND w.day = e.day
                   AND w.wait_s <= w.target_wait_s) AS on_time,
                (SELECT round(avg(w.wait_s)) FROM ticket_waits w WHERE w.centre = e.centre AND w.day = e.day) AS wait_avg_s
         FROM events e
         GROUP BY e.centre, e.day;",
    ),
];

/// A pool on `url` (no TLS: the hub and its database share a private network, or a
/// socket); at most `size` connections.
pub fn pool(url: &str, size: usize) -> Result<Pool, DbError> {
    let pg: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| DbError::Url(e.to_string()))?;
    let mgr = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(mgr)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(10)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .recycle_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Url(e.to_string()))
}

/// Applies the migrations not applied yet, in one transaction.
pub async fn migrate(pool: &Pool) -> Result<(), DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // One hub migrates at a time; the others wait here and then find nothing to do.
    tx.execute("SELECT pg_advisory_xact_lock(7324501)", &[])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let done: Vec<i32> = tx
        .query("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    for (version, sql) in MIGRATIONS {
        if done.contains(version) {
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
        tracing::info!(version, "schema migration applied");
    }
    tx.commit().await?;
    Ok(())
}

/// A centre's row as the hub needs it at start.
pub struct CentreRow {
    pub id: String,
    pub spec: Option<CentreSpec>,
    pub info: Option<CentreInfo>,
}

fn centre_row(r: &tokio_postgres::Row) -> Result<CentreRow, DbError> {
    let spec: Option<Value> = r.try_get(1)?;
    let info: Option<Value> = r.try_get(2)?;
    let bad = |e: serde_json::Error| DbError::Data(e.to_string());
    Ok(CentreRow {
        id: r.try_get(0)?,
        spec: spec.map(serde_json::from_value).transpose().map_err(bad)?,
        info: info.map(serde_json::from_value).transpose().map_err(bad)?,
    })
}

pub async fn centres(pool: &Pool) -> Result<Vec<CentreRow>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query("SELECT id, spec, info FROM centres ORDER BY id", &[])
        .await?;
    rows.iter().map(centre_row).collect()
}

pub async fn centre(pool: &Pool, id: &str) -> Result<Option<CentreRow>, DbError> {
    let client = pool.get().await?;
    let row = client
        .query_opt("SELECT id, spec, info FROM centres WHERE id = $1", &[&id])
        .await?;
    row.as_ref().map(centre_row).transpose()
}

fn envelope(row: &tokio_postgres::Row, spec: &CentreSpec) -> Result<Envelope, DbError> {
    let seq: i64 = row.try_get(0)?;
    let at: DateTime<Utc> = row.try_get(1)?;
    // The body as text, parsed straight into the event (no intermediate JSON tree).
    let body: &str = row.try_get(2)?;
    let event: Event =
        serde_json::from_str(body).map_err(|e| DbError::Data(format!("event {seq}: {e}")))?;
    Ok(Envelope {
        seq: seq as u64,
        // The lobby stamps events in the centre's own offset; PostgreSQL keeps the instant.
        at: at.with_timezone(&spec.timezone).fixed_offset(),
        event,
    })
}

/// The centre's events since its last `day_started` (its current day), in seq order.
pub async fn current_day(
    pool: &Pool,
    id: &str,
    spec: &CentreSpec,
) -> Result<Vec<Envelope>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT seq, at, body::text FROM events WHERE centre = $1 AND seq >= COALESCE(
                (SELECT max(seq) FROM events WHERE centre = $1 AND kind = 'day_started'), 0)
             ORDER BY seq",
            &[&id],
        )
        .await?;
    rows.iter().map(|r| envelope(r, spec)).collect()
}

/// The centre's events after `after`, in seq order, at most `limit`.
pub async fn after(
    pool: &Pool,
    id: &str,
    spec: &CentreSpec,
    after: u64,
    limit: i64,
) -> Result<Vec<Envelope>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT seq, at, body::text FROM events WHERE centre = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&id, &(after as i64), &limit],
        )
        .await?;
    rows.iter().map(|r| envelope(r, spec)).collect()
}

/// A business day's events of a centre, in seq order.
pub async fn day(
    pool: &Pool,
    id: &str,
    spec: &CentreSpec,
    day: NaiveDate,
) -> Result<Vec<Envelope>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT seq, at, body::text FROM events WHERE centre = $1 AND day = $2 ORDER BY seq",
            &[&id, &day],
        )
        .await?;
    rows.iter().map(|r| envelope(r, spec)).collect()
}

/// Freshness and problems of every centre, for the dashboards.
pub struct Freshness {
    pub id: String,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub last_seq: u64,
    pub lobby_seq: u64,
    pub refused_identity: bool,
    pub refused_at: Option<DateTime<Utc>>,
}

pub async fn freshness(pool: &Pool) -> Result<Vec<Freshness>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, last_push_at, last_event_at, last_seq, lobby_seq,
                    refused_identity IS NOT NULL, refused_at FROM centres",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Freshness {
                id: r.try_get(0)?,
                last_push_at: r.try_get(1)?,
                last_event_at: r.try_get(2)?,
                last_seq: r.try_get::<_, i64>(3)? as u64,
                lobby_seq: r.try_get::<_, i64>(4)? as u64,
                refused_identity: r.try_get(5)?,
                refused_at: r.try_get(6)?,
            })
        })
        .collect()
}

/// Whether the database answers.
pub async fn ping(pool: &Pool) -> bool {
    match tokio::time::timeout(std::time::Duration::from_secs(3), pool.get()).await {
        Ok(Ok(c)) => c.simple_query("SELECT 1").await.is_ok(),
        _ => false,
    }
}

/// `at` as PostgreSQL stores it.
pub fn utc(at: DateTime<FixedOffset>) -> DateTime<Utc> {
    at.with_timezone(&Utc)
}
