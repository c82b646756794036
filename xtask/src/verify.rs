//! `cargo xtask verify`: proves that the account does what the manifest and the article intend
//! (`iamkit_provision::verify`), and prints one line per check.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use iamkit_provision::{Clients, Runner, Target};
use iamkit_stack::{Code, Manifest};
use iamkit_verify::{Report, VerifyOptions, load_expectations, verify};

use crate::{
    lambda,
    setup::{self, Output},
    target::{self, TargetArgs},
};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The manifest (default: policies/baseline.toml). `policies/article.toml` is the
    /// article's own policies, unchanged.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The expectations (default: expectations.toml beside the manifest).
    #[arg(long)]
    expectations: Option<PathBuf>,
    /// `text`: a table for people; `json` for scripts.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

pub fn run(args: Args) -> Result<()> {
    let manifest = setup::read_manifest(args.manifest.as_deref())?;
    let target = target::resolve(&args.target)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let clients = setup::connect(&args.target, &target, &manifest).await;
        run_on(&clients, &manifest, args.expectations.as_deref(), None).await
    })?;
    match args.output {
        Output::Text => println!("{report}"),
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    if !report.passed() {
        bail!("{} check(s) failed", report.summary.fail);
    }
    Ok(())
}

/// The expectations file for `manifest`: `explicit`, else `expectations.toml` beside it.
fn expectations_path(manifest: &Manifest, explicit: Option<&Path>) -> PathBuf {
    explicit.map(Path::to_path_buf).unwrap_or_else(|| {
        manifest
            .file
            .parent()
            .unwrap_or(Path::new("."))
            .join("expectations.toml")
    })
}

/// Verifies the account with the Lambda package `packaged` (packaged now when `None`; the
/// build is a no-op when it is fresh): on the emulator the package's `bootstrap` runs through
/// the local Runtime API, on AWS the deployed function is invoked.
pub async fn run_on(
    clients: &Clients,
    manifest: &Manifest,
    expectations: Option<&Path>,
    packaged: Option<&lambda::PackagedLambda>,
) -> Result<Report> {
    let path = expectations_path(manifest, expectations);
    let expectations = load_expectations(&path).map_err(|errors| {
        for error in &errors.0 {
            eprintln!("error: {error}");
        }
        anyhow::anyhow!("{} problem(s) in {}", errors.0.len(), path.display())
    })?;
    let fresh;
    let packaged = match packaged {
        Some(packaged) => packaged,
        None => {
            let started = Instant::now();
            fresh = lambda::package()?;
            eprintln!(
                "packaged {} ({:.1} s)",
                fresh.zip.display(),
                started.elapsed().as_secs_f64()
            );
            &fresh
        }
    };
    let zip = std::fs::read(&packaged.zip)
        .with_context(|| format!("reading {}", packaged.zip.display()))?;
    let package = Code::from_zip(zip);
    let code = BTreeMap::from([(lambda::FUNCTION.to_owned(), package.clone())]);
    let region = clients
        .config
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_else(|| iamkit_provision::DEFAULT_REGION.to_owned());
    let task_dir = match &clients.target {
        Target::Aws { .. } => None,
        Target::Emulator { .. } => Some(
            packaged
                .zip
                .parent()
                .unwrap_or(Path::new("."))
                .join(format!("verify-task-{}", std::process::id())),
        ),
    };
    let runner = match &task_dir {
        None => Runner::Lambda,
        Some(dir) => Runner::Local {
            bootstrap: iamkit_hello_lambda::package::unpack(&packaged.zip, dir)?,
            code: package,
        },
    };
    let mut options = VerifyOptions::new(expectations, runner);
    options.code = code;
    let report = verify(clients, manifest, &region, &options).await;
    if let Some(dir) = task_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(report?)
}
