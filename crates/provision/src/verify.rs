//! `verify`: proves that the account does what the manifest and the article intend, and says
//! for each check why it passed or failed.
//!
//! Four groups of checks, in order:
//!
//! 1. **drift**: the plan from provisioning is empty; otherwise every change it would make.
//! 2. **static access**: each expectation of `policies/expectations.toml`, decided by
//!    iamkit-eval over the policies read back from the account (managed and inline, the user's
//!    and its groups', a role's, and a role's trust policy for `sts:AssumeRole`).
//! 3. **live**: calls made with the principals' own credentials: a temporary access key of the
//!    user (deleted at the end, even on failure), a session of each role that trusts the
//!    account, and the function invoked and its object read back. On AWS, the deny
//!    expectations are also asked of AWS's policy simulator, and every disagreement with our
//!    engine is reported.
//! 4. **account**: root MFA and root access keys, no user with policies attached directly, no
//!    customer policy granting `*:*`, roles trusting the account require MFA.

mod controls;
mod expectations;
mod live;
mod readback;

use std::{collections::BTreeMap, fmt, path::PathBuf};

use serde::Serialize;

pub use controls::{full_admin_statements, trust_without_mfa};
pub use expectations::{
    Expectation, Judged, Placeholders, Principal, SESSION_NAME, judge, load_expectations,
    parse_expectations, request,
};
pub use live::{GREETING, KEY_MARK, aws_decision};
pub use readback::{ReadPolicy, Reader};

use crate::{
    Clients, Code, Desired, Manifest, Target, error::Error, mfa, observe::observe, plan::plan,
    whoami,
};

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As intended.
    Pass,
    /// Not as intended: verify exits non-zero.
    Fail,
    /// Worth fixing, but not a failure.
    Warn,
    /// Not checked, with the reason in the detail.
    Skipped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Warn => "warn",
            Status::Skipped => "skip",
        })
    }
}

/// The groups checks come in, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// The account against the manifest.
    Drift,
    /// Expectations decided by our engine over the policies read back.
    Access,
    /// Calls made with the principals' own credentials.
    Live,
    /// Baseline account controls.
    Account,
}

impl Group {
    /// The heading of the group in the table.
    pub fn title(self) -> &'static str {
        match self {
            Group::Drift => "drift: the account against the manifest",
            Group::Access => {
                "static access: iamkit-eval over the policies read back from the account"
            }
            Group::Live => "live: calls made with the principals' own credentials",
            Group::Account => "account controls",
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Its group.
    pub group: Group,
    /// A short stable name: `dev-user-lists-buckets`, `root-mfa`, ...
    pub name: String,
    /// How it came out.
    pub status: Status,
    /// What was seen, and for decisions the deciding statement.
    pub detail: String,
    /// What to do about a failure or a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Check {
    /// A check.
    pub fn new(group: Group, name: &str, status: Status, detail: impl Into<String>) -> Check {
        Check {
            group,
            name: name.to_owned(),
            status,
            detail: detail.into(),
            help: None,
        }
    }

    /// The same check with advice.
    pub fn help(mut self, help: impl Into<String>) -> Check {
        self.help = Some(help.into());
        self
    }
}

/// Everything verify found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The stack.
    pub stack: String,
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
    /// `emulator` or `aws`.
    pub target: String,
    /// The checks, grouped, in the order they ran.
    pub checks: Vec<Check>,
    /// How many checks came out each way.
    pub summary: Summary,
}

/// Counts of checks by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// Skipped.
    pub skipped: usize,
}

impl Report {
    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.summary.fail == 0
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    /// The check named `name`, if it ran.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    fn push(&mut self, check: Check) {
        match check.status {
            Status::Pass => self.summary.pass += 1,
            Status::Fail => self.summary.fail += 1,
            Status::Warn => self.summary.warn += 1,
            Status::Skipped => self.summary.skipped += 1,
        }
        self.checks.push(check);
    }
}

/// The table: one line per check, grouped, then the summary.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "verify: stack {}, account {}, region {} ({})",
            self.stack, self.account, self.region, self.target
        )?;
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut group = None;
        for check in &self.checks {
            if group != Some(check.group) {
                group = Some(check.group);
                writeln!(f)?;
                writeln!(f, "{}", check.group.title())?;
            }
            writeln!(
                f,
                "  {}  {:width$}  {}",
                check.status, check.name, check.detail
            )?;
            if let Some(help) = &check.help
                && check.status != Status::Pass
            {
                for line in help.lines() {
                    writeln!(f, "  {:4}  {:width$}  help: {line}", "", "")?;
                }
            }
        }
        writeln!(f)?;
        let s = &self.summary;
        write!(
            f,
            "{}: {} passed, {} failed, {} warning(s), {} skipped",
            if self.passed() {
                "verified"
            } else {
                "NOT verified"
            },
            s.pass,
            s.fail,
            s.warn,
            s.skipped
        )
    }
}

/// How the function is run for the live check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runner {
    /// `lambda:Invoke` on the deployed function (AWS).
    Lambda,
    /// The deployment package's `bootstrap`, run through the local Lambda Runtime API
    /// (`iamkit_emulator::lambda`) against the emulator, with the temporary credentials of the
    /// function's execution role as read back from the account. Before it runs, the deployed
    /// `CodeSha256` is compared with the package's.
    Local {
        /// The unpacked `bootstrap` executable.
        bootstrap: PathBuf,
    },
}

/// What verify checks, beyond the manifest.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The expectations (`policies/expectations.toml`).
    pub expectations: Vec<Expectation>,
    /// Each function's deployment package, by name: drift then compares the deployed code.
    pub code: BTreeMap<String, Code>,
    /// How the function is run.
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

/// Runs every check against the caller's account. An `Err` only when the account cannot be
/// read at all (or the manifest cannot be filled in); every other problem is a failed check.
pub async fn verify(
    clients: &Clients,
    manifest: &Manifest,
    region: &str,
    options: &VerifyOptions,
) -> Result<Report, Error> {
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
    drift(clients, &desired, &mut report).await?;
    let at = placeholders(&desired);
    let judged = access(clients, &at, &options.expectations, &mut report).await?;
    live::run(clients, &desired, &at, options, &judged, &mut report).await;
    account(clients, &desired, &mut report).await;
    Ok(report)
}

/// The placeholder values for `desired`'s account.
pub fn placeholders(desired: &Desired) -> Placeholders {
    Placeholders {
        partition: desired.partition.clone(),
        account: desired.account.to_string(),
        region: desired.region.clone(),
        bucket: desired
            .bucket
            .as_ref()
            .map(|b| b.name.clone())
            .unwrap_or_default(),
        function: desired.functions.keys().next().cloned().unwrap_or_default(),
    }
}

async fn drift(clients: &Clients, desired: &Desired, report: &mut Report) -> Result<(), Error> {
    let observed = observe(clients, desired).await?;
    let plan = plan(desired, &observed);
    if plan.is_empty() && plan.conflicts.is_empty() && plan.notes.is_empty() {
        report.push(Check::new(
            Group::Drift,
            "drift",
            Status::Pass,
            "the account matches the manifest: the plan is empty",
        ));
        return Ok(());
    }
    for change in &plan.changes {
        let detail = match &change.detail {
            Some(why) => format!("{} {}: {why}", change.action.sign(), change.address),
            None => format!("{} {}", change.action.sign(), change.address),
        };
        report.push(
            Check::new(Group::Drift, "drift", Status::Fail, detail)
                .help("`cargo xtask setup` puts the account back as the manifest says"),
        );
    }
    for conflict in &plan.conflicts {
        report.push(Check::new(
            Group::Drift,
            "drift",
            Status::Fail,
            format!("{}: not the stack's: {}", conflict.address, conflict.reason),
        ));
    }
    for note in &plan.notes {
        report.push(Check::new(
            Group::Drift,
            "drift",
            Status::Warn,
            note.clone(),
        ));
    }
    Ok(())
}

/// The role named by an `sts:AssumeRole` resource in the account (`...:role/path/NAME`).
fn assumed_role_name<'a>(action: &str, resource: &'a str, account: &str) -> Option<&'a str> {
    if !action.eq_ignore_ascii_case("sts:AssumeRole") {
        return None;
    }
    let (head, path) = resource.split_once(":role/")?;
    head.ends_with(&format!(":{account}"))
        .then(|| path.rsplit('/').next())
        .flatten()
}

async fn access(
    clients: &Clients,
    at: &Placeholders,
    expectations: &[Expectation],
    report: &mut Report,
) -> Result<BTreeMap<String, Judged>, Error> {
    let mut reader = Reader::load(clients).await?;
    let mut identities: BTreeMap<String, Result<Vec<iamkit_eval::NamedPolicy>, String>> =
        BTreeMap::new();
    let mut trusts: BTreeMap<String, Option<iamkit_eval::NamedPolicy>> = BTreeMap::new();
    let mut judged = BTreeMap::new();
    for expectation in expectations {
        let principal = Principal::parse(&expectation.principal);
        if !identities.contains_key(&expectation.principal) {
            let read = match &principal {
                Principal::User(name) => reader
                    .user(clients, name)
                    .await?
                    .ok_or_else(|| format!("user `{name}` is not in the account")),
                Principal::Role(name) => reader
                    .role(clients, name)
                    .await?
                    .map(|(identity, _)| identity)
                    .ok_or_else(|| format!("role `{name}` is not in the account")),
                Principal::Arn(_) => Ok(Vec::new()),
            };
            let parsed = read.and_then(|policies| readback::named(&policies));
            identities.insert(expectation.principal.clone(), parsed);
        }
        let resource = at.fill(&expectation.resource);
        let trust = match assumed_role_name(&expectation.action, &resource, &at.account) {
            Some(role) => {
                if !trusts.contains_key(role) {
                    let trust = match reader.role(clients, role).await? {
                        Some((_, trust)) => readback::named_one(&trust).ok(),
                        None => None,
                    };
                    trusts.insert(role.to_owned(), trust);
                }
                trusts.get(role).cloned().flatten()
            }
            None => None,
        };
        let identity = match identities.get(&expectation.principal) {
            Some(Ok(identity)) => identity,
            Some(Err(problem)) => {
                report.push(Check::new(
                    Group::Access,
                    &expectation.name,
                    Status::Fail,
                    problem.clone(),
                ));
                continue;
            }
            None => continue,
        };
        let outcome = judge(expectation, at, identity, trust.as_ref());
        let check = if outcome.decision == expectation.decision {
            Check::new(
                Group::Access,
                &expectation.name,
                Status::Pass,
                format!("{}: {}", outcome.decision, outcome.why),
            )
        } else {
            Check::new(
                Group::Access,
                &expectation.name,
                Status::Fail,
                format!(
                    "expected {}, got {}: {}",
                    expectation.decision, outcome.decision, outcome.why
                ),
            )
            .help(format!(
                "{} {} on {}; the article: {}",
                expectation.principal, expectation.action, resource, expectation.article
            ))
        };
        report.push(check);
        judged.insert(expectation.name.clone(), outcome);
    }
    Ok(judged)
}

async fn account(clients: &Clients, desired: &Desired, report: &mut Report) {
    let on_emulator = matches!(clients.target, Target::Emulator { .. });
    match mfa::root_status(clients).await {
        Err(e) => report.push(Check::new(
            Group::Account,
            "root-mfa",
            Status::Fail,
            format!("GetAccountSummary failed: {e}"),
        )),
        Ok(_) if on_emulator => {
            report.push(Check::new(
                Group::Account,
                "root-mfa",
                Status::Skipped,
                "known emulator limit: its GetAccountSummary always reports AccountMFAEnabled 0",
            ));
            report.push(Check::new(
                Group::Account,
                "root-access-keys",
                Status::Skipped,
                "known emulator limit: its GetAccountSummary always reports AccountAccessKeysPresent 0",
            ));
        }
        Ok(root) => {
            report.push(if root.mfa_enabled {
                Check::new(
                    Group::Account,
                    "root-mfa",
                    Status::Pass,
                    "AccountMFAEnabled is 1",
                )
            } else {
                Check::new(
                    Group::Account,
                    "root-mfa",
                    Status::Fail,
                    "AccountMFAEnabled is 0: the root user has no MFA device",
                )
                .help(mfa::ROOT_MFA_STEPS)
            });
            report.push(if root.access_keys_present {
                Check::new(
                    Group::Account,
                    "root-access-keys",
                    Status::Fail,
                    "AccountAccessKeysPresent is 1: the root user has access keys",
                )
                .help(
                    "sign in as the root user > Security credentials > Access keys: delete them \
                     (use an IAM user or role instead)",
                )
            } else {
                Check::new(
                    Group::Account,
                    "root-access-keys",
                    Status::Pass,
                    "AccountAccessKeysPresent is 0",
                )
            });
        }
    }
    report.push(match users_with_direct_policies(clients).await {
        Err(e) => Check::new(
            Group::Account,
            "no-direct-user-policies",
            Status::Fail,
            e.to_string(),
        ),
        Ok((users, offenders)) if offenders.is_empty() => Check::new(
            Group::Account,
            "no-direct-user-policies",
            Status::Pass,
            format!("none of the account's {users} user(s) has a policy attached directly"),
        ),
        Ok((_, offenders)) => Check::new(
            Group::Account,
            "no-direct-user-policies",
            Status::Fail,
            format!("policies attached directly: {}", offenders.join("; ")),
        )
        .help("attach policies to groups and make the user a member (Security Hub IAM.2)"),
    });
    report.push(match full_admin_policies(clients).await {
        Err(e) => Check::new(
            Group::Account,
            "no-star-star-policy",
            Status::Fail,
            e.to_string(),
        ),
        Ok((count, offenders)) if offenders.is_empty() => Check::new(
            Group::Account,
            "no-star-star-policy",
            Status::Pass,
            format!("none of the account's {count} customer managed policies allows `*` on `*`"),
        ),
        Ok((_, offenders)) => Check::new(
            Group::Account,
            "no-star-star-policy",
            Status::Fail,
            format!(
                "allows every action on every resource: {}",
                offenders.join("; ")
            ),
        )
        .help("grant the services and actions needed (Security Hub IAM.1)"),
    });
    let mut reader = match Reader::load(clients).await {
        Ok(reader) => reader,
        Err(e) => {
            report.push(Check::new(
                Group::Account,
                "trust-requires-mfa",
                Status::Fail,
                e.to_string(),
            ));
            return;
        }
    };
    for name in desired.roles.keys() {
        let check_name = format!("{name}-trust-requires-mfa");
        let trust = match reader.role(clients, name).await {
            Ok(Some((_, trust))) => trust,
            Ok(None) => continue,
            Err(e) => {
                report.push(Check::new(
                    Group::Account,
                    &check_name,
                    Status::Fail,
                    e.to_string(),
                ));
                continue;
            }
        };
        let trusts_iam = trust
            .document
            .get("Statement")
            .map(|s| s.to_string().contains("\"AWS\""))
            .unwrap_or(false);
        if !trusts_iam {
            continue;
        }
        let without = trust_without_mfa(&trust.document);
        report.push(if without.is_empty() {
            Check::new(
                Group::Account,
                &check_name,
                Status::Pass,
                format!("switching to role {name} needs MFA"),
            )
        } else {
            Check::new(
                Group::Account,
                &check_name,
                Status::Warn,
                format!(
                    "role {name}'s trust policy lets principals of the account switch to it without MFA (statement {})",
                    without.join(", ")
                ),
            )
            .help(format!(
                "set `require_mfa = true` in the trust of [roles.{name}] in the manifest, then `cargo xtask setup`"
            ))
        });
    }
}

async fn users_with_direct_policies(clients: &Clients) -> Result<(usize, Vec<String>), Error> {
    let users = clients
        .iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| Error::aws("ListUsers", "account", e))?;
    let mut offenders = Vec::new();
    for user in &users {
        let name = user.user_name();
        let attached = clients
            .iam
            .list_attached_user_policies()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListAttachedUserPolicies", name, e))?;
        let inline = clients
            .iam
            .list_user_policies()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListUserPolicies", name, e))?;
        let mut names: Vec<String> = attached
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_owned))
            .collect();
        names.extend(inline.into_iter().map(|p| format!("inline {p}")));
        if !names.is_empty() {
            offenders.push(format!("user {name}: {}", names.join(", ")));
        }
    }
    Ok((users.len(), offenders))
}

async fn full_admin_policies(clients: &Clients) -> Result<(usize, Vec<String>), Error> {
    let policies = clients
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| Error::aws("ListPolicies", "account", e))?;
    let mut reader = Reader::load(clients).await?;
    let mut offenders = Vec::new();
    for arn in policies.iter().filter_map(|p| p.arn()) {
        let read = reader.managed(clients, arn).await?;
        let statements = full_admin_statements(&read.document);
        if !statements.is_empty() {
            offenders.push(format!("{} statement {}", read.name, statements.join(", ")));
        }
    }
    Ok((policies.len(), offenders))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assume_role_resources_name_a_role_of_the_account() {
        let account = "123456789012";
        let check = |action, resource| assumed_role_name(action, resource, account);
        assert_eq!(
            check("sts:AssumeRole", "arn:aws:iam::123456789012:role/admin"),
            Some("admin")
        );
        assert_eq!(
            check("STS:assumerole", "arn:aws:iam::123456789012:role/path/x"),
            Some("x")
        );
        assert_eq!(
            check("sts:AssumeRole", "arn:aws:iam::999999999999:role/admin"),
            None
        );
        assert_eq!(
            check("iam:PassRole", "arn:aws:iam::123456789012:role/admin"),
            None
        );
    }

    #[test]
    fn the_table_groups_checks_and_counts_them() {
        let mut report = Report {
            stack: "iamkit".into(),
            account: "123456789012".into(),
            region: "ap-northeast-1".into(),
            target: "emulator".into(),
            ..Report::default()
        };
        report.push(Check::new(Group::Drift, "drift", Status::Pass, "empty"));
        report.push(
            Check::new(
                Group::Access,
                "dev-user-lists-buckets",
                Status::Fail,
                "expected Allow",
            )
            .help("fix develop-s3"),
        );
        report.push(Check::new(
            Group::Account,
            "root-mfa",
            Status::Skipped,
            "emulator",
        ));
        let table = report.to_string();
        assert!(!report.passed());
        assert_eq!(report.summary.fail, 1);
        assert!(
            table.contains("  FAIL  dev-user-lists-buckets  expected Allow\n"),
            "{table}"
        );
        assert!(table.contains("help: fix develop-s3"), "{table}");
        assert!(table.contains(Group::Access.title()), "{table}");
        assert!(
            table.ends_with("NOT verified: 1 passed, 1 failed, 0 warning(s), 1 skipped"),
            "{table}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["checks"][1]["status"], "fail");
        assert_eq!(json["summary"]["fail"], 1);
    }
}
