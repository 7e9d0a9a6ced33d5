//! One log line per command the writer carried out or refused, without personal data
//! (bookings' names and phone numbers, call-back numbers, comments) or admin hashes.

use std::sync::Arc;

use super::Actor;
use crate::domain::{Command, DomainError, Envelope};

/// A command for the log, without personal data (names and phone numbers of bookings and
/// call-back numbers) or the citizen's comment.
fn describe(cmd: &Command) -> String {
    match cmd {
        Command::Book { service, start, .. } => {
            format!("Book {{ service: {service}, start: {start} }}")
        }
        Command::Rate {
            ticket,
            counter,
            score,
            source,
            ..
        } => format!(
            "Rate {{ ticket: {ticket:?}, counter: {counter:?}, score: {score}, source: {source:?} }}"
        ),
        // Admin changes carry PIN and token hashes: their kind and author only.
        Command::Admin { change, by, .. } => format!("Admin {{ {} by {} }}", change.kind(), by.id),
        other => format!("{other:?}"),
    }
}

pub(super) fn log_command(
    cmd: &Command,
    actor: &Actor,
    outcome: &Result<std::ops::Range<usize>, DomainError>,
    envs: &[Arc<Envelope>],
) {
    match outcome {
        Ok(r) => {
            let kinds: Vec<&str> = envs[r.clone()].iter().map(|e| e.event.kind()).collect();
            let seq = envs[r.clone()].last().map(|e| e.seq);
            tracing::info!(who = %actor.0, cmd = %describe(cmd), events = ?kinds, seq, "command done");
        }
        Err(e) => {
            tracing::info!(who = %actor.0, cmd = %describe(cmd), refused = e.code(), "command refused")
        }
    }
}
