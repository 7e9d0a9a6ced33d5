//! The pure core of xephang: ids, the centre's rules, tickets, events, the day's state and
//! the decisions that change it. No I/O, no tokio, no clock: time comes in as an argument,
//! so a whole simulated day runs through it in milliseconds.

pub mod admin;
pub mod admin_audit;
pub mod admin_check;
pub mod admin_roster;
pub mod alerts;
pub mod decide;
pub mod device_alerts;
pub mod error;
pub mod event;
pub mod ids;
pub mod line_moves;
pub mod next_up;
pub mod personal;
pub mod rules;
pub mod scrub;
pub mod select;
pub mod service_time;
pub mod slots;
pub mod spec;
pub mod state;
pub mod ticket;

pub use decide::{decide, Command, Ctx};
pub use error::DomainError;
pub use event::{Envelope, Event};
pub use state::State;

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
pub(crate) mod tests;
