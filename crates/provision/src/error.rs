//! What can go wrong while provisioning.

use std::path::PathBuf;

use aws_smithy_types::error::{display::DisplayErrorContext, metadata::ProvideErrorMetadata};
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
    /// A failed AWS call, described as `Code: message`.
    pub fn aws<E, R>(
        operation: &'static str,
        resource: &str,
        error: aws_sdk_iam::error::SdkError<E, R>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        Error::Aws {
            operation,
            resource: resource.to_owned(),
            message: sdk_message(&error),
        }
    }
}

/// An AWS error as `Code: message` (what a person needs); an error without an AWS code (no
/// answer, a request that could not be built) with its whole chain of causes.
pub(crate) fn sdk_message<E, R>(error: &aws_sdk_iam::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string(),
    }
}
