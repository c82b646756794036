//! `cargo xtask verify`: proves that the account does what the manifest and the article intend
//! (`iamkit_provision::verify`), and prints one line per check.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use iamkit_provision::{Clients, Runner, Target};
use iamkit_stack::{Code, Manifest};
use iamkit_verify::{Report, VerifyOptions, load_expectations, verify};

use crate::{
    global::{Global, Output},
    lambda, setup,
};

#[derive(clap::Args)]
pub struct Args {
    /// The expectations (default: expectations.toml beside the manifest).
    #[arg(long)]
    expectations: Option<PathBuf>,
    #[command(flatten)]
    code: lambda::CodeArgs,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let manifest = setup::read_manifest(&global.manifest_path())?;
    let target = global.target()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let clients = global.connect(&target, Some(&manifest)).await?;
        // Who we are first: no credentials, or no emulator, is reported before a build.
        iamkit_provision::whoami(&clients).await?;
        let zip = args.code.zip()?;
        run_on(&clients, &manifest, args.expectations.as_deref(), &zip).await
    })?;
    match global.output() {
        Output::Text => say!("{report}"),
        Output::Json => {
            let document = VerifyDocument {
                task: "verify",
                status: if report.passed() {
                    "verified"
                } else {
                    "not verified"
                },
                report: &report,
            };
            say!("{}", serde_json::to_string_pretty(&document)?);
        }
    }
    if !report.passed() {
        bail!("{} check(s) failed", report.summary.fail);
    }
    Ok(())
}

/// `verify --output json`: the report, with the task and its verdict in the words of the
/// table's last line.
#[derive(serde::Serialize)]
struct VerifyDocument<'a> {
    task: &'static str,
    status: &'static str,
    #[serde(flatten)]
    report: &'a Report,
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

/// Verifies the account with the Lambda package at `zip`: on the emulator its `bootstrap`
/// runs through the local Runtime API, on AWS the deployed function is invoked.
pub async fn run_on(
    clients: &Clients,
    manifest: &Manifest,
    expectations: Option<&Path>,
    zip: &Path,
) -> Result<Report> {
    let path = expectations_path(manifest, expectations);
    let expectations = load_expectations(&path).map_err(|errors| {
        for error in &errors.0 {
            eprintln!("error: {error}");
        }
        anyhow::anyhow!("{} problem(s) in {}", errors.0.len(), path.display())
    })?;
    let package =
        Code::from_zip(std::fs::read(zip).with_context(|| format!("reading {}", zip.display()))?);
    let code = BTreeMap::from([(lambda::FUNCTION.to_owned(), package.clone())]);
    let region = clients
        .config
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_else(|| iamkit_provision::DEFAULT_REGION.to_owned());
    let task_dir = match &clients.target {
        Target::Aws { .. } => None,
        // Where the executable is unpacked: under target/, which is not mounted noexec
        // where /tmp can be.
        Target::Emulator { .. } => Some(
            crate::target_dir()
                .join("lambda")
                .join(format!("verify-task-{}", std::process::id())),
        ),
    };
    let runner = match &task_dir {
        None => Runner::Lambda,
        Some(dir) => Runner::Local {
            bootstrap: iamkit_hello_lambda::package::unpack(zip, dir)?,
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
