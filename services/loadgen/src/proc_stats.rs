//! RSS and CPU time of a process (the hub, or the load generator itself), of every PostgreSQL
//! process, and of the whole machine, read from `/proc`.

use std::time::Duration;

/// Linux counts CPU time in ticks of 1/USER_HZ seconds, and USER_HZ is 100.
const TICK: Duration = Duration::from_millis(10);

/// Resident memory of a process in KiB, from `/proc/<pid>/status` (VmRSS).
pub fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time (user + system) of one process, from `/proc/<pid>/stat`.
fn cpu_of(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(TICK * u32::try_from(ticks).ok()?)
}

/// CPU time of every running process named `name` (e.g. all of PostgreSQL's backends) together.
/// A process that exits between two readings takes its time with it, so this can undercount.
pub fn cpu_of_all_named(name: &str) -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .filter_map(cpu_of)
        .sum()
}

/// Busy CPU time of the whole machine, all cores together (from the `cpu` line of `/proc/stat`:
/// everything but idle and iowait).
pub fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let idle = ticks.get(3)? + ticks.get(4)?;
    // Guest time (fields 9 and 10) is already counted in user time.
    let total: u64 = ticks.iter().take(8).sum();
    Some(TICK * u32::try_from(total - idle).ok()?)
}

/// CPU time used so far by each party of a run.
#[derive(Debug, Clone, Copy)]
pub struct CpuReading {
    hub: Option<Duration>,
    loadgen: Option<Duration>,
    postgres: Duration,
    machine: Option<Duration>,
}

impl CpuReading {
    pub fn now(hub_pid: Option<u32>) -> Self {
        Self {
            hub: hub_pid.and_then(cpu_of),
            loadgen: cpu_of(std::process::id()),
            postgres: cpu_of_all_named("postgres"),
            machine: machine_busy(),
        }
    }

    /// Percent of one core that each party used from `earlier` to this reading, `window` apart.
    pub fn shares_since(&self, earlier: &Self, window: Duration) -> CpuShares {
        let percent = |after: Duration, before: Duration| {
            100.0 * after.saturating_sub(before).as_secs_f64() / window.as_secs_f64()
        };
        let both =
            |after: Option<Duration>, before: Option<Duration>| Some(percent(after?, before?));
        CpuShares {
            hub: both(self.hub, earlier.hub),
            loadgen: both(self.loadgen, earlier.loadgen),
            postgres: percent(self.postgres, earlier.postgres),
            machine: both(self.machine, earlier.machine),
        }
    }
}

/// Percent of one core used by each party over a window (a machine of n cores has n × 100 %).
#[derive(Debug, Clone, Copy)]
pub struct CpuShares {
    pub hub: Option<f64>,
    pub loadgen: Option<f64>,
    pub postgres: f64,
    pub machine: Option<f64>,
}
