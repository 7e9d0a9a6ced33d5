//! Ingest of a lobby's push (`POST /api/v1/uplink`, wire format in [`crate::uplink::wire`]):
//! one transaction per push, the centre's row locked (`FOR UPDATE`) so that several hub
//! processes on one database serialise pushes of the same centre; events stored once under
//! `(centre, seq)` with one multi-row `INSERT … SELECT FROM UNNEST(…) ON CONFLICT DO
//! NOTHING` (a batch sent twice changes nothing); `NOTIFY` in the same transaction, so the
//! other hubs hear of it exactly when it is committed.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Pool;
use serde_json::Value;

use super::db::{self, DbError, CHANNEL};
use crate::domain::{Envelope, Event};
use crate::uplink::wire::{Push, MAX_EVENTS};

/// What a push changed.
pub struct Ingested {
    pub last_seq: u64,
    /// Events stored by this push (those after the hub's previous last seq).
    pub new: Vec<Envelope>,
    /// The push carried a spec or screen facts different from the stored ones.
    pub spec_changed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("another data directory pushed this centre first")]
    Identity,
    #[error("the batch starts after the hub's last seq {0} + 1")]
    Gap(u64),
    #[error("the hub has no spec for this centre yet")]
    SpecNeeded,
    #[error("{0}")]
    Bad(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for IngestError {
    fn from(e: tokio_postgres::Error) -> Self {
        IngestError::Db(DbError::Pg(e))
    }
}

impl From<deadpool_postgres::PoolError> for IngestError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        IngestError::Db(DbError::Pool(e))
    }
}

/// Checks a push's shape before any database work.
pub fn check(push: &Push) -> Result<(), IngestError> {
    if push.events.len() > MAX_EVENTS {
        return Err(IngestError::Bad(format!(
            "at most {MAX_EVENTS} events per push"
        )));
    }
    if push.identity.len() != 32 || !push.identity.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(IngestError::Bad("identity must be 32 hex digits".into()));
    }
    for w in push.events.windows(2) {
        if w[1].seq != w[0].seq + 1 {
            return Err(IngestError::Bad(format!(
                "events must be consecutive: {} is followed by {}",
                w[0].seq, w[1].seq
            )));
        }
    }
    if push.events.first().is_some_and(|e| e.seq == 0) {
        return Err(IngestError::Bad("seq starts at 1".into()));
    }
    Ok(())
}

pub async fn ingest(pool: &Pool, push: &Push) -> Result<Ingested, IngestError> {
    check(push)?;
    let centre = push.centre.as_str();
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO centres (id, identity) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        &[&centre, &push.identity],
    )
    .await?;
    let row = tx
        .query_one(
            "SELECT identity, spec, info, last_seq, day FROM centres WHERE id = $1 FOR UPDATE",
            &[&centre],
        )
        .await?;
    let identity: Option<String> = row.try_get(0)?;
    let stored_spec: Option<Value> = row.try_get(1)?;
    let stored_info: Option<Value> = row.try_get(2)?;
    let last_seq = row.try_get::<_, i64>(3)? as u64;
    let mut day: Option<NaiveDate> = row.try_get(4)?;
    match identity {
        Some(id) if id != push.identity => {
            tx.execute(
                "UPDATE centres SET refused_identity = $2, refused_at = now(),
                        refused_count = refused_count + 1 WHERE id = $1",
                &[&centre, &push.identity],
            )
            .await?;
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&CHANNEL, &format!("refused {centre}")],
            )
            .await?;
            tx.commit().await?;
            return Err(IngestError::Identity);
        }
        Some(_) => {}
        None => {
            // An operator cleared it (docs/HUB-SQL.md): the next data dir to push owns it.
            tx.execute(
                "UPDATE centres SET identity = $2, refused_identity = NULL, refused_at = NULL WHERE id = $1",
                &[&centre, &push.identity],
            )
            .await?;
        }
    }
    let mut spec_changed = false;
    if let (Some(spec), Some(info)) = (&push.spec, &push.info) {
        let spec = serde_json::to_value(spec).map_err(|e| IngestError::Bad(e.to_string()))?;
        let info = serde_json::to_value(info).map_err(|e| IngestError::Bad(e.to_string()))?;
        if stored_spec.as_ref() != Some(&spec) || stored_info.as_ref() != Some(&info) {
            tx.execute(
                "UPDATE centres SET spec = $2, info = $3 WHERE id = $1",
                &[&centre, &spec, &info],
            )
            .await?;
            spec_changed = true;
        }
    } else if stored_spec.is_none() && !push.events.is_empty() {
        return Err(IngestError::SpecNeeded);
    }
    if let Some(first) = push.events.first() {
        if last_seq > 0 && first.seq > last_seq + 1 {
            return Err(IngestError::Gap(last_seq));
        }
    }
    let new: Vec<Envelope> = push
        .events
        .iter()
        .filter(|e| e.seq > last_seq)
        .cloned()
        .collect();
    let mut new_last = last_seq;
    if !new.is_empty() {
        let mut seqs = Vec::with_capacity(new.len());
        let mut days = Vec::with_capacity(new.len());
        let mut ats: Vec<DateTime<Utc>> = Vec::with_capacity(new.len());
        let mut kinds = Vec::with_capacity(new.len());
        let mut bodies = Vec::with_capacity(new.len());
        for e in &new {
            if let Event::DayStarted { day: d, .. } = &e.event {
                day = Some(*d);
            }
            seqs.push(e.seq as i64);
            days.push(day.unwrap_or_else(|| e.at.date_naive()));
            ats.push(db::utc(e.at));
            kinds.push(e.event.kind());
            bodies
                .push(serde_json::to_value(&e.event).map_err(|e| IngestError::Bad(e.to_string()))?);
        }
        tx.execute(
            "INSERT INTO events (centre, seq, day, at, kind, body)
             SELECT $1, * FROM UNNEST($2::bigint[], $3::date[], $4::timestamptz[], $5::text[], $6::jsonb[])
             ON CONFLICT (centre, seq) DO NOTHING",
            &[&centre, &seqs, &days, &ats, &kinds, &bodies],
        )
        .await?;
        new_last = new.last().map_or(last_seq, |e| e.seq);
        let last_at = ats.last().copied();
        tx.execute(
            "UPDATE centres SET last_seq = $2, day = $3, last_event_at = $4 WHERE id = $1",
            &[&centre, &(new_last as i64), &day, &last_at],
        )
        .await?;
    }
    tx.execute(
        "UPDATE centres SET last_push_at = now(), lobby_seq = $2 WHERE id = $1",
        &[&centre, &(push.lobby_seq as i64)],
    )
    .await?;
    if spec_changed {
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &format!("spec {centre}")],
        )
        .await?;
    }
    if !new.is_empty() {
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &format!("{centre} {new_last}")],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ingested {
        last_seq: new_last,
        new,
        spec_changed,
    })
}
