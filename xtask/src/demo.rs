//! `cargo xtask demo`: the whole article in one run, on a fresh private emulator: package the
//! Lambda, setup, verify, teardown; each phase's output, then a summary with timings.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use iamkit_emulator::{Emulator, Install, Lifetime};
use iamkit_provision::{ApplyOptions, Clients, SetupOptions, Target};
use iamkit_stack::{Code, Manifest};

use crate::{lambda, printer::Printer, setup, verify};

#[derive(clap::Args)]
pub struct Args {
    /// Run against this (empty) emulator instead of starting a fresh private one: for tests
    /// that watch what goes over the wire.
    #[arg(long)]
    endpoint_url: Option<String>,
}

struct Phase {
    name: &'static str,
    took: Duration,
    outcome: Result<String>,
}

fn heading(name: &str) {
    println!(
        "\n== {name} {}",
        "=".repeat(60usize.saturating_sub(name.len()))
    );
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let emulator = match &args.endpoint_url {
        Some(_) => None,
        None => {
            let install = Install::new(Install::default_dir());
            install.ensure(&mut |line| eprintln!("{line}"))?;
            Some(Emulator::start(&install, Lifetime::WithThisProcess)?)
        }
    };
    let endpoint = match (&emulator, &args.endpoint_url) {
        (Some(emulator), _) => emulator.endpoint(),
        (None, Some(url)) => url.clone(),
        (None, None) => bail!("no emulator"),
    };
    println!(
        "demo: the article's account on a fresh local emulator at {endpoint} ({:.1} s to start)",
        started.elapsed().as_secs_f64()
    );
    let manifest = setup::read_manifest(None)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let clients = runtime.block_on(iamkit_provision::connect(
        &Target::Emulator { endpoint },
        manifest.region.as_deref(),
    ));
    let credentials_dir = std::env::temp_dir().join(format!("iamkit-demo-{}", std::process::id()));

    let mut phases = Vec::new();
    let mut timed = |name: &'static str, phase: &mut dyn FnMut() -> Result<String>| {
        heading(name);
        let at = Instant::now();
        let outcome = phase();
        if let Err(e) = &outcome {
            println!("{name} FAILED: {e:#}");
        }
        let ok = outcome.is_ok();
        phases.push(Phase {
            name,
            took: at.elapsed(),
            outcome,
        });
        ok
    };

    let mut code = BTreeMap::new();
    let mut package = None;
    let packaged = timed("package", &mut || {
        let packaged = lambda::package()?;
        println!(
            "{}: {:.2} MB, sha256 {}",
            packaged.zip.display(),
            packaged.zip_size as f64 / (1024.0 * 1024.0),
            packaged.sha256
        );
        let zip = std::fs::read(&packaged.zip)?;
        code.insert(lambda::FUNCTION.to_owned(), Code::from_zip(zip));
        package = Some(packaged);
        Ok("the hello-world Lambda, zipped for provided.al2023".to_owned())
    });
    let set_up = packaged
        && timed("setup", &mut || {
            runtime.block_on(setup_phase(&clients, &manifest, &code, &credentials_dir))
        });
    if set_up {
        timed("verify", &mut || {
            let report =
                runtime.block_on(verify::run_on(&clients, &manifest, None, package.as_ref()))?;
            println!("{report}");
            let s = report.summary;
            let line = format!(
                "{} passed, {} failed, {} warning(s), {} skipped",
                s.pass, s.fail, s.warn, s.skipped
            );
            if report.passed() {
                Ok(line)
            } else {
                bail!("{line}")
            }
        });
    }
    timed("teardown", &mut || {
        runtime.block_on(teardown_phase(&clients, &manifest))
    });
    let _ = std::fs::remove_dir_all(&credentials_dir);
    if let Some(emulator) = emulator {
        emulator.stop();
    }

    heading("summary");
    let mut failed = 0;
    for phase in &phases {
        let (mark, what) = match &phase.outcome {
            Ok(what) => ("ok  ", what.clone()),
            Err(e) => {
                failed += 1;
                ("FAIL", format!("{e:#}"))
            }
        };
        println!(
            "  {mark}  {:9} {:>6.2} s  {what}",
            phase.name,
            phase.took.as_secs_f64()
        );
    }
    for skipped in ["package", "setup", "verify", "teardown"]
        .iter()
        .filter(|name| !phases.iter().any(|p| p.name == **name))
    {
        failed += 1;
        println!("  skip  {skipped:9}           not run: an earlier phase failed");
    }
    println!(
        "  total {:.2} s (emulator start included)",
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        bail!("the demo did not pass: {failed} phase(s) failed or did not run");
    }
    println!("\nThe article's account was set up, proven and removed again.");
    Ok(())
}

async fn setup_phase(
    clients: &Clients,
    manifest: &Manifest,
    code: &BTreeMap<String, Code>,
    credentials_dir: &std::path::Path,
) -> Result<String> {
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
        println!(
            "console password written to {} (mode 0600, never printed)",
            path.display()
        );
    }
    Ok(format!("{} changes made", report.changes))
}

/// The library's teardown, as `cargo xtask teardown` runs it; it fails unless a fresh read
/// finds nothing of the stack left.
async fn teardown_phase(clients: &Clients, manifest: &Manifest) -> Result<String> {
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
    Ok(format!(
        "{} changes made; nothing of the stack is left",
        outcome.applied.map_or(0, |r| r.changes)
    ))
}
