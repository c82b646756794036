//! Checks a policy file before anything is written: the one seam between the provisioner and
//! the policy crate's parser and linter.

use std::path::Path;

use iamkit_policy::lint::{self, Finding, LintOptions, PolicyKind, Severity};

use crate::manifest::ManifestError;

/// The placeholder the article writes for the account id.
pub const ACCOUNT_PLACEHOLDER: &str = iamkit_arn::Template::ACCOUNT_ID;

/// IAM's quota on a managed policy, in characters not counting white space.
const MANAGED_POLICY_QUOTA: usize = 6_144;

/// Above this many bytes a file is refused without being linted: even with white space it is
/// far over [`MANAGED_POLICY_QUOTA`].
const TOO_LARGE_TO_LINT: usize = 16 * MANAGED_POLICY_QUOTA;

/// Lints the policy `text` read from `file` as an identity policy template (`<account-id>`
/// placeholders allowed). Error findings (an invalid document, an unknown action, a
/// placeholder left in, ...) stop the run; the other findings are returned for the caller to
/// show (`cargo xtask lint` explains and accepts them).
pub(crate) fn check(file: &Path, text: &str) -> (Vec<ManifestError>, Vec<Finding>) {
    // Far over the quota: say so at once rather than lint megabytes that IAM would refuse.
    if text.len() > TOO_LARGE_TO_LINT {
        let error = ManifestError {
            file: file.to_owned(),
            location: Some((1, 1)),
            message: format!(
                "the policy file has {} bytes; IAM allows {MANAGED_POLICY_QUOTA} characters for a managed policy [policy-too-large]",
                text.len()
            ),
            help: Some(
                "split it into several policies, or use wildcards where they stay precise"
                    .to_owned(),
            ),
        };
        return (vec![error], Vec::new());
    }
    let options = LintOptions {
        kind: PolicyKind::Identity,
        template: true,
        ..LintOptions::default()
    };
    let (errors, others): (Vec<Finding>, Vec<Finding>) =
        lint::lint(&file.display().to_string(), text, &options)
            .into_iter()
            .partition(|f| f.severity == Severity::Error);
    let errors = errors
        .into_iter()
        .map(|finding| ManifestError {
            file: file.to_owned(),
            location: (finding.line > 0).then_some((finding.line, finding.column)),
            message: format!("{} [{}]", finding.message, finding.code),
            help: (!finding.help.is_empty()).then_some(finding.help),
        })
        .collect();
    (errors, others)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_messages(text: &str, expected: &[&str]) {
        let actual: Vec<String> = check(Path::new("p.json"), text)
            .0
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn a_valid_policy_has_no_errors() {
        check_messages(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}}"#,
            &[],
        );
    }

    #[test]
    fn every_error_is_reported_with_its_place() {
        let errors = check(
            Path::new("p.json"),
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"allow\",\n\"Action\":\"s3:GetObjekt\",\"Resource\":\"*\"}]}",
        )
        .0;
        assert!(!errors.is_empty());
        assert!(errors.iter().all(|e| e.location.is_some()), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.message.contains("[grammar]")),
            "{errors:?}"
        );
    }

    #[test]
    fn unfilled_placeholders_are_errors() {
        let errors = check(
            Path::new("p.json"),
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\n\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::<account-id>:role/<role-name>\"}]}",
        )
        .0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].location.map(|l| l.0), Some(2));
        assert!(errors[0].message.contains("<role-name>"), "{}", errors[0]);
    }
}
