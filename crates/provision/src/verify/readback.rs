//! The policies that apply to a principal, read back from the account: managed policies
//! attached to the user directly and through its groups, inline policies, a role's policies,
//! and roles' trust policies.

use std::collections::BTreeMap;

use iamkit_eval::NamedPolicy;
use serde_json::Value;

use crate::{Clients, document, error::Error};

/// A policy document read from the account, before parsing.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadPolicy {
    /// How reasons name it: the managed policy's name, or `inline NAME of user X`.
    pub name: String,
    /// The document.
    pub document: Value,
}

/// Reads policies, caching managed policy documents by ARN.
#[derive(Default)]
pub struct Reader {
    managed: BTreeMap<String, ReadPolicy>,
}

/// The name part of a policy ARN (`.../policy/path/NAME` -> `NAME`).
pub fn policy_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

impl Reader {
    /// The default version of the managed policy `arn`.
    pub async fn managed(&mut self, clients: &Clients, arn: &str) -> Result<ReadPolicy, Error> {
        if let Some(hit) = self.managed.get(arn) {
            return Ok(hit.clone());
        }
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
        let text = clients
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version)
            .send()
            .await
            .map_err(|e| Error::aws("GetPolicyVersion", arn, e))?
            .policy_version
            .and_then(|v| v.document)
            .unwrap_or_default();
        let read = ReadPolicy {
            name: policy_name(arn).to_owned(),
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
        let iam = &clients.iam;
        match iam.get_user().user_name(name).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(Error::aws("GetUser", name, e)),
        }
        let mut out = Vec::new();
        let attached = iam
            .list_attached_user_policies()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListAttachedUserPolicies", name, e))?;
        for arn in attached.iter().filter_map(|p| p.policy_arn()) {
            out.push(self.managed(clients, arn).await?);
        }
        let inline = iam
            .list_user_policies()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListUserPolicies", name, e))?;
        for policy in inline {
            let out_doc = iam
                .get_user_policy()
                .user_name(name)
                .policy_name(&policy)
                .send()
                .await
                .map_err(|e| Error::aws("GetUserPolicy", &policy, e))?;
            out.push(ReadPolicy {
                name: format!("inline {policy} of user {name}"),
                document: parsed("GetUserPolicy", &policy, out_doc.policy_document())?,
            });
        }
        let groups = iam
            .list_groups_for_user()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListGroupsForUser", name, e))?;
        for group in groups.iter().map(|g| g.group_name()) {
            out.extend(self.group(clients, group).await?);
        }
        Ok(Some(out))
    }

    async fn group(&mut self, clients: &Clients, name: &str) -> Result<Vec<ReadPolicy>, Error> {
        let iam = &clients.iam;
        let mut out = Vec::new();
        let attached = iam
            .list_attached_group_policies()
            .group_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListAttachedGroupPolicies", name, e))?;
        for arn in attached.iter().filter_map(|p| p.policy_arn()) {
            out.push(self.managed(clients, arn).await?);
        }
        let inline = iam
            .list_group_policies()
            .group_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListGroupPolicies", name, e))?;
        for policy in inline {
            let got = iam
                .get_group_policy()
                .group_name(name)
                .policy_name(&policy)
                .send()
                .await
                .map_err(|e| Error::aws("GetGroupPolicy", &policy, e))?;
            out.push(ReadPolicy {
                name: format!("inline {policy} of group {name}"),
                document: parsed("GetGroupPolicy", &policy, got.policy_document())?,
            });
        }
        Ok(out)
    }

    /// Role `name`'s identity policies (attached, then inline) and its trust policy. `None`
    /// when the role does not exist.
    pub async fn role(
        &mut self,
        clients: &Clients,
        name: &str,
    ) -> Result<Option<(Vec<ReadPolicy>, ReadPolicy)>, Error> {
        let iam = &clients.iam;
        let role = match iam.get_role().role_name(name).send().await {
            Ok(out) => out.role,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(Error::aws("GetRole", name, e)),
        };
        let trust_text = role
            .as_ref()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or_default();
        let trust = ReadPolicy {
            name: format!("trust policy of role {name}"),
            document: parsed("GetRole", name, trust_text)?,
        };
        let mut out = Vec::new();
        let attached = iam
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListAttachedRolePolicies", name, e))?;
        for arn in attached.iter().filter_map(|p| p.policy_arn()) {
            out.push(self.managed(clients, arn).await?);
        }
        let inline = iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| Error::aws("ListRolePolicies", name, e))?;
        for policy in inline {
            let got = iam
                .get_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send()
                .await
                .map_err(|e| Error::aws("GetRolePolicy", &policy, e))?;
            out.push(ReadPolicy {
                name: format!("inline {policy} of role {name}"),
                document: parsed("GetRolePolicy", &policy, got.policy_document())?,
            });
        }
        Ok(Some((out, trust)))
    }
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
