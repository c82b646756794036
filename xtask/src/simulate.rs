//! `cargo xtask simulate FILE.json [--explain] [--bench]`: evaluate a case file with the
//! evaluation engine. Prints one JSON object per case (or, with `--explain`, a readable
//! explanation); exits 0 when every given `expect` matched, 1 when one did not, 2 on bad input.

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use iamkit_eval::cases::{self, Case};

#[derive(clap::Args)]
pub struct Args {
    /// The case file: a JSON array of cases (see crates/eval/tests/cases/ for examples).
    pub file: PathBuf,
    /// Explain each decision in words instead of printing JSON lines.
    #[arg(long)]
    pub explain: bool,
    /// Evaluate the cases again and again for 3 s of CPU time (policies compiled once, one
    /// thread) and print `decisions/s: N` last, per second of the thread's CPU time.
    #[arg(long)]
    pub bench: bool,
}

pub fn run(args: Args) -> ExitCode {
    let file = args.file.display().to_string();
    let source = match std::fs::read_to_string(&args.file) {
        Ok(source) => source,
        Err(err) => {
            eprintln!("error: cannot read `{file}`: {err}");
            return ExitCode::from(2);
        }
    };
    let cases = match cases::parse(&source) {
        Ok(cases) => cases,
        Err(err) => {
            eprintln!("error: {file}:{err}");
            return ExitCode::from(2);
        }
    };

    let mut out = std::io::stdout().lock();
    let mut mismatches = Vec::new();
    for case in &cases {
        let outcome = case.run();
        if !outcome.passed() {
            mismatches.push((case.name.clone(), case.expect, outcome.evaluation.decision));
        }
        if args.bench {
            continue;
        }
        let written = if args.explain {
            explain(&mut out, case, &outcome)
        } else {
            serde_json::to_string(&outcome)
                .map_err(std::io::Error::other)
                .and_then(|line| writeln!(out, "{line}"))
        };
        if written.is_err() {
            // stdout is gone (a closed pipe): nothing more to say.
            return ExitCode::SUCCESS;
        }
    }

    if args.bench {
        let timing = bench(&cases, Duration::from_secs(3));
        let cpu = timing.cpu.map_or_else(
            || "unknown".to_owned(),
            |c| format!("{:.2} s", c.as_secs_f64()),
        );
        let _ = writeln!(
            out,
            "{} cases, {} decisions in {:.2} s ({cpu} of CPU time), one thread, policies compiled once",
            cases.len(),
            timing.decisions,
            timing.wall.as_secs_f64(),
        );
        let _ = writeln!(out, "decisions/s: {:.0}", timing.per_second());
    }

    if mismatches.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "{} of {} cases did not come out as expected:",
        mismatches.len(),
        cases.len()
    );
    for (name, expect, got) in mismatches {
        let expect = expect.map_or_else(|| "-".to_owned(), |e| e.to_string());
        eprintln!("  {name}: expected {expect}, got {got}");
    }
    ExitCode::from(1)
}

/// How long a benchmark ran, and how many decisions it made.
pub(crate) struct Timing {
    pub decisions: u64,
    pub wall: Duration,
    /// The CPU time of the thread (Linux: `/proc/thread-self/stat`), unaffected by other
    /// processes on the machine; `None` where it cannot be read.
    pub cpu: Option<Duration>,
}

impl Timing {
    /// Decisions per second of this thread's CPU time (of wall time where that is unknown).
    pub(crate) fn per_second(&self) -> f64 {
        let spent = self.cpu.unwrap_or(self.wall).as_secs_f64();
        if spent > 0.0 {
            self.decisions as f64 / spent
        } else {
            0.0
        }
    }
}

/// Evaluates every case again and again until `budget` of this thread's CPU time (or wall
/// time, where CPU time cannot be read) has passed.
pub(crate) fn bench(cases: &[Case], budget: Duration) -> Timing {
    let start = Instant::now();
    let cpu_start = crate::cpu::thread_cpu_time();
    let mut decisions = 0u64;
    // Enough decisions between two reads of the clock that reading it costs nothing.
    let rounds = (20_000 / cases.len().max(1)).max(1);
    loop {
        for _ in 0..rounds {
            for case in cases {
                black_box(case.decide());
            }
        }
        decisions += (rounds * cases.len()) as u64;
        let cpu = cpu_start
            .zip(crate::cpu::thread_cpu_time())
            .map(|(a, b)| b.saturating_sub(a));
        if cases.is_empty() || cpu.unwrap_or_else(|| start.elapsed()) >= budget {
            return Timing {
                decisions,
                wall: start.elapsed(),
                cpu,
            };
        }
    }
}

fn explain(out: &mut impl Write, case: &Case, outcome: &cases::Outcome) -> std::io::Result<()> {
    let verdict = match case.expect {
        Some(expect) if expect == outcome.evaluation.decision => " (as expected)".to_owned(),
        Some(expect) => format!(" (expected {expect})"),
        None => String::new(),
    };
    writeln!(
        out,
        "{}: {}{verdict}",
        case.name, outcome.evaluation.decision
    )?;
    writeln!(out, "  {}", case.request)?;
    for reason in &outcome.evaluation.reasons {
        writeln!(out, "  - {reason}")?;
    }
    Ok(())
}
