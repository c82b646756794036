//! Static access: each expectation of `policies/expectations.toml`, decided by iamkit-eval over
//! the policies read back from the account (a role's trust policy is the resource policy of
//! `sts:AssumeRole`).

use std::collections::BTreeMap;

use iamkit_provision::{Clients, Error};

use crate::{
    expectations::{Expectation, Judged, Placeholders, Principal, judge},
    readback::{self, Reader},
    report::{Check, Group, Report, Status},
};

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

/// The static access group: each expectation decided by iamkit-eval over the policies read
/// back from the snapshot. Returns each decision, by expectation name, for the live checks to
/// compare with.
pub(crate) async fn access(
    clients: &Clients,
    reader: &mut Reader<'_>,
    at: &Placeholders,
    expectations: &[Expectation],
    report: &mut Report,
) -> Result<BTreeMap<String, Judged>, Error> {
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
        let trust = match assumed_role_name(&expectation.action, &resource, at.account.as_str()) {
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
}
