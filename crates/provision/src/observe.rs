//! The account's current state, for everything the manifest names: read only.

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
};

use aws_sdk_iam::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures_util::future::try_join_all;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::{
    Clients,
    desired::{Desired, Identity, STACK_TAG},
    document,
    error::Error,
};

/// Tags by key.
pub type Tags = BTreeMap<String, String>;

/// How many reads run at once. Reads are cheap for IAM, and the SDK retries a throttled one.
pub const READ_PARALLELISM: usize = 32;

/// What exists of the manifest's resources (absent ones are simply missing from the maps).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// Managed policies by name.
    pub policies: BTreeMap<String, ObservedPolicy>,
    /// Groups by name: the manifest's, and any others under the stack's path.
    pub groups: BTreeMap<String, ObservedGroup>,
    /// Users by name.
    pub users: BTreeMap<String, ObservedUser>,
    /// Roles by name.
    pub roles: BTreeMap<String, ObservedRole>,
    /// The bucket, if it exists.
    pub bucket: Option<ObservedBucket>,
    /// Lambda functions by name.
    pub functions: BTreeMap<String, ObservedFunction>,
    /// The minimum length the account's password policy sets, if it has one (read only when
    /// the manifest gives a user a console password).
    pub password_min_length: Option<usize>,
}

/// A managed policy as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedPolicy {
    /// Its ARN.
    pub arn: String,
    /// Its tags.
    pub tags: Tags,
    /// The default version's document, decoded.
    pub document: Option<Value>,
    /// Every version, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// Groups, users and roles it is attached to.
    pub attached_to: Entities,
}

/// One version of a managed policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    /// Whether it is the default version.
    pub is_default: bool,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

/// Names of groups, users and roles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entities {
    /// Group names.
    pub groups: BTreeSet<String>,
    /// User names.
    pub users: BTreeSet<String>,
    /// Role names.
    pub roles: BTreeSet<String>,
}

/// A group as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedGroup {
    /// Its path.
    pub path: String,
    /// Its members' names.
    pub members: BTreeSet<String>,
    /// ARNs of its attached managed policies.
    pub policies: BTreeSet<String>,
    /// Names of its inline policies.
    pub inline: BTreeSet<String>,
}

/// A user as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedUser {
    /// Its tags.
    pub tags: Tags,
    /// Names of its groups.
    pub groups: BTreeSet<String>,
    /// Whether it has a console password.
    pub login_profile: bool,
    /// Its access key ids.
    pub access_keys: BTreeSet<String>,
    /// Serial numbers (ARNs for virtual devices) of its MFA devices.
    pub mfa_devices: BTreeSet<String>,
    /// ARNs of its attached managed policies.
    pub policies: BTreeSet<String>,
    /// Names of its inline policies.
    pub inline: BTreeSet<String>,
}

/// A role as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedRole {
    /// Its ARN.
    pub arn: String,
    /// Its tags.
    pub tags: Tags,
    /// Its trust policy, decoded.
    pub trust: Option<Value>,
    /// ARNs of its attached managed policies.
    pub policies: BTreeSet<String>,
    /// Names of its inline policies.
    pub inline: BTreeSet<String>,
    /// Names of the instance profiles holding it.
    pub instance_profiles: BTreeSet<String>,
}

/// The bucket as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedBucket {
    /// Its name.
    pub name: String,
    /// False when the name is taken by another account (`HeadBucket` answers 403).
    pub accessible: bool,
    /// Its tags.
    pub tags: Tags,
    /// Whether it holds no objects.
    pub empty: bool,
}

/// A Lambda function as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedFunction {
    /// Its tags.
    pub tags: Tags,
    /// Its ARN.
    pub arn: String,
    /// Its execution role's ARN.
    pub role: String,
    /// Its runtime.
    pub runtime: String,
    /// Its handler.
    pub handler: String,
    /// Its code's SHA-256, base64 (`CodeSha256`).
    pub code_sha256: String,
}

/// Whether `tags` mark a resource as `stack`'s.
pub fn tagged(tags: &Tags, stack: &str) -> bool {
    tags.get(STACK_TAG).is_some_and(|v| v == stack)
}

/// Who is calling (`sts:GetCallerIdentity`).
pub async fn whoami(clients: &Clients) -> Result<Identity, Error> {
    let out = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(crate::preflight::caller_error)?;
    let account_text = out.account().unwrap_or_default();
    let account = account_text.parse().map_err(|e| Error::Aws {
        operation: "GetCallerIdentity",
        resource: "caller".into(),
        message: format!("{e}"),
    })?;
    Ok(Identity::new(account, out.arn().unwrap_or_default()))
}

/// Reads the current state of everything `desired` names, and any other group under the
/// stack's path. Reads only.
///
/// Every read needs only names the manifest gives, so all of them start at once (at most
/// [`READ_PARALLELISM`] in flight): each resource is probed with one call, and only when it
/// exists are its details read, together. From an empty account that is one round of
/// requests; from a converged one, two.
pub async fn observe(clients: &Clients, desired: &Desired) -> Result<Observed, Error> {
    let gate = &Gate(Semaphore::new(READ_PARALLELISM));
    let policies = try_join_all(desired.policies.iter().map(|(name, p)| async move {
        Ok::<_, Error>(
            observe_policy(clients, gate, &p.arn)
                .await?
                .map(|o| (name.clone(), o)),
        )
    }));
    let groups = observe_groups(clients, gate, desired);
    let users = try_join_all(desired.users.keys().map(|name| async move {
        Ok::<_, Error>(
            observe_user(clients, gate, name)
                .await?
                .map(|o| (name.clone(), o)),
        )
    }));
    let roles = try_join_all(desired.roles.keys().map(|name| async move {
        Ok::<_, Error>(
            observe_role(clients, gate, name)
                .await?
                .map(|o| (name.clone(), o)),
        )
    }));
    let functions = try_join_all(desired.functions.keys().map(|name| async move {
        Ok::<_, Error>(
            observe_function(clients, gate, name)
                .await?
                .map(|o| (name.clone(), o)),
        )
    }));
    let bucket = async {
        match &desired.bucket {
            Some(bucket) => observe_bucket(clients, gate, &bucket.name).await,
            None => Ok(None),
        }
    };
    let password_length = async {
        if desired.users.values().any(|u| u.console) {
            password_min_length(clients, gate).await
        } else {
            Ok(None)
        }
    };
    let (policies, groups, users, roles, functions, bucket, password_min_length) = tokio::try_join!(
        policies,
        groups,
        users,
        roles,
        functions,
        bucket,
        password_length
    )?;
    Ok(Observed {
        policies: policies.into_iter().flatten().collect(),
        groups,
        users: users.into_iter().flatten().collect(),
        roles: roles.into_iter().flatten().collect(),
        functions: functions.into_iter().flatten().collect(),
        bucket,
        password_min_length,
    })
}

/// Bounds how many reads are in flight, across every resource.
struct Gate(Semaphore);

impl Gate {
    /// Runs `read` once fewer than [`READ_PARALLELISM`] others are running.
    async fn pass<T>(&self, read: impl Future<Output = T>) -> T {
        // The semaphore is never closed, so a permit always comes.
        let _permit = self.0.acquire().await.ok();
        read.await
    }
}

fn tags_of<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tags {
    tags.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn is_no_such_entity<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    e.code() == Some("NoSuchEntity")
}

/// The minimum length the account's password policy sets, if it has one.
async fn password_min_length(clients: &Clients, gate: &Gate) -> Result<Option<usize>, Error> {
    match gate
        .pass(clients.iam.get_account_password_policy().send())
        .await
    {
        Ok(out) => Ok(out
            .password_policy()
            .and_then(|p| p.minimum_password_length())
            .and_then(|n| usize::try_from(n).ok())),
        Err(e) if is_no_such_entity(&e) => Ok(None),
        Err(e) => Err(Error::aws("GetAccountPasswordPolicy", "account", e)),
    }
}

async fn observe_policy(
    clients: &Clients,
    gate: &Gate,
    arn: &str,
) -> Result<Option<ObservedPolicy>, Error> {
    let iam = &clients.iam;
    let policy = match gate.pass(iam.get_policy().policy_arn(arn).send()).await {
        Ok(out) => out.policy,
        Err(e) if is_no_such_entity(&e) => return Ok(None),
        Err(e) => return Err(Error::aws("GetPolicy", arn, e)),
    };
    let default_version = policy
        .as_ref()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_owned();
    let tags = async {
        gate.pass(iam.list_policy_tags().policy_arn(arn).send())
            .await
            .map_err(|e| Error::aws("ListPolicyTags", arn, e))
    };
    let versions = async {
        gate.pass(
            iam.list_policy_versions()
                .policy_arn(arn)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListPolicyVersions", arn, e))
    };
    let document = async {
        gate.pass(
            iam.get_policy_version()
                .policy_arn(arn)
                .version_id(&default_version)
                .send(),
        )
        .await
        .map_err(|e| Error::aws("GetPolicyVersion", arn, e))
    };
    let entities = async {
        gate.pass(
            iam.list_entities_for_policy()
                .policy_arn(arn)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListEntitiesForPolicy", arn, e))
    };
    let (tags, versions, document, pages) = tokio::try_join!(tags, versions, document, entities)?;
    let document = document
        .policy_version
        .and_then(|v| v.document)
        .and_then(|d| document::parse_returned(&d));
    let mut attached_to = Entities::default();
    for page in pages {
        attached_to.groups.extend(
            page.policy_groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_owned)),
        );
        attached_to.users.extend(
            page.policy_users()
                .iter()
                .filter_map(|u| u.user_name().map(str::to_owned)),
        );
        attached_to.roles.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_owned)),
        );
    }
    let mut versions: Vec<PolicyVersion> = versions
        .iter()
        .map(|v| PolicyVersion {
            id: v.version_id().unwrap_or_default().to_owned(),
            is_default: v.is_default_version(),
            created: v.create_date().map_or(0, |d| d.secs()),
        })
        .collect();
    versions.sort_by_key(|v| (v.created, version_number(&v.id)));
    Ok(Some(ObservedPolicy {
        arn: arn.to_owned(),
        tags: tags_of(tags.tags().iter().map(|t| (t.key(), t.value()))),
        document,
        versions,
        attached_to,
    }))
}

/// `v12` -> 12, to order versions created in the same second.
fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

/// The manifest's groups, and any other group under the stack's path (one the manifest no
/// longer names, which teardown must still remove). The listing runs alongside the manifest's
/// groups; only a group it finds beyond them is read after it.
async fn observe_groups(
    clients: &Clients,
    gate: &Gate,
    desired: &Desired,
) -> Result<BTreeMap<String, ObservedGroup>, Error> {
    let path = desired.group_path();
    let listed = async {
        let pages = gate
            .pass(
                clients
                    .iam
                    .list_groups()
                    .path_prefix(&path)
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await
            .map_err(|e| Error::aws("ListGroups", &path, e))?;
        // Filtered again here: moto ignores `PathPrefix`.
        Ok::<_, Error>(
            pages
                .iter()
                .flat_map(|page| page.groups())
                .filter(|g| g.path() == path)
                .map(|g| g.group_name().to_owned())
                .collect::<BTreeSet<_>>(),
        )
    };
    let read = |names: Vec<String>| {
        try_join_all(names.into_iter().map(|name| async move {
            Ok::<_, Error>(
                observe_group(clients, gate, &name)
                    .await?
                    .map(|o| (name, o)),
            )
        }))
    };
    let named = read(desired.groups.keys().cloned().collect());
    let (listed, named) = tokio::try_join!(listed, named)?;
    let others = listed
        .into_iter()
        .filter(|name| !desired.groups.contains_key(name))
        .collect();
    let others = read(others).await?;
    Ok(named.into_iter().chain(others).flatten().collect())
}

async fn observe_group(
    clients: &Clients,
    gate: &Gate,
    name: &str,
) -> Result<Option<ObservedGroup>, Error> {
    let iam = &clients.iam;
    let pages = match gate
        .pass(
            iam.get_group()
                .group_name(name)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
    {
        Ok(pages) => pages,
        Err(e) if is_no_such_entity(&e) => return Ok(None),
        Err(e) => return Err(Error::aws("GetGroup", name, e)),
    };
    let mut group = ObservedGroup::default();
    for page in &pages {
        if let Some(g) = page.group() {
            g.path().clone_into(&mut group.path);
        }
        group
            .members
            .extend(page.users().iter().map(|u| u.user_name().to_owned()));
    }
    let attached = async {
        gate.pass(
            iam.list_attached_group_policies()
                .group_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListAttachedGroupPolicies", name, e))
    };
    let inline = async {
        gate.pass(
            iam.list_group_policies()
                .group_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListGroupPolicies", name, e))
    };
    let (attached, inline) = tokio::try_join!(attached, inline)?;
    group.policies = attached
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    group.inline = inline.into_iter().collect();
    Ok(Some(group))
}

async fn observe_user(
    clients: &Clients,
    gate: &Gate,
    name: &str,
) -> Result<Option<ObservedUser>, Error> {
    let iam = &clients.iam;
    match gate.pass(iam.get_user().user_name(name).send()).await {
        Ok(_) => {}
        Err(e) if is_no_such_entity(&e) => return Ok(None),
        Err(e) => return Err(Error::aws("GetUser", name, e)),
    }
    let tags = async {
        gate.pass(
            iam.list_user_tags()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListUserTags", name, e))
    };
    let groups = async {
        gate.pass(
            iam.list_groups_for_user()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListGroupsForUser", name, e))
    };
    let login_profile = async {
        match gate
            .pass(iam.get_login_profile().user_name(name).send())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_no_such_entity(&e) => Ok(false),
            Err(e) => Err(Error::aws("GetLoginProfile", name, e)),
        }
    };
    let keys = async {
        gate.pass(
            iam.list_access_keys()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListAccessKeys", name, e))
    };
    let mfa = async {
        gate.pass(
            iam.list_mfa_devices()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListMFADevices", name, e))
    };
    let attached = async {
        gate.pass(
            iam.list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListAttachedUserPolicies", name, e))
    };
    let inline = async {
        gate.pass(
            iam.list_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListUserPolicies", name, e))
    };
    let (tags, groups, login_profile, keys, mfa, attached, inline) =
        tokio::try_join!(tags, groups, login_profile, keys, mfa, attached, inline)?;
    Ok(Some(ObservedUser {
        tags: tags_of(tags.iter().map(|t| (t.key(), t.value()))),
        groups: groups.iter().map(|g| g.group_name().to_owned()).collect(),
        login_profile,
        access_keys: keys
            .iter()
            .filter_map(|k| k.access_key_id().map(str::to_owned))
            .collect(),
        mfa_devices: mfa.iter().map(|d| d.serial_number().to_owned()).collect(),
        policies: attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect(),
        inline: inline.into_iter().collect(),
    }))
}

async fn observe_role(
    clients: &Clients,
    gate: &Gate,
    name: &str,
) -> Result<Option<ObservedRole>, Error> {
    let iam = &clients.iam;
    let role = match gate.pass(iam.get_role().role_name(name).send()).await {
        Ok(out) => out.role,
        Err(e) if is_no_such_entity(&e) => return Ok(None),
        Err(e) => return Err(Error::aws("GetRole", name, e)),
    };
    let tags = async {
        gate.pass(
            iam.list_role_tags()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListRoleTags", name, e))
    };
    let attached = async {
        gate.pass(
            iam.list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListAttachedRolePolicies", name, e))
    };
    let inline = async {
        gate.pass(
            iam.list_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListRolePolicies", name, e))
    };
    let profiles = async {
        gate.pass(
            iam.list_instance_profiles_for_role()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("ListInstanceProfilesForRole", name, e))
    };
    let (tags, attached, inline, profiles) = tokio::try_join!(tags, attached, inline, profiles)?;
    Ok(Some(ObservedRole {
        arn: role
            .as_ref()
            .map(|r| r.arn().to_owned())
            .unwrap_or_default(),
        tags: tags_of(tags.iter().map(|t| (t.key(), t.value()))),
        trust: role
            .as_ref()
            .and_then(|r| r.assume_role_policy_document())
            .and_then(document::parse_returned),
        policies: attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect(),
        inline: inline.into_iter().collect(),
        instance_profiles: profiles
            .iter()
            .map(|p| p.instance_profile_name().to_owned())
            .collect(),
    }))
}

async fn observe_bucket(
    clients: &Clients,
    gate: &Gate,
    name: &str,
) -> Result<Option<ObservedBucket>, Error> {
    let s3 = &clients.s3;
    match gate.pass(s3.head_bucket().bucket(name).send()).await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {
            return Ok(Some(ObservedBucket {
                name: name.to_owned(),
                accessible: false,
                tags: Tags::new(),
                empty: false,
            }));
        }
        Err(e) => return Err(Error::aws("HeadBucket", name, e)),
    }
    let tags = async {
        match gate.pass(s3.get_bucket_tagging().bucket(name).send()).await {
            Ok(out) => Ok(tags_of(out.tag_set().iter().map(|t| (t.key(), t.value())))),
            Err(e) if e.code() == Some("NoSuchTagSet") => Ok(Tags::new()),
            Err(e) => Err(Error::aws("GetBucketTagging", name, e)),
        }
    };
    let listed = async {
        gate.pass(s3.list_objects_v2().bucket(name).max_keys(1).send())
            .await
            .map_err(|e| Error::aws("ListObjectsV2", name, e))
    };
    let (tags, listed) = tokio::try_join!(tags, listed)?;
    Ok(Some(ObservedBucket {
        name: name.to_owned(),
        accessible: true,
        tags,
        empty: listed.contents().is_empty(),
    }))
}

async fn observe_function(
    clients: &Clients,
    gate: &Gate,
    name: &str,
) -> Result<Option<ObservedFunction>, Error> {
    let out = match gate
        .pass(clients.lambda.get_function().function_name(name).send())
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(Error::aws("GetFunction", name, e)),
    };
    let config = out.configuration();
    Ok(Some(ObservedFunction {
        tags: out
            .tags()
            .map(|t| tags_of(t.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            .unwrap_or_default(),
        arn: config
            .and_then(|c| c.function_arn())
            .unwrap_or_default()
            .to_owned(),
        role: config.and_then(|c| c.role()).unwrap_or_default().to_owned(),
        runtime: config
            .and_then(|c| c.runtime())
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        handler: config
            .and_then(|c| c.handler())
            .unwrap_or_default()
            .to_owned(),
        code_sha256: config
            .and_then(|c| c.code_sha256())
            .unwrap_or_default()
            .to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_created_in_one_second_order_by_number() {
        let mut ids = ["v10", "v9", "v2"];
        ids.sort_by_key(|id| version_number(id));
        assert_eq!(ids, ["v2", "v9", "v10"]);
    }

    #[test]
    fn only_this_stacks_tag_marks_a_resource_as_ours() {
        let tags = |v: &str| Tags::from([(STACK_TAG.to_owned(), v.to_owned())]);
        assert!(tagged(&tags("iamkit"), "iamkit"));
        assert!(!tagged(&tags("other"), "iamkit"));
        assert!(!tagged(&Tags::new(), "iamkit"));
    }
}
