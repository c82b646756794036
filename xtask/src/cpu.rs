//! CPU time, for benchmarks on a machine that other work shares: wall time there says how
//! busy the machine was; CPU time says what the work cost.

use std::time::Duration;

/// User plus system CPU time of process `pid` (`self` for this one), from `/proc`; zero where
/// there is no `/proc`.
pub fn cpu_time(pid: &str) -> Duration {
    stat_cpu_time(&format!("/proc/{pid}/stat")).unwrap_or(Duration::ZERO)
}

/// The calling thread's CPU time so far; `None` where there is no `/proc`.
pub fn thread_cpu_time() -> Option<Duration> {
    stat_cpu_time("/proc/thread-self/stat")
}

/// User plus system CPU time from a `/proc/.../stat` file.
fn stat_cpu_time(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces: state is
    // field 3, utime 14 and stime 15, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Some(Duration::from_millis(ticks * 10))
}
