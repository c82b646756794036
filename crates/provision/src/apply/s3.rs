//! S3 operations on the stack's bucket.

use aws_sdk_s3::types::{CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iamkit_stack::STACK_TAG;

use super::{
    Ctx,
    retry::{already_ours, call, delete, describe, describe_build, retry},
};

fn stack_tag(ctx: &Ctx<'_>) -> Result<Tag, String> {
    Tag::builder()
        .key(STACK_TAG)
        .value(ctx.stack())
        .build()
        .map_err(describe_build)
}

/// The bucket's tags; none when it has no tag set.
async fn tags(ctx: &Ctx<'_>, name: &str) -> Result<Vec<Tag>, String> {
    let s3 = &ctx.clients.s3;
    match retry(ctx.budget, || s3.get_bucket_tagging().bucket(name).send()).await {
        Ok(out) => Ok(out.tag_set),
        Err(e) if e.code() == Some("NoSuchTagSet") => Ok(Vec::new()),
        Err(e) => Err(describe(e)),
    }
}

/// Adds the stack tag to the bucket, keeping its other tags.
pub(super) async fn tag_bucket(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let mut tags = tags(ctx, name).await?;
    tags.retain(|t| t.key() != STACK_TAG);
    tags.push(stack_tag(ctx)?);
    put_tags(ctx, name, tags).await
}

/// Replaces the bucket's tag set with `tags`.
async fn put_tags(ctx: &Ctx<'_>, name: &str, tags: Vec<Tag>) -> Result<(), String> {
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(describe_build)?;
    let s3 = &ctx.clients.s3;
    call(ctx.budget, || {
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(tagging.clone())
            .send()
    })
    .await?;
    Ok(())
}

/// Creates the bucket with the stack's tag, so that no moment exists when it is ours but
/// unmarked. A bucket this account already has is ours if marked, or, for the name setup
/// derives, if empty and untagged (what an interrupted setup leaves; see the plan).
pub(super) async fn create_bucket(ctx: &Ctx<'_>, name: &str, derived: bool) -> Result<(), String> {
    let tag = stack_tag(ctx)?;
    let mut configuration = CreateBucketConfiguration::builder().tags(tag.clone());
    // us-east-1 is the one region that takes no location constraint.
    let region = ctx.plan.region.as_str();
    if region != "us-east-1" {
        configuration = configuration.location_constraint(region.into());
    }
    let s3 = &ctx.clients.s3;
    let request = s3
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(configuration.build());
    match retry(ctx.budget, || request.clone().send()).await {
        Ok(_) => {}
        Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => {
            let tags = tags(ctx, name).await?;
            if tags
                .iter()
                .any(|t| t.key() == STACK_TAG && t.value() == ctx.stack())
            {
                return Ok(());
            }
            let listed = call(ctx.budget, || {
                s3.list_objects_v2().bucket(name).max_keys(1).send()
            })
            .await?;
            already_ours(derived && tags.is_empty() && listed.contents().is_empty())?;
        }
        Err(e) => return Err(describe(e)),
    }
    // moto 5.2.5 ignores tags in CreateBucket; on AWS this puts the same tag set again. A new
    // bucket has no other tags to keep, so there is nothing to read first.
    put_tags(ctx, name, vec![tag]).await
}

/// Deletes every object (and every object version) in the bucket, a page at a time.
pub(super) async fn empty_bucket(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let s3 = &ctx.clients.s3;
    // Each listing starts over: what the previous round listed is gone. Bounded: a bucket of
    // ten million objects at 1000 a page.
    for _ in 0..10_000 {
        let page = match retry(ctx.budget, || s3.list_object_versions().bucket(name).send()).await {
            Ok(page) => page,
            Err(e) if e.code() == Some("NoSuchBucket") => return Ok(()),
            Err(e) => return Err(describe(e)),
        };
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let mut objects = Vec::new();
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
        let batch = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(describe_build)?;
        call(ctx.budget, || {
            s3.delete_objects()
                .bucket(name)
                .delete(batch.clone())
                .send()
        })
        .await?;
    }
    Err(format!(
        "bucket `{name}` still holds objects after 10000 rounds of deletion"
    ))
}

pub(super) async fn delete_bucket(ctx: &Ctx<'_>, name: &str) -> Result<(), String> {
    let s3 = &ctx.clients.s3;
    delete(ctx.budget, || s3.delete_bucket().bucket(name).send()).await
}
