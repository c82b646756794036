//! Static access: each expectation of `policies/expectations.toml`, decided by iamkit-eval over
//! the policies read back from the account (a role's trust policy is the resource policy of
//! `sts:AssumeRole`).

use std::collections::BTreeMap;

use iamkit_eval::NamedPolicy;
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
    let mut read = ReadBack {
        clients,
        reader,
        identities: BTreeMap::new(),
        trusts: BTreeMap::new(),
    };
    let mut judged = BTreeMap::new();
    for expectation in expectations {
        let resource = at.fill(&expectation.resource);
        let trust = match assumed_role_name(&expectation.action, &resource, at.account.as_str()) {
            Some(role) => read.trust(role).await?,
            None => None,
        };
        let identity = match read.identity(&expectation.principal).await? {
            Ok(identity) => identity,
            Err(problem) => {
                let check = Check::new(Group::Access, &expectation.name, Status::Fail, problem);
                report.push(check);
                continue;
            }
        };
        let outcome = judge(expectation, at, &identity, trust.as_ref());
        report.push(decided(expectation, &resource, &outcome));
        judged.insert(expectation.name.clone(), outcome);
    }
    Ok(judged)
}

/// The check of one expectation and the engine's decision.
fn decided(expectation: &Expectation, resource: &str, outcome: &Judged) -> Check {
    if outcome.decision == expectation.decision {
        let detail = format!("{}: {}", outcome.decision, outcome.why);
        return Check::new(Group::Access, &expectation.name, Status::Pass, detail);
    }
    let detail = format!(
        "expected {}, got {}: {}",
        expectation.decision, outcome.decision, outcome.why
    );
    Check::new(Group::Access, &expectation.name, Status::Fail, detail).help(format!(
        "{} {} on {}; the article: {}",
        expectation.principal, expectation.action, resource, expectation.article
    ))
}

/// The policies of each principal and the trust policy of each role, read back once each.
struct ReadBack<'r, 's> {
    clients: &'r Clients,
    reader: &'r mut Reader<'s>,
    identities: BTreeMap<String, Result<Vec<NamedPolicy>, String>>,
    trusts: BTreeMap<String, Option<NamedPolicy>>,
}

impl ReadBack<'_, '_> {
    /// The identity policies of `principal` (`user/NAME`, `role/NAME` or an ARN), parsed; a
    /// principal that is not in the account, or a policy that does not parse, as the reason.
    async fn identity(
        &mut self,
        principal: &str,
    ) -> Result<Result<Vec<NamedPolicy>, String>, Error> {
        if let Some(known) = self.identities.get(principal) {
            return Ok(known.clone());
        }
        let read = match Principal::parse(principal) {
            Principal::User(name) => self
                .reader
                .user(self.clients, &name)
                .await?
                .ok_or_else(|| format!("user `{name}` is not in the account")),
            Principal::Role(name) => self
                .reader
                .role(self.clients, &name)
                .await?
                .map(|(identity, _)| identity)
                .ok_or_else(|| format!("role `{name}` is not in the account")),
            Principal::Arn(_) => Ok(Vec::new()),
        };
        let parsed = read.and_then(|policies| readback::named(&policies));
        self.identities.insert(principal.to_owned(), parsed.clone());
        Ok(parsed)
    }

    /// Role `role`'s trust policy, parsed; `None` when the role is not there.
    async fn trust(&mut self, role: &str) -> Result<Option<NamedPolicy>, Error> {
        if let Some(known) = self.trusts.get(role) {
            return Ok(known.clone());
        }
        let trust = match self.reader.role(self.clients, role).await? {
            Some((_, trust)) => readback::named_one(&trust).ok(),
            None => None,
        };
        self.trusts.insert(role.to_owned(), trust.clone());
        Ok(trust)
    }
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
