#![doc = include_str!("../README.md")]

mod access;
mod account;
mod controls;
mod drift;
mod escalation;
mod expectations;
mod live;
mod readback;
mod report;

use std::collections::BTreeMap;

use iamkit_provision::{Clients, Error, Runner, observe_with_snapshot, whoami};
use iamkit_stack::{Code, Desired, Manifest};

pub use controls::{full_admin_statements, trust_without_mfa};
pub use expectations::{
    Expectation, Judged, Placeholders, Principal, SESSION_NAME, judge, load_expectations,
    parse_expectations, request,
};
pub use live::{GREETING, KEY_MARK, aws_decision};
pub use readback::{ReadPolicy, Reader};
pub use report::{Check, Group, Report, Status, Summary};

/// What verify checks, beyond the manifest.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The expectations (`policies/expectations.toml`).
    pub expectations: Vec<Expectation>,
    /// Each function's deployment package, by name: drift then compares the deployed code.
    pub code: BTreeMap<String, Code>,
    /// How the function is run: `lambda:Invoke` on AWS, the package locally on the emulator.
    pub runner: Runner,
    /// The object the function writes: `hello.txt`, as in the article.
    pub object: String,
}

impl VerifyOptions {
    /// Options with the article's object name.
    pub fn new(expectations: Vec<Expectation>, runner: Runner) -> VerifyOptions {
        VerifyOptions {
            expectations,
            code: BTreeMap::new(),
            runner,
            object: "hello.txt".to_owned(),
        }
    }
}

/// Runs every check against the caller's account, reading the account once. An `Err` only
/// when the account cannot be read at all (or the manifest cannot be filled in); every other
/// problem is a failed check.
pub async fn verify(
    clients: &Clients,
    manifest: &Manifest,
    region: &str,
    options: &VerifyOptions,
) -> Result<Report, VerifyError> {
    let identity = whoami(clients).await?;
    let desired = Desired::new(manifest, &identity, region, &options.code)?;
    let mut report = Report {
        stack: desired.stack.clone(),
        account: desired.account.to_string(),
        region: desired.region.clone(),
        target: if clients.target.is_aws() {
            "aws"
        } else {
            "emulator"
        }
        .to_owned(),
        ..Report::default()
    };
    // One read of the account: the stack as it is, and the snapshot of its IAM that the
    // static checks and the account controls read.
    let (observed, snapshot) = observe_with_snapshot(clients, &desired).await?;
    if nothing_of_ours(&observed, &desired.stack) {
        return Err(VerifyError::NothingHere {
            stack: desired.stack,
            account: report.account,
            region: report.region,
        });
    }
    drift::drift(&desired, &observed, &mut report);
    let at = placeholders(&desired);
    let mut reader = Reader::new(&snapshot);
    let judged = access::access(
        clients,
        &mut reader,
        &at,
        &options.expectations,
        &mut report,
    )
    .await?;
    escalation::escalation(manifest, &desired, &observed, &snapshot, &mut report);
    live::run(clients, &desired, &at, options, &judged, &mut report).await;
    account::account(clients, &desired, &snapshot, &mut report).await;
    Ok(report)
}

/// What stops verify before any check.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The account cannot be read (or the manifest cannot be filled in).
    #[error(transparent)]
    Provision(#[from] Error),
    /// Nothing of the stack exists in the account: every check would fail, and say nothing.
    #[error(
        "nothing of stack `{stack}` exists in account {account} ({region})\n  help: run `cargo xtask setup` first (with the same `--aws`, `--region` or `--endpoint-url`)"
    )]
    NothingHere {
        /// The stack.
        stack: String,
        /// The account read.
        account: String,
        /// The region read.
        region: String,
    },
}

impl From<iamkit_stack::ManifestErrors> for VerifyError {
    fn from(errors: iamkit_stack::ManifestErrors) -> Self {
        VerifyError::Provision(errors.into())
    }
}

/// Whether none of the stack's resources exists: nothing with its mark.
fn nothing_of_ours(observed: &iamkit_stack::Observed, stack: &str) -> bool {
    use iamkit_stack::tagged;
    let path = iamkit_stack::marks::group_path(stack);
    !observed.policies.values().any(|p| tagged(&p.tags, stack))
        && !observed.users.values().any(|u| tagged(&u.tags, stack))
        && !observed.roles.values().any(|r| tagged(&r.tags, stack))
        && !observed.groups.values().any(|g| g.path == path)
        && !observed.functions.values().any(|f| tagged(&f.tags, stack))
        && !observed
            .bucket
            .as_ref()
            .is_some_and(|b| tagged(&b.tags, stack))
}

/// The placeholder values for `desired`'s account.
pub fn placeholders(desired: &Desired) -> Placeholders {
    Placeholders {
        partition: desired.partition.clone(),
        account: desired.account,
        region: desired.region.clone(),
        bucket: desired
            .bucket
            .as_ref()
            .map(|b| b.name.clone())
            .unwrap_or_default(),
        function: desired.functions.keys().next().cloned().unwrap_or_default(),
    }
}
