//! IAM operations: one function each, built from the three patterns of [`super::retry`].

use std::path::PathBuf;

use aws_sdk_iam::types::Tag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iamkit_stack::STACK_TAG;

use super::{
    Ctx,
    retry::{call, created_or_ours, delete, describe, describe_build, retry},
};
use crate::{observe::marked, password};

/// IAM's answer to creating a resource whose name is taken.
const EXISTS: &str = "EntityAlreadyExists";

fn stack_tag(ctx: &Ctx<'_>) -> Result<Tag, String> {
    Tag::builder()
        .key(STACK_TAG)
        .value(ctx.stack())
        .build()
        .map_err(describe_build)
}

pub(super) async fn tag_user(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let (iam, tag) = (&ctx.clients.iam, stack_tag(ctx)?);
    call(ctx.budget, || {
        iam.tag_user().user_name(name).tags(tag.clone()).send()
    })
    .await?;
    Ok(())
}

pub(super) async fn tag_role(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let (iam, tag) = (&ctx.clients.iam, stack_tag(ctx)?);
    call(ctx.budget, || {
        iam.tag_role().role_name(name).tags(tag.clone()).send()
    })
    .await?;
    Ok(())
}

pub(super) async fn tag_policy(ctx: &Ctx<'_>, arn: &str) -> Result<(), String> {
    let (iam, tag) = (&ctx.clients.iam, stack_tag(ctx)?);
    call(ctx.budget, || {
        iam.tag_policy().policy_arn(arn).tags(tag.clone()).send()
    })
    .await?;
    Ok(())
}

pub(super) async fn move_group(ctx: &Ctx<'_>, name: &str, path: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    call(ctx.budget, || {
        iam.update_group().group_name(name).new_path(path).send()
    })
    .await?;
    Ok(())
}

pub(super) async fn create_policy(
    ctx: &Ctx<'_>,
    name: &str,
    arn: &str,
    document: &str,
) -> Result<(), String> {
    let (iam, tag) = (&ctx.clients.iam, stack_tag(ctx)?);
    let created = retry(ctx.budget, || {
        iam.create_policy()
            .policy_name(name)
            .policy_document(document)
            .tags(tag.clone())
            .send()
    })
    .await;
    created_or_ours(created, EXISTS, async {
        let tags = call(ctx.budget, || iam.list_policy_tags().policy_arn(arn).send()).await?;
        Ok(marked(tags.tags(), ctx.stack()))
    })
    .await
}

/// A new default version; the oldest non-default one goes first when five exist.
pub(super) async fn update_policy(
    ctx: &Ctx<'_>,
    arn: &str,
    document: &str,
    delete_version: Option<&str>,
) -> Result<(), String> {
    if let Some(version) = delete_version {
        delete_policy_version(ctx, arn, version).await?;
    }
    let iam = &ctx.clients.iam;
    call(ctx.budget, || {
        iam.create_policy_version()
            .policy_arn(arn)
            .policy_document(document)
            .set_as_default(true)
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn create_group(ctx: &Ctx<'_>, name: &str, path: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    let created = retry(ctx.budget, || {
        iam.create_group().group_name(name).path(path).send()
    })
    .await;
    // Groups cannot be tagged: the stack's path is their mark.
    created_or_ours(created, EXISTS, async {
        let group = call(ctx.budget, || iam.get_group().group_name(name).send()).await?;
        Ok(group.group().is_some_and(|g| g.path() == path))
    })
    .await
}

pub(super) async fn create_user(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let (iam, tag) = (&ctx.clients.iam, stack_tag(ctx)?);
    let created = retry(ctx.budget, || {
        iam.create_user().user_name(name).tags(tag.clone()).send()
    })
    .await;
    created_or_ours(created, EXISTS, async {
        let tags = call(ctx.budget, || iam.list_user_tags().user_name(name).send()).await?;
        Ok(marked(tags.tags(), ctx.stack()))
    })
    .await
}

pub(super) async fn create_role(ctx: &Ctx<'_>, name: &str, trust: &str) -> Result<(), String> {
    let (iam, tag) = (&ctx.clients.iam, stack_tag(ctx)?);
    let created = retry(ctx.budget, || {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .tags(tag.clone())
            .send()
    })
    .await;
    created_or_ours(created, EXISTS, async {
        let tags = call(ctx.budget, || iam.list_role_tags().role_name(name).send()).await?;
        Ok(marked(tags.tags(), ctx.stack()))
    })
    .await
}

pub(super) async fn update_trust(ctx: &Ctx<'_>, name: &str, trust: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    call(ctx.budget, || {
        iam.update_assume_role_policy()
            .role_name(name)
            .policy_document(trust)
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn attach_group_policy(
    ctx: &Ctx<'_>,
    group: &str,
    arn: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    call(ctx.budget, || {
        iam.attach_group_policy()
            .group_name(group)
            .policy_arn(arn)
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn detach_group_policy(
    ctx: &Ctx<'_>,
    group: &str,
    arn: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.detach_group_policy()
            .group_name(group)
            .policy_arn(arn)
            .send()
    })
    .await
}

pub(super) async fn attach_role_policy(ctx: &Ctx<'_>, role: &str, arn: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    call(ctx.budget, || {
        iam.attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn detach_role_policy(ctx: &Ctx<'_>, role: &str, arn: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
    })
    .await
}

pub(super) async fn detach_user_policy(ctx: &Ctx<'_>, user: &str, arn: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.detach_user_policy()
            .user_name(user)
            .policy_arn(arn)
            .send()
    })
    .await
}

pub(super) async fn add_user_to_group(
    ctx: &Ctx<'_>,
    user: &str,
    group: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    call(ctx.budget, || {
        iam.add_user_to_group()
            .user_name(user)
            .group_name(group)
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn remove_user_from_group(
    ctx: &Ctx<'_>,
    user: &str,
    group: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.remove_user_from_group()
            .user_name(user)
            .group_name(group)
            .send()
    })
    .await
}

/// A generated console password, written to its mode-0600 file before IAM is asked to set
/// it: a run killed in between leaves a password nobody uses, never an account whose
/// password nobody knows. Returns the file.
pub(super) async fn create_login_profile(
    ctx: &Ctx<'_>,
    user: &str,
    length: usize,
) -> Result<PathBuf, String> {
    let password = password::generate(length).map_err(|e| format!("no random numbers: {e}"))?;
    let path = password::write_credentials(
        &ctx.options.credentials_dir,
        &ctx.plan.account,
        user,
        &password,
    )
    .map_err(|e| e.to_string())?;
    let iam = &ctx.clients.iam;
    let created = retry(ctx.budget, || {
        iam.create_login_profile()
            .user_name(user)
            .password(&password)
            .password_reset_required(true)
            .send()
    })
    .await;
    match created {
        Ok(_) => {}
        // An earlier run set a password a moment ago, and its file was just replaced by this
        // one: make the file true again. The user is the stack's (the plan creates a password
        // only for those).
        Err(e) if e.code() == Some(EXISTS) => {
            call(ctx.budget, || {
                iam.update_login_profile()
                    .user_name(user)
                    .password(&password)
                    .password_reset_required(true)
                    .send()
            })
            .await?;
        }
        Err(e) => return Err(describe(e)),
    }
    Ok(path)
}

pub(super) async fn delete_login_profile(ctx: &Ctx<'_>, user: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.delete_login_profile().user_name(user).send()
    })
    .await
}

pub(super) async fn delete_access_key(ctx: &Ctx<'_>, user: &str, id: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
    })
    .await
}

pub(super) async fn deactivate_mfa(ctx: &Ctx<'_>, user: &str, serial: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.deactivate_mfa_device()
            .user_name(user)
            .serial_number(serial)
            .send()
    })
    .await
}

pub(super) async fn delete_virtual_mfa(ctx: &Ctx<'_>, serial: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.delete_virtual_mfa_device().serial_number(serial).send()
    })
    .await
}

pub(super) async fn delete_user_policy(
    ctx: &Ctx<'_>,
    user: &str,
    name: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.delete_user_policy()
            .user_name(user)
            .policy_name(name)
            .send()
    })
    .await
}

pub(super) async fn delete_group_policy(
    ctx: &Ctx<'_>,
    group: &str,
    name: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.delete_group_policy()
            .group_name(group)
            .policy_name(name)
            .send()
    })
    .await
}

pub(super) async fn delete_role_policy(
    ctx: &Ctx<'_>,
    role: &str,
    name: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
    })
    .await
}

pub(super) async fn remove_from_instance_profile(
    ctx: &Ctx<'_>,
    role: &str,
    profile: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.remove_role_from_instance_profile()
            .role_name(role)
            .instance_profile_name(profile)
            .send()
    })
    .await
}

pub(super) async fn delete_policy_version(
    ctx: &Ctx<'_>,
    arn: &str,
    id: &str,
) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || {
        iam.delete_policy_version()
            .policy_arn(arn)
            .version_id(id)
            .send()
    })
    .await
}

pub(super) async fn delete_user(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || iam.delete_user().user_name(name).send()).await
}

pub(super) async fn delete_role(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || iam.delete_role().role_name(name).send()).await
}

pub(super) async fn delete_group(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || iam.delete_group().group_name(name).send()).await
}

pub(super) async fn delete_policy(ctx: &Ctx<'_>, arn: &str) -> Result<(), String> {
    let iam = &ctx.clients.iam;
    delete(ctx.budget, || iam.delete_policy().policy_arn(arn).send()).await
}
