//! Process-wide helpers shared by the load tool and the province hub's benches (benches/hubkit
//! re-exports it): a clock comparable across processes, the open-file limit, and a
//! process's memory, CPU time and scheduling priority read from /proc.
#![allow(dead_code)]

/// CLOCK_MONOTONIC in nanoseconds: the same clock in every process of the machine, so a
/// time taken in the floor server's process compares with one taken here.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Raises this process's soft open-file limit to its hard limit (children inherit it).
/// Returns the soft limit now in force.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain getrlimit/setrlimit on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                lim = want;
            }
        }
    }
    lim.rlim_cur
}

/// Resident memory of a process, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    /// VmRSS: resident now.
    pub rss: u64,
    /// VmHWM: the peak resident size so far.
    pub hwm: u64,
}

pub fn mem_of(pid: u32) -> Mem {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    Mem {
        rss: field("VmRSS:"),
        hwm: field("VmHWM:"),
    }
}

/// The soft "Max open files" of a running process.
pub fn fd_limit_of(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The fields of a `/proc/.../stat` line after the command name (which may hold spaces):
/// index 0 is the state, 1 the parent pid, 11 and 12 utime and stime, 16 the nice value.
fn stat_fields(path: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn ticks_to_secs(f: &[String]) -> Option<f64> {
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(ticks / hz)
}

/// CPU seconds a process has used so far (user + system, all its threads), from
/// `/proc/PID/stat`; None when it cannot be read.
pub fn cpu_of(pid: u32) -> Option<f64> {
    ticks_to_secs(&stat_fields(&format!("/proc/{pid}/stat"))?)
}

/// CPU seconds used so far by the threads of `pid` whose name (`/proc/PID/task/TID/comm`)
/// starts with `name` (0 when none).
pub fn thread_cpu_of(pid: u32, name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with(name))
        })
        .filter_map(|t| ticks_to_secs(&stat_fields(&t.path().join("stat").to_string_lossy())?))
        .sum()
}

/// The parent pid of a process.
pub fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(&format!("/proc/{pid}/stat"))?
        .get(1)?
        .parse()
        .ok()
}

/// The nice value of a process (of its main thread).
pub fn nice_of(pid: u32) -> Option<i32> {
    stat_fields(&format!("/proc/{pid}/stat"))?
        .get(16)?
        .parse()
        .ok()
}

/// The pids of the running processes whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| parent_of(p) == Some(pid))
        .collect()
}

/// The lowest CPU priority Linux has: `SCHED_IDLE` (a thread runs only when no thread of
/// normal priority wants its core, and one that wakes takes the core at once) with nice 19,
/// or nice 19 alone where `SCHED_IDLE` is refused.
pub const LOWEST: Priority = Priority {
    idle: true,
    nice: 19,
};
/// The default: `SCHED_OTHER` at nice 0.
pub const NORMAL: Priority = Priority {
    idle: false,
    nice: 0,
};

/// A scheduling policy and nice value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    /// `SCHED_IDLE` rather than `SCHED_OTHER`.
    pub idle: bool,
    pub nice: i32,
}

impl Priority {
    /// Applies to one thread (`tid`; 0: the calling one). Only plain system calls: fit for
    /// `pre_exec`. The policy is tried first; nice is applied in any case.
    pub fn apply_to_thread(self, tid: i32) -> std::io::Result<()> {
        let param = libc::sched_param { sched_priority: 0 };
        let policy = if self.idle {
            libc::SCHED_IDLE
        } else {
            libc::SCHED_OTHER
        };
        // SAFETY: plain system calls taking integers and a parameter we own.
        let sched = unsafe { libc::sched_setscheduler(tid, policy, &param) };
        let sched_err = std::io::Error::last_os_error();
        // SAFETY: as above.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, self.nice) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if sched != 0 && !self.idle {
            return Err(sched_err);
        }
        Ok(())
    }

    /// Applies to every thread of a process (on Linux both calls act on one thread).
    pub fn apply(self, pid: u32) -> Result<(), String> {
        let tasks: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map_err(|e| format!("/proc/{pid}/task: {e}"))?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        for tid in tasks {
            self.apply_to_thread(tid)
                .map_err(|e| format!("priority {self:?} of thread {tid}: {e}"))?;
        }
        Ok(())
    }

    /// What a thread of `pid` runs at now (its main thread's policy and nice value).
    pub fn of(pid: u32) -> Option<Priority> {
        // SAFETY: sched_getscheduler takes a pid.
        let policy = unsafe { libc::sched_getscheduler(pid as libc::pid_t) };
        Some(Priority {
            idle: policy == libc::SCHED_IDLE,
            nice: nice_of(pid)?,
        })
    }

    pub fn label(self) -> String {
        if self.idle {
            format!("SCHED_IDLE, nice {}", self.nice)
        } else {
            format!("nice {}", self.nice)
        }
    }
}

/// What [`watch_listening`] reports: the address parsed from the line, and when it came.
pub type Listening = (
    Result<std::net::SocketAddr, std::net::AddrParseError>,
    std::time::Instant,
);

/// Reads a child's stdout on a thread of its own and reports the address of its first line
/// starting with `prefix` (e.g. `xephang listening on http://`); keeps draining the pipe
/// afterwards so the child never blocks on it.
pub fn watch_listening(
    out: impl std::io::Read + Send + 'static,
    prefix: &'static str,
) -> std::sync::mpsc::Receiver<Listening> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.trim().strip_prefix(prefix) {
                if let Some(t) = tx.take() {
                    let _ = t.send((rest.trim().parse(), std::time::Instant::now()));
                }
            }
        }
    });
    rx
}
