//! What can go wrong while provisioning.

use std::{fmt, path::PathBuf};

use aws_smithy_types::error::display::DisplayErrorContext;
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
    pub(crate) fn aws(
        operation: &'static str,
        resource: &str,
        error: impl std::error::Error,
    ) -> Error {
        Error::Aws {
            operation,
            resource: resource.to_owned(),
            message: DisplayErrorContext(&error).to_string(),
        }
    }
}
