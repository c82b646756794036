//! `cargo xtask demo`: the whole article in one run, on a fresh private emulator: package the
//! Lambda, setup, verify, teardown; each phase's output, then a summary with timings.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use iamkit_emulator::{Emulator, Install, Lifetime};
use iamkit_provision::{ApplyOptions, Clients, SetupOptions, Target};
use iamkit_stack::{Code, Manifest};

use crate::{global::Global, lambda, printer::Printer, setup, verify};

struct Phase {
    name: &'static str,
    took: Duration,
    outcome: Result<String>,
}

fn heading(name: &str) {
    say!(
        "\n== {name} {}",
        "=".repeat(60usize.saturating_sub(name.len()))
    );
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    code: lambda::CodeArgs,
}

/// `cargo xtask demo`: on a fresh private emulator, or on the (empty) one at `--endpoint-url`
/// (for tests that watch what goes over the wire); never on AWS.
pub fn run(args: Args, global: &Global) -> Result<()> {
    if global.aws || global.profile.is_some() {
        bail!(
            "`cargo xtask demo` runs on a local emulator only\n  help: on AWS, run `setup --aws`, `verify --aws` and `teardown --aws`"
        );
    }
    let started = Instant::now();
    let manifest = setup::read_manifest(&global.manifest_path())?;
    // The Lambda builds while the emulator installs and starts: on a new machine, both take
    // minutes, and neither needs the other.
    let (emulator, packaged) = std::thread::scope(|scope| {
        let build = scope.spawn(|| {
            let at = Instant::now();
            (package(&args.code), at.elapsed())
        });
        let emulator = start_emulator(global.endpoint_url.as_deref());
        let packaged = build.join().unwrap_or_else(|_| {
            (
                Err(anyhow::anyhow!("the build thread panicked")),
                Duration::ZERO,
            )
        });
        (emulator, packaged)
    });
    let (emulator, endpoint) = emulator?;
    say!(
        "demo: the article's account on a fresh local emulator at {endpoint} ({:.1} s to get ready)",
        started.elapsed().as_secs_f64()
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let clients =
        runtime.block_on(global.connect(&Target::Emulator { endpoint }, Some(&manifest)))?;
    let mut phases = Phases::default();
    // The build ran beside the emulator's start; its outcome shows under its heading now.
    heading("package");
    let package = phases.record("package", packaged.1, package_phase(packaged.0));
    if let Some((package, code)) = &package {
        let credentials_dir =
            std::env::temp_dir().join(format!("iamkit-demo-{}", std::process::id()));
        let set_up = phases.run("setup", || {
            runtime.block_on(setup_phase(&clients, &manifest, code, &credentials_dir))
        });
        if set_up.is_some() {
            phases.run("verify", || {
                runtime.block_on(verify_phase(&clients, &manifest, package))
            });
        }
        let _ = std::fs::remove_dir_all(&credentials_dir);
    }
    phases.run("teardown", || {
        runtime.block_on(teardown_phase(&clients, &manifest))
    });
    if let Some(emulator) = emulator {
        emulator.stop();
    }
    phases.summary(started)
}

/// A fresh private emulator, or the one `--endpoint-url` names; and its endpoint.
fn start_emulator(endpoint_url: Option<&str>) -> Result<(Option<Emulator>, String)> {
    if let Some(url) = endpoint_url {
        return Ok((None, url.to_owned()));
    }
    let install = Install::new(Install::default_dir());
    install.ensure(&mut |line| eprintln!("{line}"))?;
    let emulator = Emulator::start(&install, Lifetime::WithThisProcess)?;
    let endpoint = emulator.endpoint();
    Ok((Some(emulator), endpoint))
}

/// The phases run so far, each with its time and outcome.
#[derive(Default)]
struct Phases(Vec<Phase>);

impl Phases {
    /// Runs `phase` under its heading and records it; its value when it passed.
    fn run<T>(
        &mut self,
        name: &'static str,
        phase: impl FnOnce() -> Result<(T, String)>,
    ) -> Option<T> {
        heading(name);
        let at = Instant::now();
        let outcome = phase();
        self.record(name, at.elapsed(), outcome)
    }

    /// Records a phase that ran already.
    fn record<T>(
        &mut self,
        name: &'static str,
        took: Duration,
        outcome: Result<(T, String)>,
    ) -> Option<T> {
        let (value, outcome) = match outcome {
            Ok((value, line)) => (Some(value), Ok(line)),
            Err(e) => {
                say!("{name} FAILED: {e:#}");
                (None, Err(e))
            }
        };
        self.0.push(Phase {
            name,
            took,
            outcome,
        });
        value
    }

    /// Prints the summary; an error when a phase failed or did not run.
    fn summary(self, started: Instant) -> Result<()> {
        heading("summary");
        let mut failed = 0;
        for phase in &self.0 {
            let (mark, what) = match &phase.outcome {
                Ok(what) => ("ok  ", what.clone()),
                Err(e) => {
                    failed += 1;
                    ("FAIL", format!("{e:#}"))
                }
            };
            say!(
                "  {mark}  {:9} {:>6.2} s  {what}",
                phase.name,
                phase.took.as_secs_f64()
            );
        }
        for skipped in ["package", "setup", "verify", "teardown"]
            .iter()
            .filter(|name| !self.0.iter().any(|p| p.name == **name))
        {
            failed += 1;
            say!("  skip  {skipped:9}           not run: an earlier phase failed");
        }
        say!(
            "  total {:.2} s (emulator start and build included)",
            started.elapsed().as_secs_f64()
        );
        if failed > 0 {
            bail!("the demo did not pass: {failed} phase(s) failed or did not run");
        }
        say!("\nThe article's account was set up, proven and removed again.");
        Ok(())
    }
}

/// The package's path and its code, by function name.
type Package = (PathBuf, BTreeMap<String, Code>);

/// The package: `--lambda-zip`, else the hello-world Lambda built now; and what it is.
fn package(code: &lambda::CodeArgs) -> Result<(PathBuf, String)> {
    match &code.lambda_zip {
        Some(_) => Ok((
            code.zip()?,
            "the package given with --lambda-zip".to_owned(),
        )),
        None => Ok((
            lambda::package()?.zip,
            "the hello-world Lambda, zipped for provided.al2023".to_owned(),
        )),
    }
}

/// What the build gave: the package and its code, or why not.
fn package_phase(packaged: Result<(PathBuf, String)>) -> Result<(Package, String)> {
    let (zip, what) = packaged?;
    let code = lambda::code(&zip)?;
    let sha256 = code.get(lambda::FUNCTION).map(Code::sha256_base64);
    say!(
        "{}: {} bytes, CodeSha256 {}",
        zip.display(),
        std::fs::metadata(&zip)?.len(),
        sha256.unwrap_or_default()
    );
    Ok(((zip, code), what))
}

async fn verify_phase(clients: &Clients, manifest: &Manifest, zip: &Path) -> Result<((), String)> {
    let report = verify::run_on(clients, manifest, None, zip).await?;
    say!("{report}");
    let s = report.summary;
    let line = format!(
        "{} passed, {} failed, {} warning(s), {} skipped",
        s.pass, s.fail, s.warn, s.skipped
    );
    if report.passed() {
        Ok(((), line))
    } else {
        bail!("{line}")
    }
}

async fn setup_phase(
    clients: &Clients,
    manifest: &Manifest,
    code: &BTreeMap<String, Code>,
    credentials_dir: &std::path::Path,
) -> Result<((), String)> {
    let options = SetupOptions {
        adopt: false,
        dry_run: false,
        apply: ApplyOptions::new(credentials_dir),
    };
    let code = code.clone();
    let mut printer =
        Printer::new("setup", false, false).with_packages(Box::new(move || Ok(code.clone())));
    let outcome = iamkit_provision::setup(clients, manifest, &options, &mut printer).await?;
    let report = outcome.applied.unwrap_or_default();
    for path in &report.credentials {
        say!(
            "console password written to {} (mode 0600, never printed)",
            path.display()
        );
    }
    Ok(((), format!("{} changes made", report.changes)))
}

/// The library's teardown, as `cargo xtask teardown` runs it; it fails unless a fresh read
/// finds nothing of the stack left.
async fn teardown_phase(clients: &Clients, manifest: &Manifest) -> Result<((), String)> {
    let options = SetupOptions {
        adopt: false,
        dry_run: false,
        apply: ApplyOptions::new(std::env::temp_dir()),
    };
    let mut printer = Printer::new("teardown", false, false);
    let outcome = iamkit_provision::teardown(clients, manifest, &options, &mut printer)
        .await
        .context("teardown")?;
    if !outcome.left.is_empty() {
        bail!(
            "{} change(s) still to make after teardown: {}",
            outcome.left.len(),
            outcome.left.join(", ")
        );
    }
    let line = format!(
        "{} changes made; nothing of the stack is left",
        outcome.applied.map_or(0, |r| r.changes)
    );
    Ok(((), line))
}
