//! Printing tickets on a kiosk's thermal printer from the daemon (ESC/POS), for kiosks whose
//! config names a `printer`: browsers print tickets A4, behind dialogs, or not at all (an
//! Android tablet), and printers misprint Vietnamese text sent as characters (code pages
//! differ from printer to printer). So the daemon draws each ticket itself, as an image at
//! the paper's width, and sends it as a raster.
//!
//! Inside: `target` (addresses and paper), `content` (what a ticket says), `font`, `canvas`
//! and `render` (drawing), `escpos` (bytes and status), `transport` (tcp / device / file,
//! bounded in time), `queue` (one task per printer), `health` (its condition and the
//! outcome notices), `cli` (`xephang print-test`). The HTTP side is `src/api/print.rs`.
//!
//! A ticket is printed only after it is durable (the handler enqueues once the engine has
//! answered), never holds a request or the engine (bounded queue, `try_send`), and is never
//! printed twice by a retry: only attempts that sent none of its bytes are repeated.

mod canvas;
pub mod cli;
pub mod content;
pub mod escpos;
mod font;
pub mod health;
pub mod queue;
pub mod render;
pub mod target;
pub mod transport;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, watch};

pub use canvas::Raster;
pub use content::TicketContent;
pub use target::{Paper, PrinterSpec, PrinterTarget};

use crate::config::{Config, DeviceRole};
use crate::domain::alerts::PrinterInput;
use crate::domain::ids::TicketId;
use health::{Health, Notice};
use queue::Job;

/// How long the issuing kiosk may reprint its ticket.
pub const REPRINT_WINDOW: Duration = Duration::from_secs(60);
/// Tickets remembered with their issuing kiosk (for reprints) at most; older ones go first.
const RECENT_MAX: usize = 4096;

/// One kiosk's printer: its queue's sending side, its health and its notices.
pub struct Printer {
    /// The kiosk device's name (config), which also names the printer.
    pub name: String,
    pub spec: PrinterSpec,
    tx: mpsc::Sender<Job>,
    rx: Mutex<Option<mpsc::Receiver<Job>>>,
    health: Mutex<Health>,
    notices: broadcast::Sender<Notice>,
}

impl Printer {
    fn new(name: String, spec: PrinterSpec) -> Printer {
        let (tx, rx) = mpsc::channel(queue::QUEUE_DEPTH);
        Printer {
            name,
            spec,
            tx,
            rx: Mutex::new(Some(rx)),
            health: Mutex::new(Health::default()),
            notices: broadcast::channel(64).0,
        }
    }

    fn lock_health(&self) -> MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn health(&self) -> Health {
        self.lock_health().clone()
    }

    /// Jobs waiting in its queue.
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Queues a ticket without waiting. Err: the reason it will not print (the printer is
    /// known to be down, or its queue is full).
    pub fn enqueue(
        &self,
        ticket: TicketId,
        content: TicketContent,
        reprint: bool,
    ) -> Result<(), &'static str> {
        let condition = self.health().condition;
        if condition.blocks() {
            self.lock_health().failed += 1;
            return Err(condition.word());
        }
        let job = Job {
            ticket,
            content,
            enqueued: tokio::time::Instant::now(),
            reprint,
        };
        self.tx.try_send(job).map_err(|e| {
            self.lock_health().failed += 1;
            match e {
                mpsc::error::TrySendError::Full(_) => "queue_full",
                mpsc::error::TrySendError::Closed(_) => "stopped",
            }
        })
    }

    fn notify(&self, job: &Job, status: &'static str, reason: Option<&'static str>) {
        let _ = self
            .notices
            .send(Notice::of(&self.name, job, status, reason));
    }
}

/// Every printer of the centre, and which kiosk issued which recent ticket.
pub struct Printers {
    printers: BTreeMap<String, Arc<Printer>>,
    /// Kiosk device token → device name (every kiosk, with or without a printer).
    kiosks: HashMap<String, String>,
    recent: Mutex<HashMap<TicketId, (String, Instant)>>,
}

impl Printers {
    /// The printers of `config`'s kiosks (no task runs until [`Printers::start`]).
    pub fn new(config: &Config) -> Printers {
        let kiosks = config
            .devices
            .iter()
            .filter(|d| d.role == DeviceRole::Kiosk);
        let mut printers = BTreeMap::new();
        let mut tokens = HashMap::new();
        for d in kiosks {
            if !d.token.is_empty() {
                tokens.insert(d.token.clone(), d.name.clone());
            }
            if let Some(spec) = &d.printer {
                let p = Printer::new(d.name.clone(), spec.clone());
                printers.insert(d.name.clone(), Arc::new(p));
            }
        }
        Printers {
            printers,
            kiosks: tokens,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Starts one queue task per printer (once; later calls start nothing).
    pub fn start(
        &self,
        env: impl Fn(&str) -> queue::Env,
        shutdown: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        for p in self.printers.values() {
            let rx = p.rx.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(rx) = rx {
                tracing::info!(printer = %p.name, target = %p.spec.target, paper_mm = p.spec.paper.mm(), "print queue started");
                let run = queue::run(
                    p.clone(),
                    rx,
                    env(&p.name),
                    transport::Limits::default(),
                    shutdown.clone(),
                );
                tasks.push(tokio::spawn(run));
            }
        }
        tasks
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Printer>> {
        self.printers.get(name)
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Printer>> {
        self.printers.values()
    }

    /// The kiosk device a token belongs to.
    pub fn kiosk_of_token(&self, token: &str) -> Option<&str> {
        self.kiosks.get(token).map(String::as_str)
    }

    /// Whether a kiosk of that name is configured (with or without a printer).
    pub fn kiosk_of_name(&self, name: &str) -> bool {
        self.kiosks.values().any(|n| n == name)
    }

    /// The printers' conditions, for the engine's alert check.
    pub fn inputs(&self) -> Vec<PrinterInput> {
        self.printers
            .values()
            .map(|p| PrinterInput {
                printer: p.name.clone(),
                condition: p.health().condition.input(),
            })
            .collect()
    }

    /// Remembers that `kiosk` issued `ticket` now.
    pub fn remember(&self, ticket: TicketId, kiosk: &str) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() >= RECENT_MAX {
            recent.retain(|_, (_, at)| at.elapsed() < REPRINT_WINDOW);
            if recent.len() >= RECENT_MAX {
                recent.clear();
            }
        }
        recent.insert(ticket, (kiosk.to_string(), Instant::now()));
    }

    /// The kiosk that issued `ticket`, and how long ago (tickets of this run only).
    pub fn issued_by(&self, ticket: &TicketId) -> Option<(String, Duration)> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent
            .get(ticket)
            .map(|(kiosk, at)| (kiosk.clone(), at.elapsed()))
    }

    /// The print outcomes of `kiosk`'s tickets, for its WebSocket.
    pub fn subscribe(&self, kiosk: &str) -> Option<broadcast::Receiver<Notice>> {
        self.printers.get(kiosk).map(|p| p.notices.subscribe())
    }
}

/// The next print outcome as a WebSocket frame; never resolves without a subscription.
pub async fn next_frame(rx: &mut Option<broadcast::Receiver<Notice>>) -> String {
    loop {
        let Some(r) = rx.as_mut() else {
            return std::future::pending().await;
        };
        match r.recv().await {
            Ok(n) => return n.frame(),
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => *rx = None,
        }
    }
}
