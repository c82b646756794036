//! What can go wrong while provisioning.

use std::path::PathBuf;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

use iamkit_stack::{Conflict, ManifestErrors, Missing};

/// A change that could not be made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The change's address.
    pub address: String,
    /// What went wrong, with the AWS error code and message.
    pub message: String,
}

/// What can go wrong while provisioning.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest or a policy file is invalid: nothing was sent to AWS.
    #[error("{0}")]
    Manifest(#[from] ManifestErrors),
    /// The account read does not fit iamkit-access's model (an ARN or a document it rejects).
    #[error(transparent)]
    Access(#[from] iamkit_stack::access::AccessError),
    /// A read (or the identity call) failed.
    #[error("{operation} `{resource}` failed: {message}")]
    Aws {
        /// The AWS operation.
        operation: &'static str,
        /// The resource it was about.
        resource: String,
        /// The error, with its code and message.
        message: String,
    },
    /// Resources with the manifest's names exist but are not ours: nothing was changed.
    #[error(
        "{} resource(s) with the manifest's names are not marked as this stack's: {}\n  help: rename them in the manifest, remove them, or rerun with `--adopt` to take them over",
        .0.len(),
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    NotOurs(Vec<Conflict>),
    /// Some changes failed (after retries where the error is a known transient one).
    #[error(
        "{} change(s) failed, {done} made: {}",
        failures.len(),
        failures.iter().map(|f| format!("{}: {}", f.address, f.message)).collect::<Vec<_>>().join("; ")
    )]
    Apply {
        /// The changes that failed.
        failures: Vec<Failure>,
        /// How many changes were made before stopping.
        done: usize,
    },
    /// The endpoint did not answer (no emulator there, no network, a wrong region).
    #[error(
        "{operation} failed: {message}\n  help: is the emulator running (`cargo xtask emulator status`) and is `--endpoint-url` right? with `--aws`, check the network and `--region`"
    )]
    Unreachable {
        /// The AWS operation.
        operation: &'static str,
        /// Why, in one line.
        message: String,
    },
    /// No credentials were found: nothing was sent to AWS.
    #[error(
        "no AWS credentials: {message}\n  help: run `aws configure` (access keys), `aws sso login --profile NAME` then `AWS_PROFILE=NAME`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; nothing was written"
    )]
    NoCredentials {
        /// What the credential chain said.
        message: String,
    },
    /// The session's credentials have expired.
    #[error(
        "the AWS session has expired ({message})\n  help: get fresh credentials (`aws sso login`, or assume the role again) and rerun; nothing was written"
    )]
    ExpiredSession {
        /// AWS's error code and message.
        message: String,
    },
    /// AWS does not know the credentials (deleted or mistyped keys).
    #[error(
        "AWS rejected the credentials ({message})\n  help: check the access key id and secret, or the profile in AWS_PROFILE; nothing was written"
    )]
    InvalidCredentials {
        /// AWS's error code and message.
        message: String,
    },
    /// The caller lacks permissions the plan needs: nothing was written.
    #[error(
        "`{principal}` is not allowed {} action(s) the plan needs, so nothing was written:\n{}\n  help: run as a principal with these permissions (for example with the AdministratorAccess managed policy) and rerun",
        missing.len(),
        missing.iter().map(|m| format!("    {} on `{}` ({})", m.permission.action, m.permission.resource, m.decision)).collect::<Vec<_>>().join("\n")
    )]
    MissingPermissions {
        /// The principal that was simulated.
        principal: String,
        /// Every denied action and resource.
        missing: Vec<Missing>,
    },
    /// Nobody agreed to the plan: nothing was written.
    #[error(
        "not confirmed: {reason}; nothing was written\n  help: rerun on a terminal and answer `yes`, or pass `--yes` in scripts"
    )]
    NotConfirmed {
        /// Why.
        reason: String,
    },
    /// A deployment package could not be made: nothing was written.
    #[error("no deployment package: {message}; nothing was written")]
    Package {
        /// What went wrong.
        message: String,
    },
    /// The credentials file could not be written.
    #[error("cannot write the credentials file {}: {source}", path.display())]
    Credentials {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Error {
    /// A failed AWS call: missing credentials and an endpoint that does not answer are errors
    /// of their own, with advice; anything else is `Code: message`.
    pub fn aws<E, R>(
        operation: &'static str,
        resource: &str,
        error: aws_sdk_iam::error::SdkError<E, R>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        if credentials_missing(&error) {
            return Error::NoCredentials {
                message: "none in the environment, the profiles or SSO".to_owned(),
            };
        }
        if matches!(
            error,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
        ) {
            return Error::Unreachable {
                operation,
                message: describe(&error),
            };
        }
        Error::Aws {
            operation,
            resource: resource.to_owned(),
            message: describe(&error),
        }
    }
}

/// Whether the SDK found no credentials to sign with.
pub(crate) fn credentials_missing(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<CredentialsError>().is_some() {
            return true;
        }
        current = e.source();
    }
    false
}

/// The last cause in an error's chain: the one that says what happened (`Connection refused`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// An AWS error in one line, as a person needs it: `Code: message` for an answer of the
/// service; for no answer, what happened (`cannot connect: Connection refused`); never the
/// SDK's debug dump.
pub fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let (Some(code), message) = (error.code(), error.message()) {
        return match message {
            Some(message) => format!("{code}: {message}"),
            None => code.to_owned(),
        };
    }
    if credentials_missing(error) {
        return "no AWS credentials found (environment, profiles, SSO)".to_owned();
    }
    match error {
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            format!("cannot connect: {}", root_cause(error))
        }
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            "no answer: the connection timed out".to_owned()
        }
        SdkError::TimeoutError(_) => "no answer within the time allowed".to_owned(),
        SdkError::ResponseError(_) | SdkError::ServiceError(_) => format!(
            "an answer that is not what AWS sends ({})",
            root_cause(error)
        ),
        _ => root_cause(error),
    }
}

/// [`describe`], as the provisioner names it inside the crate.
pub(crate) fn sdk_message<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    describe(error)
}
