//! The three ways an operation talks to AWS, named once: call and retry on the named
//! transient errors; delete, where "already gone" is done; create with the stack's mark, where
//! "already there" is done only when what is there carries the mark.

use std::{
    future::Future,
    time::{Duration, Instant},
};

// One error type for every service client; the IAM crate's re-export names it.
use aws_sdk_iam::error::SdkError;
use aws_smithy_types::error::{display::DisplayErrorContext, metadata::ProvideErrorMetadata};
use iamkit_stack::STACK_TAG;

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
pub(crate) async fn retry<T, E, R, F, Fut>(budget: Duration, send: F) -> Result<T, SdkError<E, R>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata,
{
    retry_on(budget, is_transient, send).await
}

/// [`retry`], with `transient` deciding which errors are waited out.
pub(crate) async fn retry_on<T, E, R, F, Fut>(
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
pub(crate) fn describe<E, R>(error: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    crate::error::sdk_message(&error)
}

/// A request that could not be built, in full.
pub(crate) fn describe_build(error: aws_smithy_types::error::operation::BuildError) -> String {
    DisplayErrorContext(&error).to_string()
}

/// Call-and-retry: `send` until it succeeds, or the error described.
pub(crate) async fn call<T, E, R, F, Fut>(budget: Duration, send: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    retry(budget, send).await.map_err(describe)
}

/// Delete-where-gone-is-done: `send` until it succeeds, or until AWS says the thing to delete
/// is not there (already done).
pub(crate) async fn delete<T, E, R, F, Fut>(budget: Duration, send: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match retry(budget, send).await {
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

/// Create-with-mark-or-adopt: `created` is the result of a create that carried the stack's
/// mark. When it failed with `exists` (the resource is already there), the create counts as
/// done if `ours` (a read of the existing resource) finds the mark: an earlier run created it
/// a moment ago and the reads did not show it yet (IAM reads lag its writes, and a killed
/// run's last requests may land after the next run has read). Otherwise the name is somebody
/// else's, and the change fails, leaving it alone.
pub(crate) async fn created_or_ours<T, E, R, Ours>(
    created: Result<T, SdkError<E, R>>,
    exists: &str,
    ours: Ours,
) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
    Ours: Future<Output = Result<bool, String>>,
{
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(exists) => already_ours(ours.await?),
        Err(e) => Err(describe(e)),
    }
}

/// A create found its resource already there: done when it is the stack's.
pub(crate) fn already_ours(ours: bool) -> Result<(), String> {
    if ours {
        Ok(())
    } else {
        Err(format!(
            "it exists already without the `{STACK_TAG}` mark of this stack: not ours, left as it is"
        ))
    }
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
