//! `cargo xtask access`: access analysis with iamkit-access.
//!
//! - `access principal ARN`: effective permissions over the service catalog;
//! - `access who-can ACTION RESOURCE`: every principal allowed, with the deciding statements;
//! - `access paths`: every path to admin, one entry per user and role;
//! - `access generate`: write a generated account (the benchmark's) in the AWS CLI's format;
//! - `access bench [--pmapper]`: time `access paths` on that account, and PMapper on the same.
//!
//! The account comes from a [`Source`]: the emulator's account by default, or `--aws`, or
//! `--endpoint-url`, resolved by the global options as every other task resolves its target
//! (one `GetAccountAuthorizationDetails` and `ListFunctions`,
//! `iamkit_provision::read_access_account`); or files (`--details FILE [--functions FILE]`,
//! what `aws iam get-account-authorization-details --output json` and `aws lambda
//! list-functions --output json` print); or the manifest's desired state (the global
//! `--manifest FILE`), in the example account `123456789012`. `--output json` is global too.

mod bench;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use iamkit_access::synthetic::{Shape, generate};
use iamkit_access::{Account, Analysis, load_details, load_functions};
use iamkit_stack::Manifest;

use crate::global::{Global, Output};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Effective permissions of a user or role over the whole service catalog, by service.
    Principal {
        /// The user's or role's ARN, as the account lists it.
        arn: String,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Every principal allowed ACTION on RESOURCE (an ARN, or `*`), and under which conditions.
    WhoCan {
        /// The action, such as `iam:PassRole`.
        action: String,
        /// The resource ARN, or `*` for actions that take no resource.
        resource: String,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Every path to admin-equivalence, one entry for every user and role.
    Paths {
        #[command(flatten)]
        source: SourceArgs,
        /// At most this many paths per principal.
        #[arg(long, default_value_t = 5)]
        max_paths: usize,
    },
    /// Time `access paths` on the generated benchmark account; `--pmapper`: PMapper too.
    Bench(bench::Args),
    /// Write a generated account: DIR/details.json and DIR/functions.json.
    Generate {
        /// Where to write the two files.
        #[arg(long)]
        out: PathBuf,
        /// Users (the benchmark's account: 1,000 users, 500 roles, 2,000 policies).
        #[arg(long, default_value_t = Shape::benchmark().users)]
        users: usize,
        /// Roles.
        #[arg(long, default_value_t = Shape::benchmark().roles)]
        roles: usize,
        /// Customer-managed policies.
        #[arg(long, default_value_t = Shape::benchmark().policies)]
        policies: usize,
        /// Groups.
        #[arg(long, default_value_t = Shape::benchmark().groups)]
        groups: usize,
        /// Lambda functions.
        #[arg(long, default_value_t = Shape::benchmark().functions)]
        functions: usize,
        /// The seed.
        #[arg(long, default_value_t = Shape::benchmark().seed)]
        seed: u64,
    },
}

/// Where the account comes from: files; else the global `--manifest FILE` (the manifest's
/// desired state); else the target of the global options (the emulator's account by default,
/// `--endpoint-url`, `--aws`).
#[derive(clap::Args, Clone, Debug)]
struct SourceArgs {
    /// What `aws iam get-account-authorization-details --output json` prints (documents
    /// decoded, or URL-encoded as the API returns them).
    #[arg(long)]
    details: Option<PathBuf>,
    /// What `aws lambda list-functions --output json` prints.
    #[arg(long, requires = "details")]
    functions: Option<PathBuf>,
}

/// A way to get an account: each a `load` that returns the same model.
trait Source {
    fn load(&self) -> Result<Account>;
}

/// The account of the resolved target: the emulator's, `--endpoint-url`'s or `--aws`'s.
struct Live(Global);

impl Source for Live {
    fn load(&self) -> Result<Account> {
        let target = self.0.target()?;
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let clients = self.0.connect(&target, None).await?;
            Ok(iamkit_provision::read_access_account(&clients).await?)
        })
    }
}

/// The manifest's desired state, in the example account.
struct Planned(Manifest);

impl Source for Planned {
    fn load(&self) -> Result<Account> {
        let desired = iamkit_stack::access::example_desired(&self.0)?;
        Ok(iamkit_stack::access::desired_account(&desired)?)
    }
}

/// The account from the AWS CLI's output files.
struct Files {
    details: PathBuf,
    functions: Option<PathBuf>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

impl Source for Files {
    fn load(&self) -> Result<Account> {
        let file = self.details.display().to_string();
        let mut account = load_details(&read(&self.details)?)
            .map_err(|e| anyhow::anyhow!("{}", e.render(&file).trim_end()))?;
        if let Some(path) = &self.functions {
            let file = path.display().to_string();
            account.functions = load_functions(&read(path)?)
                .map_err(|e| anyhow::anyhow!("{}", e.render(&file).trim_end()))?;
        }
        Ok(account)
    }
}

fn source(args: &SourceArgs, global: &Global) -> Result<Box<dyn Source>> {
    let target_given = global.aws || global.endpoint_url.is_some() || global.profile.is_some();
    if let Some(details) = &args.details {
        if target_given || global.manifest.is_some() {
            bail!(
                "`--details` reads the account from files: it takes no `--aws`, `--profile`, `--endpoint-url` or `--manifest`"
            );
        }
        return Ok(Box::new(Files {
            details: details.clone(),
            functions: args.functions.clone(),
        }));
    }
    if let Some(manifest) = &global.manifest {
        if target_given {
            bail!(
                "`--manifest` analyses the manifest before anything exists: it takes no `--aws`, `--profile` or `--endpoint-url`\n  help: to analyse the account setup made, drop `--manifest`"
            );
        }
        let manifest = crate::setup::read_manifest(manifest)?;
        return Ok(Box::new(Planned(manifest)));
    }
    Ok(Box::new(Live(global.clone())))
}

fn print_text(text: &str) -> Result<()> {
    say!("{}", text.trim_end());
    Ok(())
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    say!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn warn(analysis: &Analysis<'_>) {
    for w in analysis.warnings() {
        eprintln!("warning: {w}");
    }
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    match args.command {
        Command::Principal { arn, source: s } => {
            let account = source(&s, global)?.load()?;
            let analysis = Analysis::new(&account);
            warn(&analysis);
            let permissions = analysis
                .permissions(&arn)
                .map_err(|e| anyhow::anyhow!("{e}\n  help: {}", e.help()))?;
            match global.output() {
                Output::Json => print_json(&permissions),
                Output::Text => print_text(&permissions.to_text()),
            }
        }
        Command::WhoCan {
            action,
            resource,
            source: s,
        } => {
            let account = source(&s, global)?.load()?;
            let analysis = Analysis::new(&account);
            warn(&analysis);
            let answer = analysis
                .who_can(&action, &resource)
                .map_err(|e| anyhow::anyhow!("{e}\n  help: {}", e.help()))?;
            match global.output() {
                Output::Json => print_json(&answer),
                Output::Text => print_text(&answer.to_text()),
            }
        }
        Command::Paths {
            source: s,
            max_paths,
        } => {
            let account = source(&s, global)?.load()?;
            let options = iamkit_access::Options {
                max_paths,
                ..iamkit_access::Options::default()
            };
            let analysis = Analysis::with_options(&account, options);
            warn(&analysis);
            let report = analysis.paths();
            match global.output() {
                Output::Json => print_json(&report),
                Output::Text => print_text(&report.to_text()),
            }
        }
        Command::Bench(args) => bench::run(args),
        Command::Generate {
            out,
            users,
            roles,
            policies,
            groups,
            functions,
            seed,
        } => {
            let shape = Shape {
                users,
                roles,
                policies,
                groups,
                functions,
                seed,
            };
            let generated = generate(&shape);
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create `{}`", out.display()))?;
            for (name, value) in [
                ("details.json", &generated.details),
                ("functions.json", &generated.functions),
            ] {
                let path = out.join(name);
                std::fs::write(&path, serde_json::to_string_pretty(value)?)
                    .with_context(|| format!("cannot write `{}`", path.display()))?;
                say!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}
