//! The player on the daemon's PC: announcements played on the default sound device with rodio,
//! on a dedicated OS thread (never a tokio worker), one at a time, in the order they were
//! queued.
//!
//! [`PlayerHandle::announce`] only tries to push onto a channel bounded at [`QUEUE`]
//! announcements: it never blocks the engine or a request, and a burst cannot grow memory
//! without end — past the bound an announcement is dropped (logged, counted as skipped; one
//! that waited that long would be past `max_lag_s` anyway). The thread opens the device itself, so a missing or slow device never
//! delays start-up; with no device it logs one warning and every later `announce` is a no-op.
//!
//! Each announcement is rendered to one buffer (its clips were converted to one rate and
//! channel count when loaded, see [`super::clips`]) followed by `gap_ms` of silence, and
//! appended to a rodio [`Player`], whose queue plays sources back to back: never two at once.
//! The thread keeps at most one announcement waiting behind the one playing, so an
//! announcement still waiting `max_lag_s` after its call is skipped (with an info log) when its
//! turn comes, instead of being played late.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rodio::buffer::SamplesBuffer;
use rodio::source::EmptyCallback;
use rodio::{DeviceSinkBuilder, Player};

use super::clips::{samples_of_ms, MONO, RATE_NZ};
use super::settings::{AudioSettings, Output};
use super::Announcer;

/// Announcements waiting for the player thread, at most (about 7 minutes of calls at ~7 s
/// each, past any sensible `max_lag_s`).
pub const QUEUE: usize = 64;

/// What the player thread is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerState {
    /// `audio.output` is `browser` or `off`: nothing is played on this PC.
    Disabled,
    /// The thread is opening the sound device.
    Opening,
    /// The device is open; announcements are played.
    Playing,
    /// No sound device could be opened (warned once); announcements are dropped.
    NoDevice,
    /// The thread has ended.
    Stopped,
}

impl PlayerState {
    fn from_u8(v: u8) -> PlayerState {
        match v {
            0 => PlayerState::Disabled,
            1 => PlayerState::Opening,
            2 => PlayerState::Playing,
            3 => PlayerState::NoDevice,
            _ => PlayerState::Stopped,
        }
    }
}

enum Msg {
    Announce(Vec<String>, Instant),
    /// Play what is queued, then end the thread.
    Finish,
}

struct Shared {
    state: AtomicU8,
    /// Announcements queued and neither finished playing nor skipped.
    pending: AtomicUsize,
    played: AtomicU64,
    skipped: AtomicU64,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Shared {
    fn state(&self) -> PlayerState {
        PlayerState::from_u8(self.state.load(Ordering::SeqCst))
    }
    fn set(&self, state: PlayerState) {
        self.state.store(state as u8, Ordering::SeqCst);
    }
}

/// A handle on the device player. Clone it freely; when every handle is dropped the thread
/// stops (cutting short what is playing).
#[derive(Clone)]
pub struct PlayerHandle {
    tx: Option<SyncSender<Msg>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PlayerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlayerHandle")
            .field("state", &self.state())
            .field("pending", &self.pending())
            .finish()
    }
}

/// Starts the device player if `settings.output` is `device` or `both`. With no sound device it
/// logs one `warn` and the handle's [`PlayerHandle::announce`] does nothing. Never panics,
/// never blocks the caller (the device is opened on the player's own thread).
pub fn spawn_player(settings: &AudioSettings, announcer: Announcer) -> PlayerHandle {
    let shared = Arc::new(Shared {
        state: AtomicU8::new(PlayerState::Disabled as u8),
        pending: AtomicUsize::new(0),
        played: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        thread: Mutex::new(None),
    });
    if !matches!(settings.output, Output::Device | Output::Both) {
        return PlayerHandle { tx: None, shared };
    }
    shared.set(PlayerState::Opening);
    let (tx, rx) = queue();
    let config = Config {
        max_lag: Duration::from_secs(u64::from(settings.max_lag_s)),
        gap_samples: samples_of_ms(settings.gap_ms),
        volume: settings.volume,
    };
    let thread_shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("xephang-audio".into())
        .spawn(move || run(rx, thread_shared, announcer, config));
    match spawned {
        Ok(join) => {
            if let Ok(mut slot) = shared.thread.lock() {
                *slot = Some(join);
            }
            PlayerHandle {
                tx: Some(tx),
                shared,
            }
        }
        Err(e) => {
            tracing::warn!(
                "cannot start the audio player thread ({e}): calls are not announced on this PC"
            );
            shared.set(PlayerState::NoDevice);
            PlayerHandle { tx: None, shared }
        }
    }
}

impl PlayerHandle {
    /// Queues an announcement (its playlist of clip URLs) without blocking. Announcements are
    /// played in the order queued; one still waiting `max_lag_s` after `called_at` is skipped.
    pub fn announce(&self, playlist: Vec<String>, called_at: Instant) {
        let Some(tx) = &self.tx else {
            return;
        };
        if !matches!(self.state(), PlayerState::Opening | PlayerState::Playing) {
            return;
        }
        self.shared.pending.fetch_add(1, Ordering::SeqCst);
        match tx.try_send(Msg::Announce(playlist, called_at)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                dec(&self.shared.pending);
                self.shared.skipped.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(
                    queued = QUEUE,
                    "audio queue full: an announcement is dropped (the speaker is {QUEUE} calls behind)"
                );
            }
            Err(TrySendError::Disconnected(_)) => dec(&self.shared.pending),
        }
    }

    /// What the player is doing.
    pub fn state(&self) -> PlayerState {
        self.shared.state()
    }

    /// Announcements queued and not yet finished playing or skipped.
    pub fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::SeqCst)
    }

    /// (played, skipped) announcements so far (for tests and metrics).
    #[allow(dead_code)]
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.played.load(Ordering::SeqCst),
            self.shared.skipped.load(Ordering::SeqCst),
        )
    }

    /// Waits until the device is open or known missing; false on timeout.
    pub fn wait_opened(&self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while self.state() == PlayerState::Opening {
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Waits until nothing is queued or playing (or the player is gone); false on timeout.
    /// Blocking: for the CLI and tests, not for async code.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            let state = self.state();
            if self.pending() == 0 || !matches!(state, PlayerState::Opening | PlayerState::Playing)
            {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Plays what is queued, then stops the thread and waits for it (the device is closed when
    /// this returns). Blocking: for the CLI, tests and shutdown.
    pub fn finish(self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Finish);
        }
        let join = self.shared.thread.lock().ok().and_then(|mut j| j.take());
        if let Some(join) = join {
            let _ = join.join();
        }
    }
}

/// The channel from handles to the player thread: at most [`QUEUE`] announcements wait.
fn queue() -> (SyncSender<Msg>, Receiver<Msg>) {
    mpsc::sync_channel(QUEUE)
}

/// Decrements without wrapping below zero.
fn dec(counter: &AtomicUsize) {
    let _ = counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
        Some(v.saturating_sub(1))
    });
}

struct Config {
    max_lag: Duration,
    gap_samples: usize,
    volume: f32,
}

/// Marks the player stopped when the thread ends, even by a panic.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            tracing::error!(
                "the audio player thread failed: calls are no longer announced on this PC"
            );
        }
        if self.0.state() != PlayerState::NoDevice {
            self.0.set(PlayerState::Stopped);
        }
        self.0.pending.store(0, Ordering::SeqCst);
    }
}

fn run(rx: Receiver<Msg>, shared: Arc<Shared>, announcer: Announcer, config: Config) {
    let _guard = StopGuard(shared.clone());
    let mut sink = match DeviceSinkBuilder::open_default_sink() {
        Ok(sink) => sink,
        Err(e) => {
            shared.set(PlayerState::NoDevice);
            tracing::warn!(
                "no sound device ({e}): calls are not announced on this PC; boards opened with ?audio=1 still play them"
            );
            return;
        }
    };
    sink.log_on_drop(false);
    let player = Player::connect_new(sink.mixer());
    player.set_volume(config.volume);
    shared.set(PlayerState::Playing);
    tracing::info!("audio player ready on the default sound device");
    // Announcements appended to the rodio player and not yet finished.
    let in_player = Arc::new(AtomicUsize::new(0));
    loop {
        let (playlist, called_at) = match rx.recv() {
            Ok(Msg::Announce(playlist, at)) => (playlist, at),
            Ok(Msg::Finish) => {
                player.sleep_until_end();
                // Let the device play out its buffer before the stream is closed.
                std::thread::sleep(Duration::from_millis(300));
                break;
            }
            Err(_) => {
                player.stop();
                break;
            }
        };
        // Keep at most one announcement waiting behind the one playing: the lag is judged
        // when an announcement's turn comes, and playback stays gapless.
        while in_player.load(Ordering::SeqCst) > 1 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let lag = called_at.elapsed();
        if lag > config.max_lag {
            tracing::info!(
                "announcement skipped: called {}s ago (audio.max_lag_s = {}): {}",
                lag.as_secs(),
                config.max_lag.as_secs(),
                playlist.join(" ")
            );
            shared.skipped.fetch_add(1, Ordering::SeqCst);
            dec(&shared.pending);
            continue;
        }
        let mut samples = announcer.samples(&playlist);
        if samples.is_empty() {
            dec(&shared.pending);
            continue;
        }
        samples.resize(samples.len() + config.gap_samples, 0.0);
        in_player.fetch_add(1, Ordering::SeqCst);
        player.append(SamplesBuffer::new(MONO, RATE_NZ, samples));
        let done = AtomicBool::new(false);
        let (counter, shared2) = (in_player.clone(), shared.clone());
        player.append(EmptyCallback::new(Box::new(move || {
            if !done.swap(true, Ordering::SeqCst) {
                dec(&counter);
                shared2.played.fetch_add(1, Ordering::SeqCst);
                dec(&shared2.pending);
            }
        })));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of calls while the speaker is busy (nothing is taken off the queue) queues at
    /// most [`QUEUE`] announcements; the rest are dropped and counted, never blocking.
    #[test]
    fn the_queue_is_bounded_and_announce_never_blocks() {
        let shared = Arc::new(Shared {
            state: AtomicU8::new(PlayerState::Playing as u8),
            pending: AtomicUsize::new(0),
            played: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            thread: Mutex::new(None),
        });
        let (tx, rx) = queue();
        let handle = PlayerHandle {
            tx: Some(tx),
            shared,
        };
        let start = Instant::now();
        for i in 0..1000 {
            handle.announce(vec![format!("/sounds/vi/{i}.wav")], Instant::now());
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "announce never blocks"
        );
        assert_eq!(handle.pending(), QUEUE);
        assert_eq!(handle.counts(), (0, (1000 - QUEUE) as u64));
        assert_eq!(
            rx.try_iter().count(),
            QUEUE,
            "the first ones are kept, in order"
        );
    }
}
