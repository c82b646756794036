//! Carries a plan out: each change starts as soon as the changes it waits for are done (see
//! [`Plan::waits_for`]), with a bound on how many run at once; transient errors are retried
//! with backoff until a deadline.

mod iam;
mod lambda;
mod retry;
mod s3;

use std::{collections::VecDeque, path::PathBuf, time::Duration};

use futures_util::{StreamExt, stream::FuturesUnordered};
use iamkit_stack::{Change, Op, Plan};

use crate::{
    clients::Clients,
    error::{Error, Failure},
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
                let ctx = Ctx::new(clients, plan, options, &change.op);
                (i, change, run(&ctx, &change.op).await)
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

/// What an operation needs besides its own fields.
pub(crate) struct Ctx<'a> {
    pub(crate) clients: &'a Clients,
    pub(crate) plan: &'a Plan,
    pub(crate) options: &'a ApplyOptions,
    /// How long its calls are retried on a transient error.
    pub(crate) budget: Duration,
}

impl<'a> Ctx<'a> {
    fn new(clients: &'a Clients, plan: &'a Plan, options: &'a ApplyOptions, op: &Op) -> Self {
        let budget = if op.is_lambda() {
            options.lambda_deadline
        } else {
            options.iam_deadline
        };
        Ctx {
            clients,
            plan,
            options,
            budget,
        }
    }

    /// The stack's name: the value of its tag.
    pub(crate) fn stack(&self) -> &str {
        &self.plan.stack
    }
}

/// Runs one operation: each is carried out in one named place, in the module of its service.
/// Returns the credentials file it wrote, if any.
async fn run(ctx: &Ctx<'_>, op: &Op) -> Result<Option<PathBuf>, String> {
    use Op::*;
    match op {
        TagUser { name } => iam::tag_user(ctx, name).await?,
        TagRole { name } => iam::tag_role(ctx, name).await?,
        TagPolicy { arn } => iam::tag_policy(ctx, arn).await?,
        MoveGroup { name, path } => iam::move_group(ctx, name, path).await?,
        CreatePolicy {
            name,
            arn,
            document,
        } => iam::create_policy(ctx, name, arn, document).await?,
        UpdatePolicy {
            arn,
            document,
            delete_version,
        } => iam::update_policy(ctx, arn, document, delete_version.as_deref()).await?,
        CreateGroup { name, path } => iam::create_group(ctx, name, path).await?,
        CreateUser { name } => iam::create_user(ctx, name).await?,
        CreateRole { name, trust } => iam::create_role(ctx, name, trust).await?,
        UpdateTrust { name, trust } => iam::update_trust(ctx, name, trust).await?,
        AttachGroupPolicy { group, arn } => iam::attach_group_policy(ctx, group, arn).await?,
        DetachGroupPolicy { group, arn } => iam::detach_group_policy(ctx, group, arn).await?,
        AttachRolePolicy { role, arn } => iam::attach_role_policy(ctx, role, arn).await?,
        DetachRolePolicy { role, arn } => iam::detach_role_policy(ctx, role, arn).await?,
        DetachUserPolicy { user, arn } => iam::detach_user_policy(ctx, user, arn).await?,
        AddUserToGroup { user, group } => iam::add_user_to_group(ctx, user, group).await?,
        RemoveUserFromGroup { user, group } => {
            iam::remove_user_from_group(ctx, user, group).await?
        }
        CreateLoginProfile { user, length } => {
            return iam::create_login_profile(ctx, user, *length)
                .await
                .map(Some);
        }
        DeleteLoginProfile { user } => iam::delete_login_profile(ctx, user).await?,
        DeleteAccessKey { user, id } => iam::delete_access_key(ctx, user, id).await?,
        DeactivateMfaDevice { user, serial } => iam::deactivate_mfa(ctx, user, serial).await?,
        DeleteVirtualMfaDevice { serial } => iam::delete_virtual_mfa(ctx, serial).await?,
        DeleteUserPolicy { user, name } => iam::delete_user_policy(ctx, user, name).await?,
        DeleteGroupPolicy { group, name } => iam::delete_group_policy(ctx, group, name).await?,
        DeleteRolePolicy { role, name } => iam::delete_role_policy(ctx, role, name).await?,
        RemoveRoleFromInstanceProfile { role, profile } => {
            iam::remove_from_instance_profile(ctx, role, profile).await?
        }
        DeletePolicyVersion { arn, id } => iam::delete_policy_version(ctx, arn, id).await?,
        DeleteUser { name } => iam::delete_user(ctx, name).await?,
        DeleteRole { name } => iam::delete_role(ctx, name).await?,
        DeleteGroup { name } => iam::delete_group(ctx, name).await?,
        DeletePolicy { arn } => iam::delete_policy(ctx, arn).await?,
        TagBucket { name } => s3::tag_bucket(ctx, name).await?,
        CreateBucket { name, derived } => s3::create_bucket(ctx, name, *derived).await?,
        EmptyBucket { name } => s3::empty_bucket(ctx, name).await?,
        DeleteBucket { name } => s3::delete_bucket(ctx, name).await?,
        TagFunction { arn, .. } => lambda::tag_function(ctx, arn).await?,
        CreateFunction {
            name,
            role_arn,
            runtime,
            handler,
            code,
        } => lambda::create_function(ctx, name, role_arn, runtime, handler, code).await?,
        UpdateFunctionCode { name, code } => lambda::update_code(ctx, name, code).await?,
        UpdateFunctionConfiguration {
            name,
            role_arn,
            runtime,
            handler,
        } => lambda::update_configuration(ctx, name, role_arn, runtime, handler).await?,
        DeleteFunction { name } => lambda::delete_function(ctx, name).await?,
    }
    Ok(None)
}
