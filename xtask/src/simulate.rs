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
    /// Evaluate the cases again and again for about 3 s (policies compiled once, one thread)
    /// and print `decisions/s: N` last.
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
        let (decisions, elapsed) = bench(&cases, Duration::from_secs(3));
        let per_second = decisions as f64 / elapsed.as_secs_f64();
        let _ = writeln!(
            out,
            "{} cases, {decisions} decisions in {:.2} s, one thread, policies compiled once",
            cases.len(),
            elapsed.as_secs_f64()
        );
        let _ = writeln!(out, "decisions/s: {per_second:.0}");
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

/// Evaluates every case again and again until `budget` has passed; returns the number of
/// decisions and the time taken.
pub(crate) fn bench(cases: &[Case], budget: Duration) -> (u64, Duration) {
    let start = Instant::now();
    let mut decisions = 0u64;
    if cases.is_empty() {
        return (0, start.elapsed());
    }
    loop {
        for case in cases {
            black_box(case.decide());
        }
        decisions += cases.len() as u64;
        let elapsed = start.elapsed();
        if elapsed >= budget {
            return (decisions, elapsed);
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
