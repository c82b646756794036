//! `cargo xtask setup`: the article's account from `policies/baseline.toml`: plan, then apply.

use std::{
    collections::BTreeMap,
    io::IsTerminal,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use iamkit_provision::{
    Action, ApplyOptions, Change, Clients, Code, Desired, Manifest, Plan, apply, load_manifest,
    observe, plan, whoami,
};

use crate::target::{self, TargetArgs};

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
    let root = crate::project_root();
    let manifest = read_manifest(args.manifest.as_deref())?;
    let code = read_code(args.lambda_zip.as_deref())?;
    let target = target::resolve(&args.target)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let clients = connect(&args.target, &target, &manifest).await;
        let mut desired = desired(&clients, &manifest, code).await?;
        desired.adopt = args.adopt;
        let observed = observe(&clients, &desired).await?;
        let plan = plan(&desired, &observed);
        for note in &plan.notes {
            eprintln!("note: {note}");
        }
        if args.output == Output::Text {
            print_plan(&plan, "setup");
        }
        if !plan.conflicts.is_empty() {
            if args.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            }
            bail!(iamkit_provision::Error::NotOurs(plan.conflicts.clone()));
        }
        if !plan.is_empty() {
            preflight(&clients, &plan, &desired, args.dry_run, args.yes).await?;
        }
        if args.dry_run || plan.is_empty() {
            if args.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            }
            return Ok(());
        }
        let credentials_dir = args
            .credentials_dir
            .clone()
            .unwrap_or_else(|| target_dir(&root).join("credentials"));
        let options = ApplyOptions::new(credentials_dir);
        let json = args.output == Output::Json;
        let report = apply(&clients, &plan, &options, &mut |change: &Change| {
            progress(change, json);
        })
        .await?;
        if json {
            let out = serde_json::json!({
                "plan": plan,
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

/// On a real account, before the first write: checks with `iam:SimulatePrincipalPolicy` that
/// the caller may do everything the plan needs, then asks for confirmation (unless `--yes`;
/// never when standard input is not a terminal). Does nothing on an emulator.
pub async fn preflight(
    clients: &Clients,
    plan: &Plan,
    desired: &Desired,
    dry_run: bool,
    yes: bool,
) -> Result<()> {
    if !clients.target.is_aws() {
        return Ok(());
    }
    let needed = iamkit_provision::required_permissions(plan, desired);
    let me = whoami(clients).await?;
    let check = iamkit_provision::check_permissions(clients, &me, &needed).await?;
    match (&check.principal, &check.note) {
        (Some(principal), _) => eprintln!(
            "preflight: `{principal}` may perform all {} action(s) the plan needs (IAM policy simulator; service control policies are not simulated)",
            check.checked
        ),
        (None, Some(note)) => eprintln!("preflight: {note}"),
        (None, None) => {}
    }
    if dry_run {
        return Ok(());
    }
    iamkit_provision::confirm(yes, std::io::stdin().is_terminal(), || {
        eprint!(
            "apply these changes to AWS account {} ({})? type `yes` to go on: ",
            plan.account, plan.region
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        Ok(answer)
    })?;
    Ok(())
}

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
    let review = iamkit_provision::review::review(&manifest);
    if !review.findings.is_empty() {
        eprintln!(
            "lint: {} (`cargo xtask lint` explains them and lists the accepted ones)",
            review.summary()
        );
    }
    Ok(manifest)
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

/// The desired state for the caller's account; warns when the caller is the root user.
pub async fn desired(
    clients: &Clients,
    manifest: &Manifest,
    code: BTreeMap<String, Code>,
) -> Result<Desired> {
    let me = whoami(clients).await?;
    if clients.target.is_aws() {
        let region = clients.config.region().map(|r| r.as_ref()).unwrap_or("?");
        eprintln!(
            "AWS account {} as `{}` in region {region}",
            me.account, me.arn
        );
    }
    if me.is_root() {
        eprintln!(
            "warning: these are the account's root credentials. The point of this baseline is to stop using them: \
             after setup, sign in as dev-user, and delete the root access keys (`verify` checks)"
        );
    }
    let region = clients
        .config
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_else(|| iamkit_provision::DEFAULT_REGION.to_owned());
    Ok(Desired::new(manifest, &me, &region, &code)?)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
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

fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn paint(action: Action, text: &str) -> String {
    if !colour() {
        return text.to_owned();
    }
    let code = match action {
        Action::Create => "32",
        Action::Update => "33",
        Action::Delete => "31",
        Action::Adopt => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Prints the plan like `terraform plan`: one line per change, then the totals.
pub fn print_plan(plan: &Plan, task: &str) {
    println!(
        "{task}: stack `{}` in account {} ({})",
        plan.stack, plan.account, plan.region
    );
    for conflict in &plan.conflicts {
        println!("  ! {conflict}");
    }
    if plan.is_empty() {
        if plan.conflicts.is_empty() && task == "teardown" {
            println!("\nNothing to remove: the stack has no resources in this account.");
        } else if plan.conflicts.is_empty() {
            println!("\nNo changes. The account matches the manifest.");
        }
        return;
    }
    println!();
    for change in &plan.changes {
        let line = format!("  {} {}", change.action.sign(), change.address);
        match &change.detail {
            Some(detail) => println!("{}  ({detail})", paint(change.action, &line)),
            None => println!("{}", paint(change.action, &line)),
        }
    }
    println!(
        "\nPlan: {} to adopt, {} to create, {} to update, {} to delete.",
        plan.count(Action::Adopt),
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Delete)
    );
}

/// One line per change made: to stdout for people, to stderr when stdout is JSON.
pub fn progress(change: &Change, json: bool) {
    let line = paint(
        change.action,
        &format!("{} {}: done", change.action.sign(), change.address),
    );
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}
