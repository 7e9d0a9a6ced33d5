//! The hub's live centres: one read model per centre behind its own [`Broadcaster`] (the
//! lobby's read side, reused as is), built from PostgreSQL alone — the centre's spec from
//! `centres`, its current day's events from `events` — and moved forward by the events
//! this process ingests and by those other hub processes announce (LISTEN/NOTIFY). Each
//! centre's catch-ups are serialised by a gate, and a batch is only ever published when it
//! follows the model's seq exactly: otherwise the missing events are read from the database.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, FixedOffset, Utc};
use deadpool_postgres::Pool;
use tokio::sync::{Mutex, Notify};

use super::db::{self, DbError};
use crate::broadcast::Broadcaster;
use crate::domain::spec::CentreSpec;
use crate::domain::{Envelope, Event};
use crate::read::{CentreInfo, ReadModel};

/// Events read from the database per query during a catch-up.
const CATCH_UP_CHUNK: i64 = 5000;
/// Frames each centre keeps for `since` resumption (a lobby keeps 2,048; with 100 centres
/// the hub would hold a gigabyte of frames). A phone further behind gets a snapshot.
const RING: usize = 256;
/// Centres rebuilt at once at start (the rebuild is CPU-bound: JSON and the fold).
const LOAD_PARALLEL: usize = 4;

pub struct Live {
    pub id: String,
    pub spec: Arc<CentreSpec>,
    pub read: Arc<Broadcaster>,
    /// Serialises catch-ups and rebuilds of this centre (shared with the `Live` a rebuild
    /// replaces, which sockets may still hold).
    gate: Arc<Mutex<()>>,
}

impl Live {
    /// Now in the centre's timezone.
    pub fn now(&self) -> DateTime<FixedOffset> {
        Utc::now().with_timezone(&self.spec.timezone).fixed_offset()
    }

    fn publish(&self, events: Vec<Envelope>) {
        let shared: Vec<Arc<Envelope>> = events.into_iter().map(Arc::new).collect();
        self.read.publish(&shared, self.now());
    }
}

pub struct Registry {
    pool: Pool,
    centres: RwLock<BTreeMap<String, Arc<Live>>>,
    /// Woken whenever a centre's model or freshness may have changed (dashboards).
    pub changed: Notify,
}

impl Registry {
    pub fn new(pool: Pool) -> Registry {
        Registry {
            pool,
            centres: RwLock::new(BTreeMap::new()),
            changed: Notify::new(),
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Live>> {
        self.centres.read().ok()?.get(id).cloned()
    }

    pub fn all(&self) -> Vec<Arc<Live>> {
        self.centres
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Builds every centre the database knows (start-up, and after the LISTEN link was
    /// lost: notifications may have been missed).
    pub async fn load_all(self: &Arc<Self>) -> Result<usize, DbError> {
        let rows = db::centres(&self.pool).await?;
        let permits = Arc::new(tokio::sync::Semaphore::new(LOAD_PARALLEL));
        let tasks: Vec<_> = rows
            .into_iter()
            .map(|row| {
                let me = self.clone();
                let permits = permits.clone();
                tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    me.load(&row.id).await
                })
            })
            .collect();
        let mut n = 0;
        for t in tasks {
            let loaded = t.await.map_err(|e| DbError::Data(e.to_string()))??;
            n += usize::from(loaded.is_some());
        }
        Ok(n)
    }

    /// Catches every centre of the database up (building the ones this process does not
    /// know): after the LISTEN link was (re)established, notifications may have been missed.
    pub async fn catch_up_all(&self) -> Result<(), DbError> {
        for row in db::centres(&self.pool).await? {
            self.catch_up(&row.id).await?;
        }
        Ok(())
    }

    /// (Re)builds one centre from the database: its spec and its current day's events.
    pub async fn load(&self, id: &str) -> Result<Option<Arc<Live>>, DbError> {
        let Some(row) = db::centre(&self.pool, id).await? else {
            return Ok(None);
        };
        let (Some(spec), Some(info)) = (row.spec, row.info) else {
            return Ok(None);
        };
        let spec = Arc::new(spec);
        // A rebuild (the lobby's spec changed) keeps the broadcaster, so the sockets already
        // open go on receiving frames; the model is replaced under the centre's gate.
        let old = self.get(id);
        let gate = old
            .as_ref()
            .map_or_else(|| Arc::new(Mutex::new(())), |o| o.gate.clone());
        let live = {
            let _gate = gate.lock().await;
            let events = db::current_day(&self.pool, id, &spec).await?;
            // The fold is CPU work (a busy day is ~10,000 events): off the async workers.
            let s = spec.clone();
            let fresh = tokio::task::spawn_blocking(move || model(s, info, &events))
                .await
                .map_err(|e| DbError::Data(e.to_string()))?;
            let read = match &old {
                Some(o) => {
                    o.read.reset(fresh);
                    o.read.clone()
                }
                None => Arc::new(Broadcaster::with_ring(fresh, RING)),
            };
            let live = Arc::new(Live {
                id: id.to_string(),
                spec,
                read,
                gate: gate.clone(),
            });
            if let Ok(mut m) = self.centres.write() {
                m.insert(id.to_string(), live.clone());
            }
            live
        };
        self.changed.notify_one();
        // Events stored while the day was read.
        self.catch_up_live(&live).await?;
        Ok(Some(live))
    }

    /// Publishes whatever the database holds after the centre's model (builds the centre
    /// when this process does not know it yet).
    pub async fn catch_up(&self, id: &str) -> Result<(), DbError> {
        match self.get(id) {
            Some(live) => self.catch_up_live(&live).await,
            None => self.load(id).await.map(|_| ()),
        }
    }

    async fn catch_up_live(&self, live: &Live) -> Result<(), DbError> {
        let id = live.id.as_str();
        let _gate = live.gate.lock().await;
        loop {
            let seq = live.read.current().seq();
            let events = db::after(&self.pool, id, &live.spec, seq, CATCH_UP_CHUNK).await?;
            if events.is_empty() {
                break;
            }
            let full = events.len() as i64 == CATCH_UP_CHUNK;
            live.publish(events);
            self.changed.notify_one();
            if !full {
                break;
            }
        }
        Ok(())
    }

    /// After this process stored `new` for `id`: publish them when they follow the model,
    /// else catch up from the database.
    pub async fn ingested(
        &self,
        id: &str,
        new: Vec<Envelope>,
        spec_changed: bool,
    ) -> Result<(), DbError> {
        let live = match self.get(id) {
            Some(l) if !spec_changed => l,
            _ => {
                self.load(id).await?;
                return Ok(());
            }
        };
        if new.is_empty() {
            self.changed.notify_one();
            return Ok(());
        }
        {
            let _gate = live.gate.lock().await;
            let seq = live.read.current().seq();
            let fresh: Vec<Envelope> = new.into_iter().filter(|e| e.seq > seq).collect();
            match fresh.first() {
                None => return Ok(()),
                Some(f) if f.seq == seq + 1 => {
                    live.publish(fresh);
                    self.changed.notify_one();
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        self.catch_up(id).await
    }

    /// Recomputes estimates and opening hours of every centre (they move with the clock).
    pub fn refresh_all(&self) {
        for live in self.all() {
            live.read.refresh(live.now());
        }
        self.changed.notify_one();
    }
}

/// The model of a centre from its current day's events alone.
fn model(spec: Arc<CentreSpec>, info: CentreInfo, events: &[Envelope]) -> ReadModel {
    let now = Utc::now().with_timezone(&spec.timezone).fixed_offset();
    let day = events
        .iter()
        .find_map(|e| match &e.event {
            Event::DayStarted { day, .. } => Some(*day),
            _ => None,
        })
        .unwrap_or_else(|| now.date_naive());
    ReadModel::replay(spec, Arc::new(info), day, events, now)
}
