//! The phones' `ticket` frames, built once and shared: every phone following one ticket
//! (250 of them per ticket in the hub's benchmark; one per ticket in a real lobby, but
//! the hub serves many lobbies) sends the same bytes after the same event, so the first
//! socket to need a frame builds it and the others clone it (a reference count).
//!
//! A frame is keyed by its ticket and the seq it shows the ticket as of: either an event's
//! (the ticket carried by that event) or a published model's (the ticket as that model holds
//! it) — which one is part of the key. The rule choosing between them is
//! src/api/ticket_feed.rs's. Bounded: two generations of at most [`GENERATION`] frames each;
//! when the newer fills up, the older is dropped (a socket lagging behind that far builds
//! its frame again, the same bytes). The lock is held for a map look-up or insert only,
//! never while building a frame, never across an await.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;

use crate::domain::ids::TicketId;

/// Frames per generation (a frame is about 400 bytes; the cache holds at most two
/// generations, and only while phones follow tickets of this centre).
pub const GENERATION: usize = 1024;

/// What a ticket frame shows its ticket as of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsOf {
    /// The ticket carried by the event of this seq.
    Event(u64),
    /// The ticket as the model published at this seq holds it (with its place in line).
    Model(u64),
}

#[derive(Default)]
struct Generations {
    newer: HashMap<(TicketId, AsOf), Utf8Bytes>,
    older: HashMap<(TicketId, AsOf), Utf8Bytes>,
}

/// Shared ticket frames of one centre (see the module documentation).
#[derive(Default)]
pub struct TicketFrames {
    frames: Mutex<Generations>,
}

impl TicketFrames {
    fn lock(&self) -> MutexGuard<'_, Generations> {
        // Plain maps: a panic elsewhere cannot leave them half-changed.
        self.frames.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The frame of `ticket` as of `as_of`, built by `build` if no socket built it yet.
    pub fn get_or_build(
        &self,
        ticket: TicketId,
        as_of: AsOf,
        build: impl FnOnce() -> Utf8Bytes,
    ) -> Utf8Bytes {
        let key = (ticket, as_of);
        {
            let g = self.lock();
            if let Some(f) = g.newer.get(&key).or_else(|| g.older.get(&key)) {
                return f.clone();
            }
        }
        let built = build();
        let mut g = self.lock();
        // Another socket may have built it meanwhile: keep one copy.
        if let Some(f) = g.newer.get(&key) {
            return f.clone();
        }
        if g.newer.len() >= GENERATION {
            g.older = std::mem::take(&mut g.newer);
        }
        g.newer.insert(key, built.clone());
        built
    }

    /// Forgets every frame (the model was replaced without events: a frame "as of" a seq
    /// may no longer be what that seq holds).
    pub fn clear(&self) {
        *self.lock() = Generations::default();
    }

    /// Frames held (for tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        let g = self.lock();
        g.newer.len() + g.older.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn id(n: u64) -> TicketId {
        TicketId(ulid::Ulid::from_parts(n, n.into()))
    }

    #[test]
    fn a_frame_is_built_once_and_shared() {
        let frames = TicketFrames::default();
        let builds = Cell::new(0);
        let build = || {
            builds.set(builds.get() + 1);
            Utf8Bytes::from("{\"type\":\"ticket\"}")
        };
        let a = frames.get_or_build(id(1), AsOf::Model(7), build);
        let b = frames.get_or_build(id(1), AsOf::Model(7), build);
        assert_eq!(builds.get(), 1);
        assert_eq!(a, b);
        // Another seq, another kind of seq, another ticket: each its own frame.
        frames.get_or_build(id(1), AsOf::Model(8), build);
        frames.get_or_build(id(1), AsOf::Event(7), build);
        frames.get_or_build(id(2), AsOf::Model(7), build);
        assert_eq!(builds.get(), 4);
        assert_eq!(frames.len(), 4);
    }

    #[test]
    fn it_holds_at_most_two_generations() {
        let frames = TicketFrames::default();
        let n = GENERATION as u64 * 3;
        for seq in 0..n {
            frames.get_or_build(id(1), AsOf::Model(seq), || Utf8Bytes::from("x"));
            assert!(frames.len() <= 2 * GENERATION);
        }
        // The latest frames are still there; the oldest are gone.
        let rebuilt = Cell::new(false);
        frames.get_or_build(id(1), AsOf::Model(n - 1), || {
            rebuilt.set(true);
            Utf8Bytes::from("x")
        });
        assert!(!rebuilt.get());
        frames.get_or_build(id(1), AsOf::Model(0), || {
            rebuilt.set(true);
            Utf8Bytes::from("x")
        });
        assert!(rebuilt.get());
        frames.clear();
        assert!(frames.is_empty());
    }
}
