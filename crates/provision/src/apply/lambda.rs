//! Lambda operations on the stack's functions.

use aws_sdk_lambda::types::FunctionCode;
use aws_smithy_types::Blob;
use iamkit_stack::{Code, STACK_TAG};

use super::{
    Ctx,
    retry::{call, created_or_ours, delete, is_transient, retry_on},
};

/// What Lambda answers to creating a function whose name is taken.
const EXISTS: &str = "ResourceConflictException";

pub(super) async fn tag_function(ctx: &Ctx<'_>, arn: &str) -> Result<(), String> {
    let lambda = &ctx.clients.lambda;
    call(ctx.budget, || {
        lambda
            .tag_resource()
            .resource(arn)
            .tags(STACK_TAG, ctx.stack())
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn create_function(
    ctx: &Ctx<'_>,
    name: &str,
    role_arn: &str,
    runtime: &str,
    handler: &str,
    code: &Code,
) -> Result<(), String> {
    let package = FunctionCode::builder()
        .zip_file(Blob::new(code.zip().to_vec()))
        .build();
    // CreateFunction answers `ResourceConflictException` when the function exists: not worth
    // waiting out there.
    let transient = |code: Option<&str>, message: Option<&str>| {
        code != Some(EXISTS) && is_transient(code, message)
    };
    let lambda = &ctx.clients.lambda;
    let created = retry_on(ctx.budget, transient, || {
        lambda
            .create_function()
            .function_name(name)
            .role(role_arn)
            .runtime(runtime.into())
            .handler(handler)
            .code(package.clone())
            .tags(STACK_TAG, ctx.stack())
            .send()
    })
    .await;
    created_or_ours(created, EXISTS, async {
        let out = call(ctx.budget, || {
            lambda.get_function().function_name(name).send()
        })
        .await?;
        Ok(out
            .tags()
            .and_then(|t| t.get(STACK_TAG))
            .is_some_and(|v| v == ctx.stack()))
    })
    .await
}

pub(super) async fn update_code(ctx: &Ctx<'_>, name: &str, code: &Code) -> Result<(), String> {
    let lambda = &ctx.clients.lambda;
    call(ctx.budget, || {
        lambda
            .update_function_code()
            .function_name(name)
            .zip_file(Blob::new(code.zip().to_vec()))
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn update_configuration(
    ctx: &Ctx<'_>,
    name: &str,
    role_arn: &str,
    runtime: &str,
    handler: &str,
) -> Result<(), String> {
    let lambda = &ctx.clients.lambda;
    call(ctx.budget, || {
        lambda
            .update_function_configuration()
            .function_name(name)
            .role(role_arn)
            .runtime(runtime.into())
            .handler(handler)
            .send()
    })
    .await?;
    Ok(())
}

pub(super) async fn delete_function(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let lambda = &ctx.clients.lambda;
    delete(ctx.budget, || {
        lambda.delete_function().function_name(name).send()
    })
    .await
}
