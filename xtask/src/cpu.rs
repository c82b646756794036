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

/// User plus system CPU time of this process's children that have ended and been waited for,
/// and of theirs (a `cargo build`: cargo, rustc, build scripts, the linker); zero where there
/// is no `/proc`.
pub fn children_cpu_time() -> Duration {
    stat_fields("/proc/self/stat", [13, 14]).unwrap_or(Duration::ZERO)
}

/// User plus system CPU time from a `/proc/.../stat` file.
fn stat_cpu_time(path: &str) -> Option<Duration> {
    stat_fields(path, [11, 12])
}

/// The sum of two clock-tick fields of a `/proc/.../stat` file, counted from the state (0).
fn stat_fields(path: &str, which: [usize; 2]) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces: state is
    // field 3, utime 14 and stime 15, cutime 16 and cstime 17 (the children's), in clock
    // ticks (100 a second on Linux).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = which
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Some(Duration::from_millis(ticks * 10))
}
