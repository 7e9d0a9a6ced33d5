//! The hub and its PostgreSQL standing in for another machine: in a province the hub runs
//! far from the lobby PC, so a bench that measures the lobby with a hub on the same cores
//! runs the hub and PostgreSQL at the lowest CPU priority ([`LOWEST`]: `SCHED_IDLE`, nice
//! 19). The lobby and the clients stay at the normal priority; the kernel then gives the
//! hub only what they leave, and a lobby thread that wakes takes a core from it at once
//! (nice 19 alone does not do that on an EEVDF kernel: a nice-19 task keeps its core for
//! the rest of its slice, ~1.5 ms on 2 cores, and a call crosses several threads).

use crate::load::procs::{children_of, parent_of, Priority, LOWEST, NORMAL};

/// What the stand-ins for another machine run at.
pub const REMOTE: Priority = LOWEST;

/// PostgreSQL's postmaster and its processes at [`REMOTE`] (backends forked later inherit
/// it from the postmaster); their former priority is restored on drop, so the throwaway
/// cluster serves the other benches as before.
pub struct PgLowered {
    postmaster: u32,
    before: Priority,
    /// How many processes were lowered (the postmaster and its children then).
    pub processes: usize,
    /// The server's data directory (`SHOW data_directory`), when it may be read.
    pub data_directory: Option<std::path::PathBuf>,
}

impl PgLowered {
    /// Finds the postmaster of the server at `url` (the parent of our own backend: the
    /// server must run on this machine) and lowers it and its children.
    pub async fn lower(url: &str) -> Result<PgLowered, String> {
        let c = super::client_for(url).await?;
        let backend: i32 = c
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .map_err(|e| format!("pg_backend_pid: {e}"))?
            .get(0);
        let postmaster = parent_of(backend as u32)
            .ok_or("PostgreSQL's processes are not on this machine (no /proc entry)")?;
        let before = Priority::of(postmaster).unwrap_or(NORMAL);
        REMOTE.apply(postmaster)?;
        let mut processes = 1;
        for child in children_of(postmaster) {
            if REMOTE.apply(child).is_ok() {
                processes += 1;
            }
        }
        let data_directory = c
            .query_one("SHOW data_directory", &[])
            .await
            .ok()
            .map(|r| std::path::PathBuf::from(r.get::<_, String>(0)));
        Ok(PgLowered {
            postmaster,
            before,
            processes,
            data_directory,
        })
    }
}

impl Drop for PgLowered {
    fn drop(&mut self) {
        let _ = self.before.apply(self.postmaster);
        for child in children_of(self.postmaster) {
            let _ = self.before.apply(child);
        }
    }
}
