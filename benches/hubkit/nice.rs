//! The hub and its PostgreSQL standing in for another machine: in a province the hub runs
//! far from the lobby PC, so a bench that measures the lobby with a hub on the same cores
//! runs the hub and PostgreSQL at the lowest CPU priority (nice 19). The lobby and the
//! clients stay at the normal priority; the kernel then gives the hub only what they leave.

use crate::load::procs::{children_of, nice_of, parent_of, renice};

/// The nice value the stand-ins for another machine run at.
pub const REMOTE_NICE: i32 = 19;

/// PostgreSQL's postmaster and its processes reniced to [`REMOTE_NICE`] (backends forked
/// later inherit it from the postmaster); their former nice value is restored on drop, so
/// the throwaway cluster serves the other benches as before.
pub struct PgNiced {
    postmaster: u32,
    before: i32,
    /// How many processes were reniced (the postmaster and its children then).
    pub processes: usize,
}

impl PgNiced {
    /// Finds the postmaster of the server at `url` (the parent of our own backend: the
    /// server must run on this machine) and renices it and its children.
    pub async fn renice(url: &str) -> Result<PgNiced, String> {
        let c = super::client_for(url).await?;
        let backend: i32 = c
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .map_err(|e| format!("pg_backend_pid: {e}"))?
            .get(0);
        let postmaster = parent_of(backend as u32)
            .ok_or("PostgreSQL's processes are not on this machine (no /proc entry)")?;
        let before = nice_of(postmaster).unwrap_or(0);
        renice(postmaster, REMOTE_NICE)?;
        let mut processes = 1;
        for child in children_of(postmaster) {
            if renice(child, REMOTE_NICE).is_ok() {
                processes += 1;
            }
        }
        Ok(PgNiced {
            postmaster,
            before,
            processes,
        })
    }
}

impl Drop for PgNiced {
    fn drop(&mut self) {
        let _ = renice(self.postmaster, self.before);
        for child in children_of(self.postmaster) {
            let _ = renice(child, self.before);
        }
    }
}
