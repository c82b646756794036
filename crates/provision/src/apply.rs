//! Carries a plan out: each change starts as soon as the changes it waits for are done (see
//! [`Plan::waits_for`]), with a bound on how many run at once; transient errors are retried
//! with backoff until a deadline.

use std::{
    collections::VecDeque,
    future::Future,
    path::PathBuf,
    time::{Duration, Instant},
};

use aws_smithy_types::{
    Blob,
    error::{display::DisplayErrorContext, metadata::ProvideErrorMetadata},
};
// One error type for every service client; the IAM crate's re-export names it.
use aws_sdk_iam::error::SdkError;
use futures_util::{StreamExt, stream::FuturesUnordered};

use iamkit_stack::{Change, Op, Plan, STACK_TAG};

use crate::{
    Clients,
    error::{Error, Failure},
    observe::marked,
    password,
};

/// How many changes [`apply`] runs at once unless told otherwise: enough for every change of
/// the baseline that waits for nothing (15) to start together. Terraform's default is 10.
pub const DEFAULT_PARALLELISM: usize = 16;

/// How [`apply`] runs.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// How many changes run at once. IAM throttles bursts; a throttled change is retried.
    pub parallelism: usize,
    /// How long an IAM change is retried on a transient error (Terraform: 2 minutes).
    pub iam_deadline: Duration,
    /// How long a Lambda change is retried on a transient error (Terraform: 5 minutes).
    pub lambda_deadline: Duration,
    /// Where console passwords are written (one mode-0600 file per user).
    pub credentials_dir: PathBuf,
}

impl ApplyOptions {
    /// The defaults, writing console passwords under `credentials_dir`.
    pub fn new(credentials_dir: impl Into<PathBuf>) -> ApplyOptions {
        ApplyOptions {
            parallelism: DEFAULT_PARALLELISM,
            iam_deadline: Duration::from_secs(120),
            lambda_deadline: Duration::from_secs(300),
            credentials_dir: credentials_dir.into(),
        }
    }
}

/// What [`apply`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// How many changes were made.
    pub changes: usize,
    /// Files holding generated console passwords (mode 0600).
    pub credentials: Vec<PathBuf>,
}

/// Makes the changes of `plan`, calling `progress` after each one. Refuses a plan with
/// conflicts. A change starts when every change it waits for has succeeded. On failure, no
/// new change starts, the ones in flight finish, and the run stops: running setup (or
/// teardown) again continues from where it stopped.
pub async fn apply(
    clients: &Clients,
    plan: &Plan,
    options: &ApplyOptions,
    progress: &mut (dyn FnMut(&Change) + Send),
) -> Result<ApplyReport, Error> {
    if !plan.conflicts.is_empty() {
        return Err(Error::NotOurs(plan.conflicts.clone()));
    }
    let waits = plan.waits_for();
    let mut unfinished: Vec<usize> = waits.iter().map(Vec::len).collect();
    let mut then: Vec<Vec<usize>> = vec![Vec::new(); waits.len()];
    for (i, before) in waits.iter().enumerate() {
        for &j in before {
            if let Some(after) = then.get_mut(j) {
                after.push(i);
            }
        }
    }
    let mut ready: VecDeque<usize> = (0..waits.len())
        .filter(|&i| unfinished.get(i) == Some(&0))
        .collect();
    let mut running = FuturesUnordered::new();
    let mut report = ApplyReport::default();
    let mut failures = Vec::new();
    loop {
        while failures.is_empty() && running.len() < options.parallelism.max(1) {
            let Some(change) = ready
                .pop_front()
                .and_then(|i| Some((i, plan.changes.get(i)?)))
            else {
                break;
            };
            running.push(async move {
                let (i, change) = change;
                (i, change, run(clients, plan, options, &change.op).await)
            });
        }
        let Some((i, change, result)) = running.next().await else {
            break;
        };
        match result {
            Ok(credentials) => {
                report.changes += 1;
                report.credentials.extend(credentials);
                progress(change);
                for &next in then.get(i).into_iter().flatten() {
                    if let Some(count) = unfinished.get_mut(next) {
                        *count -= 1;
                        if *count == 0 {
                            ready.push_back(next);
                        }
                    }
                }
            }
            Err(message) => failures.push(Failure {
                address: change.address.clone(),
                message,
            }),
        }
    }
    if !failures.is_empty() {
        failures.sort_by(|a, b| a.address.cmp(&b.address));
        return Err(Error::Apply {
            failures,
            done: report.changes,
        });
    }
    Ok(report)
}

/// Whether an error is one of the transient ones worth waiting out.
pub(crate) fn is_transient(code: Option<&str>, message: Option<&str>) -> bool {
    let message = message.unwrap_or_default();
    match code.unwrap_or_default() {
        "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "SlowDown" => true,
        "RequestLimitExceeded" | "ConcurrentModification" => true,
        // A trust policy naming a principal created a moment ago.
        "MalformedPolicyDocument" => message.contains("Invalid principal"),
        // A role created a moment ago, not yet visible to Lambda.
        "InvalidParameterValueException" => message.contains("cannot be assumed"),
        // Lambda: another update of the function is still in progress.
        "ResourceConflictException" => true,
        // IAM has not yet seen a detachment or removal made a moment ago.
        "DeleteConflict" => true,
        _ => false,
    }
}

/// Calls `send` until it succeeds, fails with a non-transient error, or `budget` runs out.
async fn retry<T, E, R, F, Fut>(budget: Duration, send: F) -> Result<T, SdkError<E, R>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata,
{
    retry_on(budget, is_transient, send).await
}

/// [`retry`], with `transient` deciding which errors are waited out.
async fn retry_on<T, E, R, F, Fut>(
    budget: Duration,
    transient: impl Fn(Option<&str>, Option<&str>) -> bool,
    mut send: F,
) -> Result<T, SdkError<E, R>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata,
{
    let deadline = Instant::now() + budget;
    let mut backoff = Duration::from_millis(200);
    loop {
        match send().await {
            Ok(value) => return Ok(value),
            Err(e) => {
                let now = Instant::now();
                if now >= deadline || !transient(e.code(), e.message()) {
                    return Err(e);
                }
                tokio::time::sleep(backoff.min(deadline - now)).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// An AWS error as `Code: message`; other failures (no answer, a bad request) in full.
fn describe<E, R>(error: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    crate::error::sdk_message(&error)
}

fn describe_build(error: aws_smithy_types::error::operation::BuildError) -> String {
    DisplayErrorContext(&error).to_string()
}

/// Ok when the call succeeded or the thing to delete was already gone.
fn gone<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.code(),
                Some("NoSuchEntity" | "NoSuchBucket" | "ResourceNotFoundException")
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(describe(e)),
    }
}

/// IAM's answer to creating a resource whose name is taken.
const EXISTS: &str = "EntityAlreadyExists";

/// A create found its resource already there. That is success when the resource is the
/// stack's: an earlier run created it a moment ago and the reads did not show it yet (IAM
/// reads lag its writes, and a killed run's last requests may land after the next run has
/// read). Otherwise the name is somebody else's.
fn already_ours(ours: bool) -> Result<(), String> {
    if ours {
        Ok(())
    } else {
        Err(format!(
            "it exists already without the `{STACK_TAG}` mark of this stack: not ours, left as it is"
        ))
    }
}

fn iam_tag(stack: &str) -> Result<aws_sdk_iam::types::Tag, String> {
    aws_sdk_iam::types::Tag::builder()
        .key(STACK_TAG)
        .value(stack)
        .build()
        .map_err(describe_build)
}

/// Runs one operation. Returns the credentials file it wrote, if any.
async fn run(
    clients: &Clients,
    plan: &Plan,
    options: &ApplyOptions,
    op: &Op,
) -> Result<Option<PathBuf>, String> {
    let iam = &clients.iam;
    let s3 = &clients.s3;
    let lambda = &clients.lambda;
    let stack = plan.stack.as_str();
    let budget = if op.is_lambda() {
        options.lambda_deadline
    } else {
        options.iam_deadline
    };
    match op {
        Op::TagUser { name } => {
            let tag = iam_tag(stack)?;
            retry(budget, || {
                iam.tag_user().user_name(name).tags(tag.clone()).send()
            })
            .await
            .map_err(describe)?;
        }
        Op::TagRole { name } => {
            let tag = iam_tag(stack)?;
            retry(budget, || {
                iam.tag_role().role_name(name).tags(tag.clone()).send()
            })
            .await
            .map_err(describe)?;
        }
        Op::TagPolicy { arn } => {
            let tag = iam_tag(stack)?;
            retry(budget, || {
                iam.tag_policy().policy_arn(arn).tags(tag.clone()).send()
            })
            .await
            .map_err(describe)?;
        }
        Op::TagBucket { name } => tag_bucket(s3, name, stack, budget).await?,
        Op::TagFunction { arn, .. } => {
            retry(budget, || {
                lambda
                    .tag_resource()
                    .resource(arn)
                    .tags(STACK_TAG, stack)
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::MoveGroup { name, path } => {
            retry(budget, || {
                iam.update_group().group_name(name).new_path(path).send()
            })
            .await
            .map_err(describe)?;
        }
        Op::CreatePolicy {
            name,
            arn,
            document,
        } => {
            let tag = iam_tag(stack)?;
            let created = retry(budget, || {
                iam.create_policy()
                    .policy_name(name)
                    .policy_document(document)
                    .tags(tag.clone())
                    .send()
            })
            .await;
            if let Err(e) = created {
                if e.code() != Some(EXISTS) {
                    return Err(describe(e));
                }
                let tags = retry(budget, || iam.list_policy_tags().policy_arn(arn).send())
                    .await
                    .map_err(describe)?;
                already_ours(marked(tags.tags(), stack))?;
            }
        }
        Op::UpdatePolicy {
            arn,
            document,
            delete_version,
        } => {
            if let Some(version) = delete_version {
                gone(
                    retry(budget, || {
                        iam.delete_policy_version()
                            .policy_arn(arn)
                            .version_id(version)
                            .send()
                    })
                    .await,
                )?;
            }
            retry(budget, || {
                iam.create_policy_version()
                    .policy_arn(arn)
                    .policy_document(document)
                    .set_as_default(true)
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::CreateGroup { name, path } => {
            let created = retry(budget, || {
                iam.create_group().group_name(name).path(path).send()
            })
            .await;
            if let Err(e) = created {
                if e.code() != Some(EXISTS) {
                    return Err(describe(e));
                }
                // Groups cannot be tagged: the stack's path is their mark.
                let group = retry(budget, || iam.get_group().group_name(name).send())
                    .await
                    .map_err(describe)?;
                already_ours(group.group().is_some_and(|g| g.path() == path))?;
            }
        }
        Op::CreateUser { name } => {
            let tag = iam_tag(stack)?;
            let created = retry(budget, || {
                iam.create_user().user_name(name).tags(tag.clone()).send()
            })
            .await;
            if let Err(e) = created {
                if e.code() != Some(EXISTS) {
                    return Err(describe(e));
                }
                let tags = retry(budget, || iam.list_user_tags().user_name(name).send())
                    .await
                    .map_err(describe)?;
                already_ours(marked(tags.tags(), stack))?;
            }
        }
        Op::CreateRole { name, trust } => {
            let tag = iam_tag(stack)?;
            let created = retry(budget, || {
                iam.create_role()
                    .role_name(name)
                    .assume_role_policy_document(trust)
                    .tags(tag.clone())
                    .send()
            })
            .await;
            if let Err(e) = created {
                if e.code() != Some(EXISTS) {
                    return Err(describe(e));
                }
                let tags = retry(budget, || iam.list_role_tags().role_name(name).send())
                    .await
                    .map_err(describe)?;
                already_ours(marked(tags.tags(), stack))?;
            }
        }
        Op::UpdateTrust { name, trust } => {
            retry(budget, || {
                iam.update_assume_role_policy()
                    .role_name(name)
                    .policy_document(trust)
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::CreateBucket { name, derived } => {
            // Tagged as it is created, so no moment exists when it is ours but unmarked.
            let tag = aws_sdk_s3::types::Tag::builder()
                .key(STACK_TAG)
                .value(stack)
                .build()
                .map_err(describe_build)?;
            let mut configuration =
                aws_sdk_s3::types::CreateBucketConfiguration::builder().tags(tag.clone());
            // us-east-1 is the one region that takes no location constraint.
            if plan.region != "us-east-1" {
                configuration = configuration.location_constraint(plan.region.as_str().into());
            }
            let request = s3
                .create_bucket()
                .bucket(name)
                .create_bucket_configuration(configuration.build());
            match retry(budget, || request.clone().send()).await {
                Ok(_) => {}
                Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => {
                    // This account has it: ours if marked, or, for the name setup derives,
                    // if empty and untagged (what an interrupted setup leaves; see `plan`).
                    let tags =
                        match retry(budget, || s3.get_bucket_tagging().bucket(name).send()).await {
                            Ok(out) => out.tag_set,
                            Err(e) if e.code() == Some("NoSuchTagSet") => Vec::new(),
                            Err(e) => return Err(describe(e)),
                        };
                    if tags
                        .iter()
                        .any(|t| t.key() == STACK_TAG && t.value() == stack)
                    {
                        return Ok(None);
                    }
                    let listed = retry(budget, || {
                        s3.list_objects_v2().bucket(name).max_keys(1).send()
                    })
                    .await
                    .map_err(describe)?;
                    already_ours(*derived && tags.is_empty() && listed.contents().is_empty())?;
                }
                Err(e) => return Err(describe(e)),
            }
            // moto 5.2.5 ignores tags in CreateBucket; on AWS this puts the same tag set again.
            // A new bucket has no other tags to keep, so there is nothing to read first.
            put_bucket_tags(s3, name, vec![tag], budget).await?;
        }
        Op::AttachGroupPolicy { group, arn } => {
            retry(budget, || {
                iam.attach_group_policy()
                    .group_name(group)
                    .policy_arn(arn)
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::DetachGroupPolicy { group, arn } => gone(
            retry(budget, || {
                iam.detach_group_policy()
                    .group_name(group)
                    .policy_arn(arn)
                    .send()
            })
            .await,
        )?,
        Op::AttachRolePolicy { role, arn } => {
            retry(budget, || {
                iam.attach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::DetachRolePolicy { role, arn } => gone(
            retry(budget, || {
                iam.detach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send()
            })
            .await,
        )?,
        Op::DetachUserPolicy { user, arn } => gone(
            retry(budget, || {
                iam.detach_user_policy()
                    .user_name(user)
                    .policy_arn(arn)
                    .send()
            })
            .await,
        )?,
        Op::AddUserToGroup { user, group } => {
            retry(budget, || {
                iam.add_user_to_group()
                    .user_name(user)
                    .group_name(group)
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::RemoveUserFromGroup { user, group } => gone(
            retry(budget, || {
                iam.remove_user_from_group()
                    .user_name(user)
                    .group_name(group)
                    .send()
            })
            .await,
        )?,
        Op::CreateLoginProfile { user, length } => {
            let password =
                password::generate(*length).map_err(|e| format!("no random numbers: {e}"))?;
            // The file first: a run killed after it leaves a password nobody uses, never an
            // account whose password nobody knows.
            let path = password::write_credentials(
                &options.credentials_dir,
                &plan.account,
                user,
                &password,
            )
            .map_err(|e| e.to_string())?;
            let created = retry(budget, || {
                iam.create_login_profile()
                    .user_name(user)
                    .password(&password)
                    .password_reset_required(true)
                    .send()
            })
            .await;
            if let Err(e) = created {
                if e.code() != Some(EXISTS) {
                    return Err(describe(e));
                }
                // An earlier run set a password a moment ago, and its file was just replaced
                // by this one: make the file true again. The user is the stack's (the plan
                // creates a password only for those).
                retry(budget, || {
                    iam.update_login_profile()
                        .user_name(user)
                        .password(&password)
                        .password_reset_required(true)
                        .send()
                })
                .await
                .map_err(describe)?;
            }
            return Ok(Some(path));
        }
        Op::DeleteLoginProfile { user } => {
            gone(retry(budget, || iam.delete_login_profile().user_name(user).send()).await)?
        }
        Op::CreateFunction {
            name,
            role_arn,
            runtime,
            handler,
            code,
        } => {
            let package = aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(Blob::new(code.zip().to_vec()))
                .build();
            // CreateFunction answers `ResourceConflictException` when the function exists:
            // not worth waiting out there.
            let transient = |code: Option<&str>, message: Option<&str>| {
                code != Some("ResourceConflictException") && is_transient(code, message)
            };
            let created = retry_on(budget, transient, || {
                lambda
                    .create_function()
                    .function_name(name)
                    .role(role_arn)
                    .runtime(runtime.as_str().into())
                    .handler(handler)
                    .code(package.clone())
                    .tags(STACK_TAG, stack)
                    .send()
            })
            .await;
            if let Err(e) = created {
                if e.code() != Some("ResourceConflictException") {
                    return Err(describe(e));
                }
                let out = retry(budget, || lambda.get_function().function_name(name).send())
                    .await
                    .map_err(describe)?;
                already_ours(
                    out.tags()
                        .and_then(|t| t.get(STACK_TAG))
                        .is_some_and(|v| v == stack),
                )?;
            }
        }
        Op::UpdateFunctionCode { name, code } => {
            retry(budget, || {
                lambda
                    .update_function_code()
                    .function_name(name)
                    .zip_file(Blob::new(code.zip().to_vec()))
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::UpdateFunctionConfiguration {
            name,
            role_arn,
            runtime,
            handler,
        } => {
            retry(budget, || {
                lambda
                    .update_function_configuration()
                    .function_name(name)
                    .role(role_arn)
                    .runtime(runtime.as_str().into())
                    .handler(handler)
                    .send()
            })
            .await
            .map_err(describe)?;
        }
        Op::DeleteFunction { name } => gone(
            retry(budget, || {
                lambda.delete_function().function_name(name).send()
            })
            .await,
        )?,
        Op::EmptyBucket { name } => empty_bucket(s3, name, budget).await?,
        Op::DeleteBucket { name } => {
            gone(retry(budget, || s3.delete_bucket().bucket(name).send()).await)?;
        }
        Op::DeleteAccessKey { user, id } => gone(
            retry(budget, || {
                iam.delete_access_key()
                    .user_name(user)
                    .access_key_id(id)
                    .send()
            })
            .await,
        )?,
        Op::DeactivateMfaDevice { user, serial } => gone(
            retry(budget, || {
                iam.deactivate_mfa_device()
                    .user_name(user)
                    .serial_number(serial)
                    .send()
            })
            .await,
        )?,
        Op::DeleteVirtualMfaDevice { serial } => gone(
            retry(budget, || {
                iam.delete_virtual_mfa_device().serial_number(serial).send()
            })
            .await,
        )?,
        Op::DeleteUserPolicy { user, name } => gone(
            retry(budget, || {
                iam.delete_user_policy()
                    .user_name(user)
                    .policy_name(name)
                    .send()
            })
            .await,
        )?,
        Op::DeleteGroupPolicy { group, name } => gone(
            retry(budget, || {
                iam.delete_group_policy()
                    .group_name(group)
                    .policy_name(name)
                    .send()
            })
            .await,
        )?,
        Op::DeleteRolePolicy { role, name } => gone(
            retry(budget, || {
                iam.delete_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
            })
            .await,
        )?,
        Op::RemoveRoleFromInstanceProfile { role, profile } => gone(
            retry(budget, || {
                iam.remove_role_from_instance_profile()
                    .role_name(role)
                    .instance_profile_name(profile)
                    .send()
            })
            .await,
        )?,
        Op::DeletePolicyVersion { arn, id } => gone(
            retry(budget, || {
                iam.delete_policy_version()
                    .policy_arn(arn)
                    .version_id(id)
                    .send()
            })
            .await,
        )?,
        Op::DeleteUser { name } => {
            gone(retry(budget, || iam.delete_user().user_name(name).send()).await)?;
        }
        Op::DeleteRole { name } => {
            gone(retry(budget, || iam.delete_role().role_name(name).send()).await)?;
        }
        Op::DeleteGroup { name } => {
            gone(retry(budget, || iam.delete_group().group_name(name).send()).await)?;
        }
        Op::DeletePolicy { arn } => {
            gone(retry(budget, || iam.delete_policy().policy_arn(arn).send()).await)?;
        }
    }
    Ok(None)
}

/// Adds the stack tag to the bucket, keeping its other tags.
async fn tag_bucket(
    s3: &aws_sdk_s3::Client,
    name: &str,
    stack: &str,
    budget: Duration,
) -> Result<(), String> {
    use aws_sdk_s3::types::Tag;
    let mut tags = match retry(budget, || s3.get_bucket_tagging().bucket(name).send()).await {
        Ok(out) => out.tag_set,
        Err(e) if e.code() == Some("NoSuchTagSet") => Vec::new(),
        Err(e) => return Err(describe(e)),
    };
    tags.retain(|t| t.key() != STACK_TAG);
    tags.push(
        Tag::builder()
            .key(STACK_TAG)
            .value(stack)
            .build()
            .map_err(describe_build)?,
    );
    put_bucket_tags(s3, name, tags, budget).await
}

/// Replaces the bucket's tag set with `tags`.
async fn put_bucket_tags(
    s3: &aws_sdk_s3::Client,
    name: &str,
    tags: Vec<aws_sdk_s3::types::Tag>,
    budget: Duration,
) -> Result<(), String> {
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(describe_build)?;
    retry(budget, || {
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(tagging.clone())
            .send()
    })
    .await
    .map_err(describe)?;
    Ok(())
}

/// Deletes every object (and every object version) in the bucket, a page at a time.
async fn empty_bucket(s3: &aws_sdk_s3::Client, name: &str, budget: Duration) -> Result<(), String> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    // Each listing starts over: what the previous round listed is gone. Bounded: a bucket
    // of ten million objects at 1000 a page.
    for _ in 0..10_000 {
        let page = match retry(budget, || s3.list_object_versions().bucket(name).send()).await {
            Ok(page) => page,
            Err(e) if e.code() == Some("NoSuchBucket") => return Ok(()),
            Err(e) => return Err(describe(e)),
        };
        let mut objects = Vec::new();
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        for (key, version) in versions.chain(markers) {
            let Some(key) = key else { continue };
            let mut id = ObjectIdentifier::builder().key(key);
            if let Some(version) = version.filter(|v| *v != "null") {
                id = id.version_id(version);
            }
            objects.push(id.build().map_err(describe_build)?);
        }
        if objects.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(describe_build)?;
        retry(budget, || {
            s3.delete_objects()
                .bucket(name)
                .delete(delete.clone())
                .send()
        })
        .await
        .map_err(describe)?;
    }
    Err(format!(
        "bucket `{name}` still holds objects after 10000 rounds of deletion"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_errors_are_retried() {
        assert!(is_transient(
            Some("MalformedPolicyDocument"),
            Some("Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:user/x\"")
        ));
        assert!(!is_transient(
            Some("MalformedPolicyDocument"),
            Some("Syntax errors in policy.")
        ));
        assert!(is_transient(
            Some("InvalidParameterValueException"),
            Some("The role defined for the function cannot be assumed by Lambda.")
        ));
        assert!(!is_transient(
            Some("InvalidParameterValueException"),
            Some("Unzipped size must be smaller than 262144000 bytes")
        ));
        assert!(is_transient(Some("Throttling"), None));
        assert!(is_transient(Some("DeleteConflict"), None));
        assert!(!is_transient(Some("EntityAlreadyExists"), None));
        assert!(!is_transient(None, None));
    }
}
