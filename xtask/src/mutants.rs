//! `cargo xtask mutants`: mutation testing of the evaluation engine (`crates/eval`) and of
//! the ARN matchers it runs (`crates/arn/src/pattern.rs`, `resource.rs`) with cargo-mutants,
//! installed pinned under `target/tools/` on first use. Each mutant is tested with its own
//! package's tests. Prints, per scope, how many of the viable mutants the tests caught.
//!
//! Not part of CI: a full run takes about 25 minutes on two cores. Narrow it with
//! `--scope`, `--file` or `--in-diff`. Misses that cannot be caught (the mutant behaves
//! as the original) are listed, with why, in `crates/eval/mutants-equivalent.md`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The crate and exact version.
const TOOL: &str = "cargo-mutants@27.1.0";

#[derive(clap::Args)]
pub struct Args {
    /// Which code to mutate: `eval`, `arn` (pattern.rs and resource.rs) or `all`.
    #[arg(long, default_value = "all")]
    scope: String,
    /// Mutate only these files (globs, as cargo-mutants' `--file`), within the scope.
    #[arg(long)]
    file: Vec<String>,
    /// Mutate only code that this diff touches (a file, as cargo-mutants' `--in-diff`).
    #[arg(long)]
    in_diff: Option<PathBuf>,
    /// Only list the mutants.
    #[arg(long)]
    list: bool,
    /// Test again only what the last run of the scope did not catch (and mutants it did
    /// not see): cargo-mutants' `--iterate`, for after adding tests.
    #[arg(long)]
    iterate: bool,
}

/// One scope: a package and the files of it to mutate.
struct Scope {
    name: &'static str,
    package: &'static str,
    files: &'static [&'static str],
}

const SCOPES: [Scope; 2] = [
    Scope {
        name: "eval",
        package: "iamkit-eval",
        files: &["crates/eval/src/*.rs"],
    },
    Scope {
        name: "arn",
        package: "iamkit-arn",
        files: &["crates/arn/src/pattern.rs", "crates/arn/src/resource.rs"],
    },
];

pub fn run(args: Args) -> Result<()> {
    let root = crate::project_root();
    let tool = install()?;
    let scopes: Vec<&Scope> = SCOPES
        .iter()
        .filter(|s| args.scope == "all" || args.scope == s.name)
        .collect();
    if scopes.is_empty() {
        bail!(
            "unknown scope `{}`\n  help: use `eval`, `arn` or `all`",
            args.scope
        );
    }
    let mut summaries = Vec::new();
    for scope in scopes {
        let out = crate::target_dir().join("mutants").join(scope.name);
        std::fs::create_dir_all(&out)?;
        let sh = Shell::new()?;
        sh.change_dir(&root);
        let package = scope.package;
        let files: Vec<&str> = if args.file.is_empty() {
            scope.files.to_vec()
        } else {
            args.file.iter().map(String::as_str).collect()
        };
        let file_args: Vec<String> = files.iter().map(|f| format!("--file={f}")).collect();
        let diff: Vec<String> = args
            .in_diff
            .iter()
            .map(|d| format!("--in-diff={}", d.display()))
            .collect();
        let list = args.list.then_some("--list");
        let iterate = args.iterate.then_some("--iterate");
        let result = cmd!(
            sh,
            "{tool} mutants --package {package} --test-workspace=false --profile mutants --jobs 1 --output {out} {file_args...} {diff...} {list...} {iterate...}"
        )
        // The copies cargo-mutants builds in share a target directory of their own, so that
        // the dependencies are built once, not once per run.
        .env("CARGO_TARGET_DIR", crate::target_dir().join("mutants").join("build"))
        .run();
        if args.list {
            result?;
            continue;
        }
        // cargo-mutants exits non-zero when a mutant is missed: the summary says which.
        summaries.push((scope.name, summarize(&out.join("mutants.out"))?));
    }
    for (name, summary) in &summaries {
        say!("{name}: {summary}");
        if args.iterate {
            say!(
                "  (this run only: mutants an earlier run caught or found unviable were not tested again; see target/mutants/{name}/mutants.out/previously_caught.txt)"
            );
        }
    }
    Ok(())
}

/// Counts of one run's outcomes, from its `outcomes.json`.
#[derive(serde::Deserialize)]
struct Summary {
    total_mutants: usize,
    caught: usize,
    missed: usize,
    timeout: usize,
    unviable: usize,
    /// `missed.txt`: the mutants no test failed on (cargo-mutants lists the timed-out ones
    /// there too).
    #[serde(skip)]
    not_caught: Vec<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let viable = self.caught + self.missed + self.timeout;
        let percent = |n: usize| {
            if viable == 0 {
                100.0
            } else {
                n as f64 * 100.0 / viable as f64
            }
        };
        write!(
            f,
            "{} mutants, {} unviable; of the {viable} viable, {} caught by a failing test ({:.1}%), {} timed out (caught or timed out: {:.1}%), {} missed",
            self.total_mutants,
            self.unviable,
            self.caught,
            percent(self.caught),
            self.timeout,
            percent(self.caught + self.timeout),
            self.missed,
        )?;
        for line in &self.not_caught {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

fn summarize(dir: &Path) -> Result<Summary> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (did cargo-mutants run?)", path.display()))
    };
    let mut summary: Summary = serde_json::from_str(&read("outcomes.json")?)
        .context("reading cargo-mutants' outcomes.json")?;
    summary.not_caught = read("missed.txt")?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    Ok(summary)
}

/// Installs the pinned cargo-mutants under `target/tools/` unless it is there; returns the
/// binary.
fn install() -> Result<PathBuf> {
    let root = crate::target_dir().join("tools");
    let binary = root.join("bin").join("cargo-mutants");
    let version = TOOL.rsplit('@').next().unwrap_or_default();
    let sh = Shell::new()?;
    let current = cmd!(sh, "{binary} mutants --version")
        .quiet()
        .read()
        .unwrap_or_default();
    if !current.contains(version) {
        let build = root.join("build");
        sh.set_var("CARGO_TARGET_DIR", &build);
        cmd!(sh, "cargo install --locked --root {root} {TOOL}")
            .run()
            .with_context(|| format!("`cargo install {TOOL}` failed: is crates.io reachable?"))?;
    }
    Ok(binary)
}
