//! `cargo xtask setup`: the article's account from `policies/baseline.toml`: plan, then apply.
//! The flow is the library's (`iamkit_provision::setup`); this prints it and answers it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use iamkit_provision::{ApplyOptions, SetupOptions};
use iamkit_stack::{Manifest, load_manifest};

use crate::{
    document::{Rejected, Status},
    global::Global,
    lambda::{self, CodeArgs},
    printer::Printer,
};

#[derive(clap::Args)]
pub struct Args {
    /// Print the plan and stop: nothing is written.
    #[arg(long)]
    dry_run: bool,
    /// With `--dry-run`, as `terraform plan -detailed-exitcode`: exit 0 when the account
    /// matches the manifest, 2 when changes are pending, 1 on an error. For CI to detect drift.
    #[arg(long, requires = "dry_run")]
    detailed_exitcode: bool,
    /// Take over resources that have the manifest's names but not this stack's mark (tag them,
    /// move groups under the stack's path) instead of stopping.
    #[arg(long)]
    adopt: bool,
    /// Where console passwords are written, one mode-0600 file per user (default:
    /// target/credentials).
    #[arg(long)]
    credentials_dir: Option<PathBuf>,
    #[command(flatten)]
    code: CodeArgs,
    /// With `--aws`: apply without asking (for scripts). Without it, the plan must be confirmed
    /// on a terminal.
    #[arg(long)]
    yes: bool,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let manifest = read_manifest(&global.manifest_path())?;
    warn_escalations(&manifest);
    let target = global.target()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let json = global.json();
    runtime.block_on(async {
        let clients = global.connect(&target, Some(&manifest)).await?;
        let credentials_dir = args
            .credentials_dir
            .clone()
            .unwrap_or_else(|| crate::target_dir().join("credentials"));
        let options = SetupOptions {
            adopt: args.adopt,
            dry_run: args.dry_run,
            apply: ApplyOptions::new(credentials_dir),
        };
        let code = args.code.clone();
        let mut printer = Printer::new("setup", json, args.yes)
            .with_packages(Box::new(move || lambda::code(&code.zip()?)));
        let outcome = iamkit_provision::setup(&clients, &manifest, &options, &mut printer).await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => return Err(printer.failed(e.into())),
        };
        let mut document = printer.finish(&outcome.plan, outcome.applied.as_ref());
        if let Some(report) = &outcome.applied {
            document.credentials = report.credentials.clone();
        }
        if json {
            document.print();
        }
        for path in &document.credentials {
            eprintln!(
                "console password written to {} (readable only by you); it must be changed at first sign-in",
                path.display()
            );
        }
        if args.detailed_exitcode && document.status == Status::Planned {
            return Err(PendingChanges(outcome.plan.changes.len()).into());
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
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    let manifest = load_manifest(path).map_err(Rejected::report)?;
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
