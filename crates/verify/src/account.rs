//! Account controls (Security Hub's IAM.x): root MFA and root access keys from
//! `GetAccountSummary`; from the snapshot, no user with policies attached directly, no customer
//! policy granting `*:*`, and roles trusting the account only with MFA.

use iamkit_provision::{Clients, Target, mfa};
use iamkit_stack::{Desired, Snapshot};

use crate::{
    controls::{full_admin_statements, trust_without_mfa},
    report::{Check, Group, Report, Status},
};

fn check(name: &str, status: Status, detail: impl Into<String>) -> Check {
    Check::new(Group::Account, name, status, detail)
}

/// The account controls group.
pub(crate) async fn account(
    clients: &Clients,
    desired: &Desired,
    snapshot: &Snapshot,
    report: &mut Report,
) {
    root(clients, report).await;
    report.push(direct_user_policies(snapshot));
    report.push(star_star_policies(snapshot));
    for name in desired.roles.keys() {
        if let Some(check) = trust_requires_mfa(snapshot, name) {
            report.push(check);
        }
    }
}

/// Root MFA and root access keys (Security Hub IAM.9 and IAM.4).
async fn root(clients: &Clients, report: &mut Report) {
    match mfa::root_status(clients).await {
        Err(e) => report.push(check(
            "root-mfa",
            Status::Fail,
            format!("GetAccountSummary failed: {e}"),
        )),
        Ok(_) if matches!(clients.target, Target::Emulator { .. }) => {
            report.push(check(
                "root-mfa",
                Status::Skipped,
                "known emulator limit: its GetAccountSummary always reports AccountMFAEnabled 0",
            ));
            report.push(check(
                "root-access-keys",
                Status::Skipped,
                "known emulator limit: its GetAccountSummary always reports AccountAccessKeysPresent 0",
            ));
        }
        Ok(root) => {
            report.push(if root.mfa_enabled {
                check("root-mfa", Status::Pass, "AccountMFAEnabled is 1")
            } else {
                check(
                    "root-mfa",
                    Status::Fail,
                    "AccountMFAEnabled is 0: the root user has no MFA device",
                )
                .help(mfa::ROOT_MFA_STEPS)
            });
            report.push(if root.access_keys_present {
                check(
                    "root-access-keys",
                    Status::Fail,
                    "AccountAccessKeysPresent is 1: the root user has access keys",
                )
                .help(
                    "sign in as the root user > Security credentials > Access keys: delete them \
                     (use an IAM user or role instead)",
                )
            } else {
                check(
                    "root-access-keys",
                    Status::Pass,
                    "AccountAccessKeysPresent is 0",
                )
            });
        }
    }
}

/// No user has a policy attached directly (Security Hub IAM.2).
fn direct_user_policies(snapshot: &Snapshot) -> Check {
    let name = "no-direct-user-policies";
    let offenders: Vec<String> = snapshot
        .users
        .iter()
        .filter_map(|user| {
            let mut names: Vec<String> = user
                .attached
                .iter()
                .map(|arn| iamkit_stack::name_in_arn(arn).to_owned())
                .collect();
            names.extend(user.inline.iter().map(|p| format!("inline {}", p.name)));
            (!names.is_empty()).then(|| format!("user {}: {}", user.name, names.join(", ")))
        })
        .collect();
    if offenders.is_empty() {
        return check(
            name,
            Status::Pass,
            format!(
                "none of the account's {} user(s) has a policy attached directly",
                snapshot.users.len()
            ),
        );
    }
    check(
        name,
        Status::Fail,
        format!("policies attached directly: {}", offenders.join("; ")),
    )
    .help("attach policies to groups and make the user a member (Security Hub IAM.2)")
}

/// No customer-managed policy allows `*` on `*` (Security Hub IAM.1).
fn star_star_policies(snapshot: &Snapshot) -> Check {
    let name = "no-star-star-policy";
    let offenders: Vec<String> = snapshot
        .policies
        .iter()
        .filter_map(|policy| {
            let statements = full_admin_statements(policy.document()?);
            (!statements.is_empty())
                .then(|| format!("{} statement {}", policy.name, statements.join(", ")))
        })
        .collect();
    if offenders.is_empty() {
        return check(
            name,
            Status::Pass,
            format!(
                "none of the account's {} customer managed policies allows `*` on `*`",
                snapshot.policies.len()
            ),
        );
    }
    check(
        name,
        Status::Fail,
        format!(
            "allows every action on every resource: {}",
            offenders.join("; ")
        ),
    )
    .help("grant the services and actions needed (Security Hub IAM.1)")
}

/// A role of the manifest that trusts IAM principals lets them switch to it only with MFA.
/// `None` for a role that is not there or trusts no IAM principal.
fn trust_requires_mfa(snapshot: &Snapshot, name: &str) -> Option<Check> {
    let check_name = format!("{name}-trust-requires-mfa");
    let trust = snapshot.role(name)?.trust.as_ref()?;
    let trusts_iam = trust
        .get("Statement")
        .is_some_and(|s| s.to_string().contains("\"AWS\""));
    if !trusts_iam {
        return None;
    }
    let without = trust_without_mfa(trust);
    Some(if without.is_empty() {
        check(
            &check_name,
            Status::Pass,
            format!("switching to role {name} needs MFA"),
        )
    } else {
        check(
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
    })
}
