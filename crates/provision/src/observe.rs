//! The account's current state, for everything the manifest names: read only.

use std::{collections::BTreeSet, future::Future};

use aws_sdk_iam::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures_util::future::try_join_all;
use tokio::sync::Semaphore;

use iamkit_stack::{
    Desired, Identity, Observed, ObservedBucket, ObservedFunction, ObservedPolicy, Snapshot, Tags,
    name_in_arn, tagged,
};

use crate::{clients::Clients, error::Error};

/// How many reads run at once. Reads are cheap for IAM, and the SDK retries a throttled one.
pub const READ_PARALLELISM: usize = 32;

/// Whether tags as IAM returns them mark a resource as `stack`'s.
pub(crate) fn marked(tags: &[aws_sdk_iam::types::Tag], stack: &str) -> bool {
    tagged(&decode::tags(tags), stack)
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
    Ok(observe_with(clients, desired, false).await?.0)
}

/// [`observe`], and the snapshot of the account's IAM it read: for a caller that needs more
/// of the account than the stack (verify), so that one run reads the account once.
pub async fn observe_with_snapshot(
    clients: &Clients,
    desired: &Desired,
) -> Result<(Observed, Snapshot), Error> {
    observe_with(clients, desired, false).await
}

/// [`observe`], and also every customer-managed policy that carries the stack's mark but that
/// the manifest no longer names, for teardown to remove. The account details give no policy
/// tags, so this asks `ListPolicyTags` of each other customer-managed policy in the account:
/// one more round of as many requests.
pub async fn observe_for_teardown(clients: &Clients, desired: &Desired) -> Result<Observed, Error> {
    Ok(observe_with(clients, desired, true).await?.0)
}

async fn observe_with(
    clients: &Clients,
    desired: &Desired,
    every_policy: bool,
) -> Result<(Observed, Snapshot), Error> {
    let gate = &Gate(Semaphore::new(READ_PARALLELISM));
    // The first round: everything that needs nothing read before it.
    let details = account_details(clients, gate);
    let functions = try_join_all(desired.functions.keys().map(|name| async move {
        let seen = observe_function(clients, gate, name).await?;
        Ok::<_, Error>(seen.map(|o| (name.clone(), o)))
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
        dropped_policies(clients, gate, desired, &details, &mut observed).await?;
    }
    // The second round: what the snapshot leaves out, for what exists.
    let (policy_tags, users) = tokio::try_join!(
        named_policy_tags(clients, gate, desired, &observed),
        try_join_all(observed.users.keys().map(|name| async move {
            Ok::<_, Error>((name.clone(), user_extras(clients, gate, name).await?))
        }))
    )?;
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
    Ok((observed, details))
}

/// A customer-managed policy's tags (the snapshot has none).
async fn policy_tags(clients: &Clients, gate: &Gate, arn: &str) -> Result<Tags, Error> {
    let tags = gate
        .pass(clients.iam.list_policy_tags().policy_arn(arn).send())
        .await
        .map_err(|e| Error::aws("ListPolicyTags", arn, e))?;
    Ok(tags_of(tags.tags().iter().map(|t| (t.key(), t.value()))))
}

/// The tags of the manifest's policies that exist, by name.
async fn named_policy_tags(
    clients: &Clients,
    gate: &Gate,
    desired: &Desired,
    observed: &Observed,
) -> Result<Vec<(String, Tags)>, Error> {
    let named = observed
        .policies
        .iter()
        .filter(|(name, _)| desired.policies.contains_key(*name));
    try_join_all(named.map(|(name, policy)| async move {
        Ok::<_, Error>((name.clone(), policy_tags(clients, gate, &policy.arn).await?))
    }))
    .await
}

/// Every other customer-managed policy of the account that carries the stack's mark (one the
/// manifest no longer names), added to `observed` for teardown.
async fn dropped_policies(
    clients: &Clients,
    gate: &Gate,
    desired: &Desired,
    details: &Snapshot,
    observed: &mut Observed,
) -> Result<(), Error> {
    let named: BTreeSet<&str> = desired.policies.values().map(|p| p.arn.as_str()).collect();
    let others = details
        .policies
        .iter()
        .map(|p| p.arn.as_str())
        .filter(|arn| !named.contains(arn));
    let tagged_others = try_join_all(others.map(|arn| async move {
        let tags = policy_tags(clients, gate, arn).await?;
        Ok::<_, Error>(tagged(&tags, &desired.stack).then_some((arn, tags)))
    }))
    .await?;
    for (arn, tags) in tagged_others.into_iter().flatten() {
        let name = name_in_arn(arn).to_owned();
        if let (Some(policy), false) = (
            details.observed_policy(arn),
            observed.policies.contains_key(&name),
        ) {
            observed
                .policies
                .insert(name, ObservedPolicy { tags, ..policy });
        }
    }
    Ok(())
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

/// Reads one snapshot of the account's IAM: every user, group, role and customer-managed
/// policy, with their relations and decoded documents (one `GetAccountAuthorizationDetails`,
/// a page per 1,000 entries).
pub async fn read_snapshot(clients: &Clients) -> Result<Snapshot, Error> {
    account_details(clients, &Gate(Semaphore::new(1))).await
}

async fn account_details(clients: &Clients, gate: &Gate) -> Result<Snapshot, Error> {
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
    let mut snapshot = Snapshot::default();
    for page in pages {
        let users = page.user_detail_list.unwrap_or_default();
        snapshot.users.extend(users.iter().map(decode::user));
        let groups = page.group_detail_list.unwrap_or_default();
        snapshot.groups.extend(groups.iter().map(decode::group));
        let roles = page.role_detail_list.unwrap_or_default();
        snapshot.roles.extend(roles.iter().map(decode::role));
        let policies = page.policies.unwrap_or_default();
        snapshot
            .policies
            .extend(policies.iter().map(decode::policy));
    }
    Ok(snapshot)
}

/// `GetAccountAuthorizationDetails`' types as the snapshot's plain values.
mod decode {
    use aws_sdk_iam::types::{
        AttachedPolicy, GroupDetail, ManagedPolicyDetail, PolicyDetail, RoleDetail, Tag, UserDetail,
    };
    use iamkit_stack::{
        InlinePolicy, SnapshotGroup, SnapshotPolicy, SnapshotRole, SnapshotUser, SnapshotVersion,
        Tags, document,
    };

    fn text(value: Option<&str>) -> String {
        value.unwrap_or_default().to_owned()
    }

    pub(super) fn tags(tags: &[Tag]) -> Tags {
        tags.iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    fn attached(policies: &[AttachedPolicy]) -> Vec<String> {
        policies
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect()
    }

    fn inline(policies: &[PolicyDetail]) -> Vec<InlinePolicy> {
        policies
            .iter()
            .map(|p| InlinePolicy {
                name: text(p.policy_name()),
                document: p.policy_document().and_then(document::parse_returned),
            })
            .collect()
    }

    pub(super) fn user(user: &UserDetail) -> SnapshotUser {
        SnapshotUser {
            name: text(user.user_name()),
            arn: text(user.arn()),
            tags: tags(user.tags()),
            groups: user.group_list().to_vec(),
            attached: attached(user.attached_managed_policies()),
            inline: inline(user.user_policy_list()),
            boundary: user
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
        }
    }

    pub(super) fn group(group: &GroupDetail) -> SnapshotGroup {
        SnapshotGroup {
            name: text(group.group_name()),
            arn: text(group.arn()),
            path: text(group.path()),
            attached: attached(group.attached_managed_policies()),
            inline: inline(group.group_policy_list()),
        }
    }

    pub(super) fn role(role: &RoleDetail) -> SnapshotRole {
        SnapshotRole {
            name: text(role.role_name()),
            arn: text(role.arn()),
            tags: tags(role.tags()),
            trust: role
                .assume_role_policy_document()
                .and_then(document::parse_returned),
            attached: attached(role.attached_managed_policies()),
            inline: inline(role.role_policy_list()),
            instance_profiles: role
                .instance_profile_list()
                .iter()
                .map(|p| p.instance_profile_name().to_owned())
                .collect(),
            boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
        }
    }

    pub(super) fn policy(policy: &ManagedPolicyDetail) -> SnapshotPolicy {
        let mut versions: Vec<SnapshotVersion> = policy
            .policy_version_list()
            .iter()
            .map(|v| SnapshotVersion {
                id: text(v.version_id()),
                is_default: v.is_default_version(),
                created: v.create_date().map_or(0, |d| d.secs()),
                document: v.document().and_then(document::parse_returned),
            })
            .collect();
        versions.sort_by_key(|v| (v.created, version_number(&v.id)));
        SnapshotPolicy {
            name: text(policy.policy_name()),
            arn: text(policy.arn()),
            versions,
        }
    }

    /// `v12` -> 12, to order versions created in the same second.
    pub(super) fn version_number(id: &str) -> u64 {
        id.trim_start_matches('v').parse().unwrap_or(0)
    }
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

/// Every Lambda function of the region, as its ARN and its execution role's ARN: what
/// iamkit-access needs of them (`lambda:UpdateFunctionCode` on a function is a way to its
/// role). Reads only.
pub async fn read_functions(clients: &Clients) -> Result<Vec<(String, String)>, Error> {
    let functions: Vec<_> = clients
        .lambda
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| Error::aws("ListFunctions", "functions", e))?;
    Ok(functions
        .iter()
        .filter_map(|f| Some((f.function_arn()?.to_owned(), f.role()?.to_owned())))
        .collect())
}

/// The caller's account as iamkit-access models it, for `cargo xtask access` and other tools:
/// one `GetAccountAuthorizationDetails` (users, groups, roles, customer-managed policies with
/// every version) and every function of the region. Reads only.
pub async fn read_access_account(clients: &Clients) -> Result<iamkit_access::Account, Error> {
    let identity = whoami(clients).await?;
    let (snapshot, functions) = tokio::try_join!(read_snapshot(clients), read_functions(clients))?;
    Ok(iamkit_stack::access::snapshot_account(
        &snapshot,
        &identity.partition,
        identity.account,
        &functions,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_created_in_one_second_order_by_number() {
        let mut ids = ["v10", "v9", "v2"];
        ids.sort_by_key(|id| decode::version_number(id));
        assert_eq!(ids, ["v2", "v9", "v10"]);
    }
}
