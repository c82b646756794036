//! `lint.toml`: the findings a manifest's owner accepts, each with a reason.

use std::{ops::Range, path::Path};

use iamkit_lint::{self as lint, Suppression};
use serde::Deserialize;
use toml::Spanned;

use crate::located::{ManifestError, ManifestErrors, line_column};

/// The file of accepted findings, beside the manifest.
pub const ACCEPTANCES: &str = "lint.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAcceptances {
    #[serde(default)]
    accept: Vec<RawAccept>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccept {
    code: Spanned<String>,
    reason: Spanned<String>,
    policy: Option<String>,
    pointer: Option<String>,
    account: Option<Spanned<String>>,
}

/// Reads `lint.toml`: `[[accept]]` entries with `code` and `reason`, and optionally `policy`
/// (a file name, its stem, or its path from the manifest's folder), `pointer` (a JSON pointer)
/// and `account` (required for `trust-cross-account`, which it accepts for that account only).
/// Every problem is reported with its line and column.
pub fn parse_acceptances(file: &Path, text: &str) -> Result<Vec<Suppression>, ManifestErrors> {
    let at = |span: Option<Range<usize>>, message: String, help: Option<&str>| ManifestError {
        file: file.to_owned(),
        location: span.map(|s| line_column(text, s.start)),
        message,
        help: help.map(str::to_owned),
    };
    let raw: RawAcceptances = toml::from_str(text).map_err(|e| {
        ManifestErrors(vec![at(
            e.span(),
            e.message().trim_end_matches('.').to_owned(),
            None,
        )])
    })?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for entry in raw.accept {
        let code = entry.code.get_ref();
        let Some(check) = lint::check(code) else {
            errors.push(at(
                Some(entry.code.span()),
                format!("`{code}` is not a lint code"),
                Some("`cargo xtask lint --output json` prints the codes of the findings"),
            ));
            continue;
        };
        if entry.reason.get_ref().trim().is_empty() {
            errors.push(at(
                Some(entry.reason.span()),
                format!("the acceptance of `{code}` gives no reason"),
                Some("say why the finding is acceptable: it is shown with the finding"),
            ));
        }
        if check.code == lint::code::TRUST_CROSS_ACCOUNT && entry.account.is_none() {
            errors.push(at(
                Some(entry.code.span()),
                format!("an acceptance of `{code}` must name the `account` it accepts"),
                Some(
                    "add `account = \"123456789012\"`: accepting one account never accepts another",
                ),
            ));
        }
        if let Some(account) = &entry.account
            && let Err(e) = account.get_ref().parse::<iamkit_arn::AccountId>()
        {
            errors.push(at(Some(account.span()), e.to_string(), None));
        }
        out.push(Suppression {
            code: code.clone(),
            reason: entry.reason.into_inner(),
            file: entry.policy,
            pointer: entry.pointer,
            account: entry.account.map(Spanned::into_inner),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ManifestErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptances_need_a_known_code_and_a_reason() {
        let file = Path::new("lint.toml");
        let accepted = parse_acceptances(
            file,
            "[[accept]]\ncode = \"pass-role-star\"\npolicy = \"manage-iam\"\nreason = \"admin administers IAM\"\n",
        )
        .unwrap();
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].file.as_deref(), Some("manage-iam"));
        let errors = parse_acceptances(file, "[[accept]]\ncode = \"nope\"\nreason = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            errors.starts_with("lint.toml:2:8: `nope` is not a lint code"),
            "{errors}"
        );
        let errors = parse_acceptances(
            file,
            "[[accept]]\ncode = \"service-wildcard\"\nreason = \" \"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(errors.contains("gives no reason"), "{errors}");
        let errors = parse_acceptances(file, "[[accept]]\ncode = \"service-wildcard\"\n")
            .unwrap_err()
            .to_string();
        assert!(errors.contains("missing field `reason`"), "{errors}");
    }
}
