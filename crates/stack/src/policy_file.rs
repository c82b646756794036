//! One policy file of the manifest, linted as the identity policy it will be.

use std::path::{Path, PathBuf};

use iamkit_lint::{self as lint, Finding, LintOptions, PolicyKind, Severity};

use crate::{acceptances::ACCEPTANCES, located::ManifestError};

/// The placeholder the article writes for the account id.
pub const ACCOUNT_PLACEHOLDER: &str = iamkit_arn::Template::ACCOUNT_ID;

/// IAM's quota on a managed policy, in characters not counting white space.
const MANAGED_POLICY_QUOTA: usize = 6_144;

/// Above this many bytes a file is refused without being linted: even with white space it is
/// far over [`MANAGED_POLICY_QUOTA`].
const TOO_LARGE_TO_LINT: usize = 16 * MANAGED_POLICY_QUOTA;

/// The error findings of one policy file, as located errors (for a manifest that has other
/// errors too: every problem is reported at once).
pub(crate) fn policy_file_errors(file: &Path, text: &str) -> Vec<ManifestError> {
    lint_policy_file(file, text)
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(located)
        .collect()
}

/// Lints the policy `text` read from `file` as an identity policy template (`<account-id>`
/// placeholders allowed). A file far over the quota is refused without being linted.
pub fn lint_policy_file(file: &Path, text: &str) -> Vec<Finding> {
    let label = file.display().to_string();
    if text.len() > TOO_LARGE_TO_LINT {
        return vec![Finding {
            severity: Severity::Error,
            code: lint::code::POLICY_TOO_LARGE,
            file: label,
            line: 1,
            column: 1,
            pointer: String::new(),
            message: format!(
                "the policy file has {} bytes; IAM allows {MANAGED_POLICY_QUOTA} characters for a managed policy",
                text.len()
            ),
            help: "split it into several policies, or use wildcards where they stay precise"
                .to_owned(),
            account: None,
            accepted: None,
        }];
    }
    let options = LintOptions {
        kind: PolicyKind::Identity,
        template: true,
        ..LintOptions::default()
    };
    lint::lint(&label, text, &options)
}

/// A finding as a located error; a security finding says how to accept it.
pub(crate) fn located(finding: &Finding) -> ManifestError {
    let accept = match &finding.account {
        Some(account) => format!(
            "; or accept it in `{ACCEPTANCES}` with `code = \"{}\"`, `account = \"{account}\"` and a reason",
            finding.code
        ),
        None => format!(
            "; or accept it in `{ACCEPTANCES}` with `code = \"{}\"` and a reason",
            finding.code
        ),
    };
    let help = match (finding.severity, finding.help.is_empty()) {
        (Severity::Security, true) => Some(accept.trim_start_matches("; or ").to_owned()),
        (Severity::Security, false) if finding.account.is_none() => {
            Some(format!("{}{accept}", finding.help))
        }
        (_, true) => None,
        _ => Some(finding.help.clone()),
    };
    ManifestError {
        file: PathBuf::from(&finding.file),
        location: (finding.line > 0).then_some((finding.line, finding.column)),
        message: format!("{} [{}]", finding.message, finding.code),
        help,
    }
}
