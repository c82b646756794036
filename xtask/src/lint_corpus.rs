//! `cargo xtask lint --corpus`: every AWS managed policy of the pinned corpus
//! (`iamkit_e2e::corpus`), linted and timed in this process, in the profile `cargo xtask`
//! builds. It prints the findings by code, the total time, the slowest policies, and the error
//! findings that `tests/lint-corpus/reviewed.tsv` does not list (exit status 1 when there are
//! any, as the corpus test fails).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use iamkit_e2e::lint_corpus::{self, Linted};
use iamkit_lint::{Finding, Severity};

/// How many of the slowest policies to show.
const SLOWEST: usize = 5;

/// Lints the corpus; `json` prints every finding as JSON instead of the summary.
pub fn run(json: bool) -> Result<()> {
    let policies = iamkit_e2e::corpus::managed_policies().map_err(anyhow::Error::msg)?;
    // The catalog is decoded once per process, on first use: do it before the clock starts,
    // and time it on its own.
    let started = Instant::now();
    warm_up();
    let warm_up = started.elapsed();
    let (started, cpu_before) = (Instant::now(), crate::cpu::cpu_time("self"));
    let linted = lint_corpus::lint_all(policies);
    let total = started.elapsed();
    let cpu = crate::cpu::cpu_time("self").saturating_sub(cpu_before);
    if json {
        let findings: Vec<&Finding> = linted.iter().flat_map(|l| &l.findings).collect();
        say!("{}", serde_json::to_string_pretty(&findings)?);
        return Ok(());
    }
    print_counts(&linted);
    print_times(&linted, (total, cpu), warm_up);
    let reviewed = lint_corpus::reviewed().map_err(anyhow::Error::msg)?;
    let (new, stale) = lint_corpus::compare(&linted, &reviewed);
    for finding in &new {
        say!("not reviewed: {finding}\n");
    }
    for entry in &stale {
        say!(
            "stale: {}:{}: {} {} {} lists no error finding",
            lint_corpus::REVIEWED,
            entry.line,
            entry.policy,
            entry.pointer,
            entry.code
        );
    }
    if !new.is_empty() || !stale.is_empty() {
        bail!(
            "{} error findings are not in {}, {} entries of it are stale",
            new.len(),
            lint_corpus::REVIEWED,
            stale.len()
        );
    }
    Ok(())
}

/// Decodes the whole catalog (what the first policy would otherwise pay for).
fn warm_up() {
    let _ = iamkit_lint::lint(
        "warm-up",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        &lint_corpus::options(),
    );
}

fn print_counts(linted: &[Linted]) {
    let mut by_code: BTreeMap<(Severity, &str), usize> = BTreeMap::new();
    for finding in linted.iter().flat_map(|l| &l.findings) {
        *by_code.entry((finding.severity, finding.code)).or_default() += 1;
    }
    let total: usize = by_code.values().sum();
    say!(
        "{} AWS managed policies ({}@{}): {total} findings",
        linted.len(),
        iamkit_e2e::corpus::PACKAGE,
        iamkit_e2e::corpus::VERSION
    );
    for ((severity, code), count) in &by_code {
        say!("  {count:>6}  {severity:<10} {code}");
    }
}

fn print_times(linted: &[Linted], (total, cpu): (Duration, Duration), warm_up: Duration) {
    let mut slowest: Vec<&Linted> = linted.iter().collect();
    slowest.sort_by_key(|l| std::cmp::Reverse(l.elapsed));
    say!(
        "time: {:.1} ms for the {} policies, one thread, CPU {:.0} ms (catalog decoded beforehand in {:.1} ms)",
        ms(total),
        linted.len(),
        ms(cpu),
        ms(warm_up)
    );
    for l in slowest.iter().take(SLOWEST) {
        say!("  {:>8.2} ms  {}", ms(l.elapsed), l.name);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
