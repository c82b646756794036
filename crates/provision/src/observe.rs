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
    desired::{Desired, Identity, STACK_TAG, name_in_arn},
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
    /// Users by name: the manifest's, and any others with the stack's mark.
    pub users: BTreeMap<String, ObservedUser>,
    /// Roles by name: the manifest's, and any others with the stack's mark.
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

/// [`tagged`], on the tags as IAM returns them.
pub(crate) fn marked(tags: &[aws_sdk_iam::types::Tag], stack: &str) -> bool {
    tags.iter()
        .any(|t| t.key() == STACK_TAG && t.value() == stack)
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

/// Reads the current state of everything `desired` names, any other group under the stack's
/// path, and any other user or role that carries the stack's mark. Reads only.
///
/// One `GetAccountAuthorizationDetails` (a page per 1,000 entries) gives every user, group,
/// role and customer-managed policy with its tags, relations and documents; in the same round
/// go the reads of the bucket, the functions and the password policy. A second round reads
/// what that call does not give, only for resources that exist: policy tags, and a user's
/// console password, access keys and MFA devices. At most [`READ_PARALLELISM`] reads are in
/// flight.
pub async fn observe(clients: &Clients, desired: &Desired) -> Result<Observed, Error> {
    observe_with(clients, desired, false).await
}

/// [`observe`], and also every customer-managed policy that carries the stack's mark but that
/// the manifest no longer names, for teardown to remove. The account details give no policy
/// tags, so this asks `ListPolicyTags` of each other customer-managed policy in the account:
/// one more round of as many requests.
pub async fn observe_for_teardown(clients: &Clients, desired: &Desired) -> Result<Observed, Error> {
    observe_with(clients, desired, true).await
}

async fn observe_with(
    clients: &Clients,
    desired: &Desired,
    every_policy: bool,
) -> Result<Observed, Error> {
    let gate = &Gate(Semaphore::new(READ_PARALLELISM));
    let details = account_details(clients, gate);
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
    let (details, functions, bucket, password_min_length) =
        tokio::try_join!(details, functions, bucket, password_length)?;
    let mut observed = details.observed(desired);
    if every_policy {
        let named: BTreeSet<&str> = desired.policies.values().map(|p| p.arn.as_str()).collect();
        let others = details
            .policies
            .iter()
            .filter_map(|p| p.arn())
            .filter(|arn| !named.contains(arn));
        let tagged_others = try_join_all(others.map(|arn| async move {
            let tags = gate
                .pass(clients.iam.list_policy_tags().policy_arn(arn).send())
                .await
                .map_err(|e| Error::aws("ListPolicyTags", arn, e))?;
            let tags = tags_of(tags.tags().iter().map(|t| (t.key(), t.value())));
            Ok::<_, Error>(tagged(&tags, &desired.stack).then_some((arn, tags)))
        }))
        .await?;
        for (arn, tags) in tagged_others.into_iter().flatten() {
            let name = name_in_arn(arn).to_owned();
            if let (Some(policy), false) =
                (details.policy(arn), observed.policies.contains_key(&name))
            {
                observed
                    .policies
                    .insert(name, ObservedPolicy { tags, ..policy });
            }
        }
    }

    let named = observed
        .policies
        .iter()
        .filter(|(name, _)| desired.policies.contains_key(*name));
    let policy_tags = try_join_all(named.map(|(name, policy)| async move {
        let tags = gate
            .pass(
                clients
                    .iam
                    .list_policy_tags()
                    .policy_arn(&policy.arn)
                    .send(),
            )
            .await
            .map_err(|e| Error::aws("ListPolicyTags", &policy.arn, e))?;
        Ok::<_, Error>((
            name.clone(),
            tags_of(tags.tags().iter().map(|t| (t.key(), t.value()))),
        ))
    }));
    let users = try_join_all(observed.users.keys().map(|name| async move {
        Ok::<_, Error>((name.clone(), user_extras(clients, gate, name).await?))
    }));
    let (policy_tags, users) = tokio::try_join!(policy_tags, users)?;
    for (name, tags) in policy_tags {
        if let Some(policy) = observed.policies.get_mut(&name) {
            policy.tags = tags;
        }
    }
    for (name, extras) in users {
        if let Some(user) = observed.users.get_mut(&name) {
            (user.login_profile, user.access_keys, user.mfa_devices) = extras;
        }
    }
    observed.functions = functions.into_iter().flatten().collect();
    observed.bucket = bucket;
    observed.password_min_length = password_min_length;
    Ok(observed)
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

/// Every user, group, role and customer-managed policy of the account, as
/// `GetAccountAuthorizationDetails` gives them.
#[derive(Default)]
pub(crate) struct Details {
    pub(crate) users: Vec<aws_sdk_iam::types::UserDetail>,
    pub(crate) groups: Vec<aws_sdk_iam::types::GroupDetail>,
    pub(crate) roles: Vec<aws_sdk_iam::types::RoleDetail>,
    pub(crate) policies: Vec<aws_sdk_iam::types::ManagedPolicyDetail>,
}

async fn account_details(clients: &Clients, gate: &Gate) -> Result<Details, Error> {
    use aws_sdk_iam::types::EntityType;
    let pages = gate
        .pass(
            clients
                .iam
                .get_account_authorization_details()
                .filter(EntityType::User)
                .filter(EntityType::Group)
                .filter(EntityType::Role)
                .filter(EntityType::LocalManagedPolicy)
                .max_items(1000)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
        .map_err(|e| Error::aws("GetAccountAuthorizationDetails", "account", e))?;
    let mut details = Details::default();
    for page in pages {
        details
            .users
            .extend(page.user_detail_list.unwrap_or_default());
        details
            .groups
            .extend(page.group_detail_list.unwrap_or_default());
        details
            .roles
            .extend(page.role_detail_list.unwrap_or_default());
        details.policies.extend(page.policies.unwrap_or_default());
    }
    Ok(details)
}

fn attached(policies: &[aws_sdk_iam::types::AttachedPolicy]) -> BTreeSet<String> {
    policies
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

fn inline(policies: &[aws_sdk_iam::types::PolicyDetail]) -> BTreeSet<String> {
    policies
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_owned))
        .collect()
}

impl Details {
    /// Reads them (one request, a page per 1,000 entries).
    pub(crate) async fn read(clients: &Clients) -> Result<Details, Error> {
        account_details(clients, &Gate(Semaphore::new(1))).await
    }

    /// The customer-managed policy `arn` as it is (its tags are left for [`observe`]), if the
    /// account has it.
    fn policy(&self, arn: &str) -> Option<ObservedPolicy> {
        let policy = self.policies.iter().find(|p| p.arn() == Some(arn))?;
        let mut versions: Vec<PolicyVersion> = policy
            .policy_version_list()
            .iter()
            .map(|v| PolicyVersion {
                id: v.version_id().unwrap_or_default().to_owned(),
                is_default: v.is_default_version(),
                created: v.create_date().map_or(0, |d| d.secs()),
            })
            .collect();
        versions.sort_by_key(|v| (v.created, version_number(&v.id)));
        let document = policy
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version())
            .and_then(|v| v.document())
            .and_then(document::parse_returned);
        let holds = |list: &[aws_sdk_iam::types::AttachedPolicy]| {
            list.iter().any(|p| p.policy_arn() == Some(arn))
        };
        let attached_to = Entities {
            groups: self
                .groups
                .iter()
                .filter(|g| holds(g.attached_managed_policies()))
                .filter_map(|g| g.group_name().map(str::to_owned))
                .collect(),
            users: self
                .users
                .iter()
                .filter(|u| holds(u.attached_managed_policies()))
                .filter_map(|u| u.user_name().map(str::to_owned))
                .collect(),
            roles: self
                .roles
                .iter()
                .filter(|r| holds(r.attached_managed_policies()))
                .filter_map(|r| r.role_name().map(str::to_owned))
                .collect(),
        };
        Some(ObservedPolicy {
            arn: arn.to_owned(),
            tags: Tags::new(),
            document,
            versions,
            attached_to,
        })
    }

    /// The IAM part of [`Observed`] for `desired`: policy tags and the users' console
    /// passwords, access keys and MFA devices are left for [`observe`] to fill in.
    fn observed(&self, desired: &Desired) -> Observed {
        let mut observed = Observed::default();
        for (name, want) in &desired.policies {
            if let Some(policy) = self.policy(&want.arn) {
                observed.policies.insert(name.clone(), policy);
            }
        }

        let path = desired.group_path();
        for group in &self.groups {
            let Some(name) = group.group_name() else {
                continue;
            };
            if !desired.groups.contains_key(name) && group.path() != Some(path.as_str()) {
                continue;
            }
            let members = self
                .users
                .iter()
                .filter(|u| u.group_list().iter().any(|g| g == name))
                .filter_map(|u| u.user_name().map(str::to_owned))
                .collect();
            observed.groups.insert(
                name.to_owned(),
                ObservedGroup {
                    path: group.path().unwrap_or_default().to_owned(),
                    members,
                    policies: attached(group.attached_managed_policies()),
                    inline: inline(group.group_policy_list()),
                },
            );
        }

        // Users and roles by the manifest's names, and any other that carries the stack's
        // mark (one the manifest no longer names, which teardown must still remove).
        let ours = |tags: &[aws_sdk_iam::types::Tag]| marked(tags, &desired.stack);
        for user in &self.users {
            let Some(name) = user
                .user_name()
                .filter(|n| desired.users.contains_key(*n) || ours(user.tags()))
            else {
                continue;
            };
            observed.users.insert(
                name.to_owned(),
                ObservedUser {
                    tags: tags_of(user.tags().iter().map(|t| (t.key(), t.value()))),
                    groups: user.group_list().iter().cloned().collect(),
                    policies: attached(user.attached_managed_policies()),
                    inline: inline(user.user_policy_list()),
                    ..ObservedUser::default()
                },
            );
        }

        for role in &self.roles {
            let Some(name) = role
                .role_name()
                .filter(|n| desired.roles.contains_key(*n) || ours(role.tags()))
            else {
                continue;
            };
            observed.roles.insert(
                name.to_owned(),
                ObservedRole {
                    arn: role.arn().unwrap_or_default().to_owned(),
                    tags: tags_of(role.tags().iter().map(|t| (t.key(), t.value()))),
                    trust: role
                        .assume_role_policy_document()
                        .and_then(document::parse_returned),
                    policies: attached(role.attached_managed_policies()),
                    inline: inline(role.role_policy_list()),
                    instance_profiles: role
                        .instance_profile_list()
                        .iter()
                        .map(|p| p.instance_profile_name().to_owned())
                        .collect(),
                },
            );
        }
        observed
    }
}

/// `v12` -> 12, to order versions created in the same second.
fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

/// What `GetAccountAuthorizationDetails` does not say of a user: whether it has a console
/// password, its access key ids and its MFA devices' serial numbers.
async fn user_extras(
    clients: &Clients,
    gate: &Gate,
    name: &str,
) -> Result<(bool, BTreeSet<String>, BTreeSet<String>), Error> {
    let iam = &clients.iam;
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
    let (login_profile, keys, mfa) = tokio::try_join!(login_profile, keys, mfa)?;
    Ok((
        login_profile,
        keys.iter()
            .filter_map(|k| k.access_key_id().map(str::to_owned))
            .collect(),
        mfa.iter().map(|d| d.serial_number().to_owned()).collect(),
    ))
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
