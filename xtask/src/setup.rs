//! `cargo xtask setup`: the article's account from `policies/baseline.toml`: plan, then apply.
//! The flow is the library's (`iamkit_provision::setup`); this prints it and answers it.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use iamkit_provision::{ApplyOptions, Clients, SetupOptions};
use iamkit_stack::{Code, Manifest, load_manifest};

use crate::{
    printer::Printer,
    target::{self, TargetArgs},
};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The manifest (default: policies/baseline.toml).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Print the plan and stop: nothing is written.
    #[arg(long)]
    dry_run: bool,
    /// With `--dry-run`, as `terraform plan -detailed-exitcode`: exit 0 when the account
    /// matches the manifest, 2 when changes are pending, 1 on an error. For CI to detect drift.
    #[arg(long, requires = "dry_run")]
    detailed_exitcode: bool,
    /// `text` for people (coloured on a terminal), `json` for scripts.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Take over resources that have the manifest's names but not this stack's mark (tag them,
    /// move groups under the stack's path) instead of stopping.
    #[arg(long)]
    adopt: bool,
    /// Where console passwords are written, one mode-0600 file per user (default:
    /// target/credentials).
    #[arg(long)]
    credentials_dir: Option<PathBuf>,
    /// The Lambda deployment package to deploy (default: build and zip the hello-world Lambda,
    /// as `cargo xtask package-lambda` does).
    #[arg(long)]
    lambda_zip: Option<PathBuf>,
    /// With `--aws`: apply without asking (for scripts). Without it, the plan must be confirmed
    /// on a terminal.
    #[arg(long)]
    yes: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

pub fn run(args: Args) -> Result<()> {
    let manifest = read_manifest(args.manifest.as_deref())?;
    warn_escalations(&manifest);
    let target = target::resolve(&args.target)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let json = args.output == Output::Json;
    runtime.block_on(async {
        let clients = connect(&args.target, &target, &manifest).await;
        let credentials_dir = args
            .credentials_dir
            .clone()
            .unwrap_or_else(|| crate::target_dir().join("credentials"));
        let options = SetupOptions {
            adopt: args.adopt,
            dry_run: args.dry_run,
            apply: ApplyOptions::new(credentials_dir),
        };
        let zip = args.lambda_zip.clone();
        let mut printer = Printer::new("setup", json, args.yes)
            .with_packages(Box::new(move || read_code(zip.as_deref())));
        let outcome = iamkit_provision::setup(&clients, &manifest, &options, &mut printer).await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                printer.print_plan_json();
                return Err(e.into());
            }
        };
        let Some(report) = outcome.applied else {
            printer.print_plan_json();
            if args.detailed_exitcode && !outcome.plan.is_empty() {
                return Err(PendingChanges(outcome.plan.changes.len()).into());
            }
            return Ok(());
        };
        if json {
            let out = serde_json::json!({
                "plan": outcome.plan,
                "applied": report.changes,
                "credentials": report.credentials,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            println!("\nApply complete: {} changes made.", report.changes);
        }
        for path in &report.credentials {
            eprintln!(
                "console password written to {} (readable only by you); it must be changed at first sign-in",
                path.display()
            );
        }
        Ok(())
    })
}

/// `setup --dry-run --detailed-exitcode` found changes to make: exit status 2.
#[derive(Debug)]
pub struct PendingChanges(pub usize);

impl std::fmt::Display for PendingChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} change(s) pending", self.0)
    }
}

impl std::error::Error for PendingChanges {}

/// Reads the manifest and its policies and reviews them as `cargo xtask lint` does: an error
/// or a security finding that `lint.toml` does not accept stops before AWS is called.
pub fn read_manifest(path: Option<&Path>) -> Result<Manifest> {
    let default = crate::project_root().join("policies/baseline.toml");
    let path = path.unwrap_or(&default);
    let manifest = load_manifest(path).map_err(|errors| {
        for error in &errors.0 {
            eprintln!("error: {error}");
        }
        anyhow::anyhow!(
            "{} problem(s) in the manifest or its policies: nothing was sent to AWS",
            errors.0.len()
        )
    })?;
    let review = iamkit_stack::review::review(&manifest);
    if !review.findings.is_empty() {
        eprintln!(
            "lint: {} (`cargo xtask lint` explains them and lists the accepted ones)",
            review.summary()
        );
    }
    Ok(manifest)
}

/// Warns about each user or role of `manifest` that becomes an administrator without MFA
/// though the manifest does not make it one: for `cargo xtask lint` and `setup`, before
/// anything exists.
pub fn warn_escalations(manifest: &Manifest) {
    match iamkit_stack::access::manifest_escalations(manifest) {
        Ok(found) => {
            for escalation in found {
                eprintln!("warning: {escalation}\n  help: {}", escalation.fix);
            }
        }
        Err(e) => eprintln!("warning: the manifest's paths to admin were not analysed: {e}"),
    }
}

/// Clients for the target, in `--region`, else the manifest's region, else the default.
pub async fn connect(
    args: &TargetArgs,
    target: &iamkit_provision::Target,
    manifest: &Manifest,
) -> Clients {
    let region = args.region.as_deref().or(manifest.region.as_deref());
    iamkit_provision::connect(target, region).await
}

/// The function's package: `--lambda-zip`, else the hello-world Lambda built and zipped now
/// (quick when it is up to date).
fn read_code(path: Option<&Path>) -> Result<BTreeMap<String, Code>> {
    let code = match path {
        Some(path) => {
            let zip = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Code::from_zip(zip)
        }
        None => {
            let packaged = crate::lambda::package()?;
            let zip = std::fs::read(&packaged.zip)
                .with_context(|| format!("reading {}", packaged.zip.display()))?;
            eprintln!(
                "lambda package {} (sha256 {})",
                packaged.zip.display(),
                packaged.sha256
            );
            Code::new(zip, &packaged.sha256)
                .with_context(|| format!("{} changed while it was read", packaged.zip.display()))?
        }
    };
    Ok(BTreeMap::from([("hello".to_owned(), code)]))
}
