//! Escalation: paths to admin over the snapshot, decided by iamkit-access. Each user and role
//! of the manifest gets a line; one that is not meant to be an administrator (the manifest
//! makes role `admin` one, by its policies) and becomes admin-equivalent without MFA is a
//! failure, with the path, the statement of each step and the fix.

use iamkit_access::{Analysis, Fix, PrincipalPaths};
use iamkit_stack::{
    Desired, Manifest, Observed, Snapshot,
    access::{intended_admins, principals, snapshot_account},
};

use crate::report::{Check, Group, Report, Status};

fn check(name: &str, status: Status, detail: impl Into<String>) -> Check {
    Check::new(Group::Escalation, name, status, detail)
}

/// `user dev-user`, `role admin`: the kind and name of an IAM ARN.
fn label(arn: &str) -> String {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    match resource.split_once('/') {
        Some((kind, rest)) => format!("{kind} {}", rest.rsplit('/').next().unwrap_or(rest)),
        None => resource.to_owned(),
    }
}

/// The check's name: `dev-user-not-admin-without-mfa`.
fn name(arn: &str, what: &str) -> String {
    format!("{}-{what}", arn.rsplit('/').next().unwrap_or(arn))
}

/// The escalation group: the stack's users and roles over the account read once. A path that
/// needs no MFA only because a role's trust does not ask for it, when `lint.toml` accepts that
/// trust with a reason, is a warning with the path and the fix: the owner has said so, and
/// the path is still shown as it is.
pub(crate) fn escalation(
    manifest: &Manifest,
    desired: &Desired,
    observed: &Observed,
    snapshot: &Snapshot,
    report: &mut Report,
) {
    // The owner's word, as lint and setup read it: which role trusts without MFA are meant.
    let review = iamkit_stack::review::review(manifest);
    let functions: Vec<(String, String)> = observed
        .functions
        .values()
        .map(|f| (f.arn.clone(), f.role.clone()))
        .collect();
    let model = snapshot_account(snapshot, &desired.partition, desired.account, &functions)
        .and_then(|account| Ok((account, intended_admins(desired)?, principals(desired)?)));
    let (account, intended, ours) = match model {
        Ok(model) => model,
        Err(e) => {
            report.push(check(
                "escalation",
                Status::Fail,
                format!("the account could not be analysed: {e}"),
            ));
            return;
        }
    };
    let analysis = Analysis::new(&account);
    let intended: Vec<&str> = intended.iter().map(String::as_str).collect();
    let escalations = analysis.escalations(&intended);
    for principal in analysis.paths().principals {
        if !ours.contains(&principal.arn) {
            continue;
        }
        let escalation = escalations.iter().find(|e| e.principal == principal.arn);
        report.push(match escalation {
            Some(e) => {
                let who = label(&e.principal);
                let name = format!(
                    "{}-not-admin-without-mfa",
                    who.split(' ').nth(1).unwrap_or(&who)
                );
                let accepted = match &e.fix {
                    Fix::RequireMfaOnTrust { role } => review.accepted_trust_without_mfa(role),
                    Fix::Remove { .. } => None,
                };
                let (status, note) = match accepted {
                    Some(reason) => (Status::Warn, format!(" (accepted in lint.toml: {reason})")),
                    _ => (Status::Fail, String::new()),
                };
                check(
                    &name,
                    status,
                    format!(
                        "{who} becomes admin-equivalent without MFA: {}{note}",
                        e.path.chain()
                    ),
                )
                .help(format!(
                    "{}, then `cargo xtask setup`\n{}",
                    e.fix,
                    e.path.to_text().trim_end()
                ))
            }
            None => passed(&principal, &intended),
        });
    }
}

/// The line of a principal that does not escalate.
fn passed(p: &PrincipalPaths, intended: &[&str]) -> Check {
    let who = label(&p.arn);
    if intended.contains(&p.arn.as_str()) {
        let how = p
            .admin_proof
            .as_ref()
            .map(|proof| format!(" ({})", proof.how))
            .unwrap_or_default();
        return check(
            &name(&p.arn, "admin-as-meant"),
            Status::Pass,
            format!("{who} is an administrator, as the manifest means it{how}"),
        );
    }
    let name = name(&p.arn, "not-admin-without-mfa");
    match p.paths.first() {
        Some(path) if p.reaches_admin => check(
            &name,
            Status::Pass,
            format!("{who} reaches admin only with MFA: {}", path.chain()),
        ),
        _ => check(&name, Status::Pass, format!("{who} does not reach admin")),
    }
}
