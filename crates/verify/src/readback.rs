//! The policies that apply to a principal, read back from one snapshot of the account: managed
//! policies attached to the user directly and through its groups, inline policies, a role's
//! policies, and roles' trust policies.

use std::collections::BTreeMap;

use iamkit_eval::NamedPolicy;
use iamkit_provision::{Clients, Error};
use iamkit_stack::{InlinePolicy, Snapshot, document, name_in_arn};
use serde_json::Value;

/// A policy document read from the account, before parsing.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadPolicy {
    /// How reasons name it: the managed policy's name, or `inline NAME of user X`.
    pub name: String,
    /// The document.
    pub document: Value,
}

/// Reads policies from one snapshot of the account's authorization details (the snapshot
/// `observe` reads), asking IAM only for AWS-managed policies, which the snapshot leaves out,
/// once each.
pub struct Reader<'a> {
    snapshot: &'a Snapshot,
    managed: BTreeMap<String, ReadPolicy>,
}

impl<'a> Reader<'a> {
    /// A reader over `snapshot`.
    pub fn new(snapshot: &'a Snapshot) -> Reader<'a> {
        Reader {
            snapshot,
            managed: BTreeMap::new(),
        }
    }

    /// The snapshot it reads.
    pub fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    /// The default version of the managed policy `arn`.
    pub async fn managed(&mut self, clients: &Clients, arn: &str) -> Result<ReadPolicy, Error> {
        if let Some(hit) = self.managed.get(arn) {
            return Ok(hit.clone());
        }
        let document = match self.snapshot.policy(arn) {
            Some(local) => local.document().cloned(),
            None => document::parse_returned(&aws_managed(clients, arn).await?),
        };
        let read = ReadPolicy {
            name: name_in_arn(arn).to_owned(),
            document: document.ok_or_else(|| not_json("GetPolicyVersion", arn))?,
        };
        self.managed.insert(arn.to_owned(), read.clone());
        Ok(read)
    }

    /// Every identity policy of user `name`: attached, inline, and its groups' (attached and
    /// inline), in that order. `None` when the user does not exist.
    pub async fn user(
        &mut self,
        clients: &Clients,
        name: &str,
    ) -> Result<Option<Vec<ReadPolicy>>, Error> {
        let snapshot = self.snapshot;
        let Some(user) = snapshot.user(name) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for arn in &user.attached {
            out.push(self.managed(clients, arn).await?);
        }
        out.extend(inline(&user.inline, &format!("user {name}"))?);
        for group in user.groups.iter().filter_map(|g| snapshot.group(g)) {
            for arn in &group.attached {
                out.push(self.managed(clients, arn).await?);
            }
            out.extend(inline(&group.inline, &format!("group {}", group.name))?);
        }
        Ok(Some(out))
    }

    /// Role `name`'s identity policies (attached, then inline) and its trust policy. `None`
    /// when the role does not exist.
    pub async fn role(
        &mut self,
        clients: &Clients,
        name: &str,
    ) -> Result<Option<(Vec<ReadPolicy>, ReadPolicy)>, Error> {
        let Some(role) = self.snapshot.role(name) else {
            return Ok(None);
        };
        let trust = ReadPolicy {
            name: format!("trust policy of role {name}"),
            document: role
                .trust
                .clone()
                .ok_or_else(|| not_json("GetAccountAuthorizationDetails", name))?,
        };
        let mut out = Vec::new();
        for arn in &role.attached {
            out.push(self.managed(clients, arn).await?);
        }
        out.extend(inline(&role.inline, &format!("role {name}"))?);
        Ok(Some((out, trust)))
    }
}

/// Inline policies of `owner` (`user X`, `group X`, `role X`), named for reasons.
fn inline(policies: &[InlinePolicy], owner: &str) -> Result<Vec<ReadPolicy>, Error> {
    policies
        .iter()
        .map(|p| {
            Ok(ReadPolicy {
                name: format!("inline {} of {owner}", p.name),
                document: p
                    .document
                    .clone()
                    .ok_or_else(|| not_json("GetAccountAuthorizationDetails", &p.name))?,
            })
        })
        .collect()
}

/// The default version's document of an AWS-managed policy, as IAM returns it.
async fn aws_managed(clients: &Clients, arn: &str) -> Result<String, Error> {
    let policy = clients
        .iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| Error::aws("GetPolicy", arn, e))?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_owned();
    Ok(clients
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
        .map_err(|e| Error::aws("GetPolicyVersion", arn, e))?
        .policy_version
        .and_then(|v| v.document)
        .unwrap_or_default())
}

fn not_json(operation: &'static str, resource: &str) -> Error {
    Error::Aws {
        operation,
        resource: resource.to_owned(),
        message: "the returned policy document is not JSON".to_owned(),
    }
}

/// Parses read-back documents for the engine; a document our parser rejects is an error
/// naming the policy.
pub fn named(policies: &[ReadPolicy]) -> Result<Vec<NamedPolicy>, String> {
    policies.iter().map(named_one).collect()
}

/// Parses one read-back document for the engine.
pub fn named_one(policy: &ReadPolicy) -> Result<NamedPolicy, String> {
    NamedPolicy::from_json(&policy.name, &policy.document).map_err(|errors| {
        let first = errors
            .iter()
            .next()
            .map(|e| format!("{}: {}", e.pointer, e.message))
            .unwrap_or_default();
        format!(
            "policy `{}` read back from the account does not parse: {first}",
            policy.name
        )
    })
}
