//! xephang — the lobby daemon of a Vietnamese one-stop public service centre.
//!
//! One process runs a whole lobby: kiosks issue numbered tickets, clerks call them, wall TVs
//! and phones follow live over WebSockets, a voice announces each call. See docs/ARCHITECTURE.md for
//! the architecture: one writer ([`engine`]) journals every event ([`journal`]) before it
//! is acknowledged, the read model ([`read`]) published by the broadcaster ([`broadcast`])
//! serves everyone else without waiting for it.

pub mod admin_export;
pub mod api;
pub mod audio;
pub mod banner;
pub mod broadcast;
pub mod config;
pub mod conn_limit;
pub mod csv;
pub mod datalock;
pub mod devices;
pub mod domain;
pub mod engine;
pub mod heartbeat;
pub mod https_redirect;
pub mod journal;
pub mod metrics;
pub mod print;
pub mod province;
pub mod read;
pub mod report;
pub mod server;
pub mod sim;
pub mod stats;
pub mod tls;
pub mod uplink;
pub mod view;
pub mod voice;
pub mod watchdog;
