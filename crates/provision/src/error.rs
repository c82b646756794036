//! What can go wrong while provisioning.

use std::{fmt, path::PathBuf};

use aws_smithy_types::error::{display::DisplayErrorContext, metadata::ProvideErrorMetadata};
use serde::Serialize;

use crate::manifest::ManifestErrors;

/// A resource with a manifest name that the stack does not own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The resource, as the plan names it (`user dev-user`).
    pub address: String,
    /// Why it is not ours.
    pub reason: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.address, self.reason)
    }
}

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
    pub(crate) fn aws<E, R>(
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
