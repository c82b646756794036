//! The policies that apply to a principal, read back from the account: managed policies
//! attached to the user directly and through its groups, inline policies, a role's policies,
//! and roles' trust policies.

use std::collections::BTreeMap;

use iamkit_eval::NamedPolicy;
use serde_json::Value;

use crate::{Clients, desired::name_in_arn, document, error::Error, observe::Details};

/// A policy document read from the account, before parsing.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadPolicy {
    /// How reasons name it: the managed policy's name, or `inline NAME of user X`.
    pub name: String,
    /// The document.
    pub document: Value,
}

/// Reads policies from one snapshot of the account's authorization details (the same
/// `GetAccountAuthorizationDetails` that [`observe`](crate::observe) reads), asking IAM only
/// for AWS-managed policies, which the snapshot leaves out.
pub struct Reader {
    details: Details,
    managed: BTreeMap<String, ReadPolicy>,
}

impl Reader {
    /// Reads the snapshot: one request (a page per 1,000 entries).
    pub async fn load(clients: &Clients) -> Result<Reader, Error> {
        Ok(Reader {
            details: Details::read(clients).await?,
            managed: BTreeMap::new(),
        })
    }

    /// The default version of the managed policy `arn`.
    pub async fn managed(&mut self, clients: &Clients, arn: &str) -> Result<ReadPolicy, Error> {
        if let Some(hit) = self.managed.get(arn) {
            return Ok(hit.clone());
        }
        let local = self
            .details
            .policies
            .iter()
            .find(|p| p.arn() == Some(arn))
            .and_then(|p| {
                p.policy_version_list()
                    .iter()
                    .find(|v| v.is_default_version())
            })
            .and_then(|v| v.document().map(str::to_owned));
        let text = match local {
            Some(text) => text,
            None => aws_managed(clients, arn).await?,
        };
        let read = ReadPolicy {
            name: name_in_arn(arn).to_owned(),
            document: parsed("GetPolicyVersion", arn, &text)?,
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
        let Some(user) = self
            .details
            .users
            .iter()
            .find(|u| u.user_name() == Some(name))
        else {
            return Ok(None);
        };
        let attached = arns(user.attached_managed_policies());
        let own = inline(user.user_policy_list(), &format!("user {name}"))?;
        let groups = user.group_list().to_vec();
        let mut out = Vec::new();
        for arn in attached {
            out.push(self.managed(clients, &arn).await?);
        }
        out.extend(own);
        for group in groups {
            let Some(detail) = self
                .details
                .groups
                .iter()
                .find(|g| g.group_name() == Some(&group))
            else {
                continue;
            };
            let attached = arns(detail.attached_managed_policies());
            let own = inline(detail.group_policy_list(), &format!("group {group}"))?;
            for arn in attached {
                out.push(self.managed(clients, &arn).await?);
            }
            out.extend(own);
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
        let Some(role) = self
            .details
            .roles
            .iter()
            .find(|r| r.role_name() == Some(name))
        else {
            return Ok(None);
        };
        let trust = ReadPolicy {
            name: format!("trust policy of role {name}"),
            document: parsed(
                "GetAccountAuthorizationDetails",
                name,
                role.assume_role_policy_document().unwrap_or_default(),
            )?,
        };
        let attached = arns(role.attached_managed_policies());
        let own = inline(role.role_policy_list(), &format!("role {name}"))?;
        let mut out = Vec::new();
        for arn in attached {
            out.push(self.managed(clients, &arn).await?);
        }
        out.extend(own);
        Ok(Some((out, trust)))
    }
}

fn arns(attached: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<String> {
    attached
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

/// Inline policies of `owner` (`user X`, `group X`, `role X`), named for reasons.
fn inline(
    policies: &[aws_sdk_iam::types::PolicyDetail],
    owner: &str,
) -> Result<Vec<ReadPolicy>, Error> {
    policies
        .iter()
        .map(|p| {
            let name = p.policy_name().unwrap_or_default();
            Ok(ReadPolicy {
                name: format!("inline {name} of {owner}"),
                document: parsed(
                    "GetAccountAuthorizationDetails",
                    name,
                    p.policy_document().unwrap_or_default(),
                )?,
            })
        })
        .collect()
}

/// The default version's document of an AWS-managed policy.
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

fn parsed(operation: &'static str, resource: &str, text: &str) -> Result<Value, Error> {
    document::parse_returned(text).ok_or_else(|| Error::Aws {
        operation,
        resource: resource.to_owned(),
        message: "the returned policy document is not JSON".to_owned(),
    })
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
