//! What a task prints with `--output json`: one JSON document on standard output, errors
//! included, and the status words it shares with the text output.

use std::path::PathBuf;

use iamkit_stack::{ManifestErrors, Plan};
use serde::Serialize;

/// How a flow ended, in the words both outputs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Changes were made.
    Applied,
    /// The account already was as asked: nothing to do.
    Unchanged,
    /// `--dry-run`: the plan, and nothing written.
    Planned,
    /// An error stopped it.
    Failed,
}

impl Status {
    /// The word, as both outputs print it.
    pub fn word(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Unchanged => "unchanged",
            Status::Planned => "planned",
            Status::Failed => "failed",
        }
    }
}

/// The document of `setup` and `teardown` (and of any task that failed): the same fields
/// whether it applied, found nothing to do, planned only or failed.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// `setup`, `teardown`, ...
    pub task: &'a str,
    /// How it ended.
    pub status: Status,
    /// The plan, when one was made.
    pub plan: Option<&'a Plan>,
    /// How many changes were made.
    pub changes_made: usize,
    /// The files console passwords were written to (setup).
    pub credentials: Vec<PathBuf>,
    /// Changes still to make after a teardown that could not finish.
    pub left: Vec<String>,
    /// What went wrong, when `status` is `failed`.
    pub error: Option<ErrorDocument>,
}

impl<'a> Document<'a> {
    /// A document for `task` that ended with `status`, with nothing else yet.
    pub fn new(task: &'a str, status: Status) -> Document<'a> {
        Document {
            task,
            status,
            plan: None,
            changes_made: 0,
            credentials: Vec::new(),
            left: Vec::new(),
            error: None,
        }
    }

    /// The document of `task` failing with `error`.
    pub fn failed(task: &'a str, plan: Option<&'a Plan>, error: &anyhow::Error) -> Document<'a> {
        Document {
            plan,
            error: Some(ErrorDocument::from(error)),
            ..Document::new(task, Status::Failed)
        }
    }

    /// Prints it on standard output.
    pub fn print(&self) {
        match serde_json::to_string_pretty(self) {
            Ok(text) => say!("{text}"),
            Err(e) => eprintln!("error: cannot print the JSON document: {e}"),
        }
    }
}

/// An error as JSON: its message, and each problem with its place when it has one.
#[derive(Debug, Serialize)]
pub struct ErrorDocument {
    /// The whole message, as the text output prints it.
    pub message: String,
    /// The problems found in the manifest and its policy files, each with its place.
    pub problems: Vec<Problem>,
}

/// A problem at a place in a file.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when the problem has a place.
    pub line: Option<usize>,
    /// 1-based column (in characters).
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl From<&anyhow::Error> for ErrorDocument {
    fn from(error: &anyhow::Error) -> ErrorDocument {
        let problems = error
            .chain()
            .find_map(|e| {
                e.downcast_ref::<Rejected>()
                    .map(|r| &r.errors)
                    .or_else(|| e.downcast_ref::<ManifestErrors>())
            })
            .map(|errors| {
                errors
                    .0
                    .iter()
                    .map(|e| Problem {
                        file: e.file.clone(),
                        line: e.location.map(|(line, _)| line),
                        column: e.location.map(|(_, column)| column),
                        message: e.message.clone(),
                        help: e.help.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        ErrorDocument {
            message: format!("{error:#}"),
            problems,
        }
    }
}

/// The manifest or its policies were rejected (each problem was printed on standard error):
/// nothing was sent to AWS.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the manifest or its policies: nothing was sent to AWS", errors.0.len())]
pub struct Rejected {
    /// The problems.
    pub errors: ManifestErrors,
}

impl Rejected {
    /// Prints each problem on standard error (`error: FILE:LINE:COLUMN: ...`, with its help),
    /// and keeps them for the JSON document.
    pub fn report(errors: ManifestErrors) -> Rejected {
        for error in &errors.0 {
            eprintln!("error: {error}");
        }
        Rejected { errors }
    }
}

/// An error whose JSON document was printed already: `main` reports it on standard error only.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct Reported(pub anyhow::Error);
