//! Checks a policy file before anything is written: the one seam between the provisioner and
//! the policy parser.

use std::path::Path;

use serde_json::Value;

use crate::manifest::{ManifestError, line_column};

/// The placeholder the article writes for the account id. It is exactly as long as an account
/// id, so a file checked with a dummy id in its place keeps its columns.
pub const ACCOUNT_PLACEHOLDER: &str = "<account-id>";

/// Every problem in the policy `text` read from `file`.
pub(crate) fn check(file: &Path, text: &str) -> Vec<ManifestError> {
    let mut errors = Vec::new();
    let mut error = |location: Option<(usize, usize)>, message: String, help: Option<&str>| {
        errors.push(ManifestError {
            file: file.to_owned(),
            location,
            message,
            help: help.map(str::to_owned),
        });
    };
    let filled = text.replace(ACCOUNT_PLACEHOLDER, "000000000000");
    if let Some(start) = other_placeholder(&filled) {
        let end = filled
            .get(start..)
            .and_then(|rest| rest.find('>'))
            .map_or(start, |e| start + e + 1);
        error(
            Some(line_column(&filled, start)),
            format!(
                "placeholder `{}` is not filled in",
                filled.get(start..end).unwrap_or_default()
            ),
            Some("only `<account-id>` is filled in automatically; write the name itself"),
        );
    }
    match serde_json::from_str::<Value>(&filled) {
        Err(e) => {
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            error(Some((e.line(), e.column())), message, None);
        }
        Ok(document) => {
            for (pointer, message) in structure(&document) {
                error(None, format!("{pointer}: {message}"), None);
            }
        }
    }
    errors
}

fn other_placeholder(text: &str) -> Option<usize> {
    text.match_indices('<').map(|(i, _)| i).find(|&i| {
        text.get(i + 1..).is_some_and(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            !name.is_empty() && rest.get(name.len()..).is_some_and(|r| r.starts_with('>'))
        })
    })
}

/// The identity-policy shape IAM requires, as `(JSON pointer, message)` pairs.
fn structure(document: &Value) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let Some(object) = document.as_object() else {
        return vec![("/".into(), "a policy is a JSON object".into())];
    };
    match object.get("Version").and_then(Value::as_str) {
        Some(v) if iamkit_policy::is_known_version(v) => {}
        Some(v) => problems.push((
            "/Version".into(),
            format!("unknown policy version `{v}`; use `2012-10-17`"),
        )),
        None => problems.push(("/Version".into(), "missing `Version`".into())),
    }
    for key in object.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            problems.push((format!("/{key}"), format!("unknown field `{key}`")));
        }
    }
    let statements: Vec<(String, &Value)> = match object.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("/Statement/{i}"), s))
            .collect(),
        Some(s @ Value::Object(_)) => vec![("/Statement".into(), s)],
        _ => {
            problems.push((
                "/Statement".into(),
                "a policy needs at least one statement".into(),
            ));
            Vec::new()
        }
    };
    for (pointer, statement) in statements {
        let Some(statement) = statement.as_object() else {
            problems.push((pointer, "a statement is a JSON object".into()));
            continue;
        };
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => problems.push((
                format!("{pointer}/Effect"),
                "`Effect` is `Allow` or `Deny`".into(),
            )),
        }
        let has = |k: &str| statement.contains_key(k);
        if has("Action") == has("NotAction") {
            problems.push((
                pointer.clone(),
                "a statement has exactly one of `Action` or `NotAction`".into(),
            ));
        }
        if has("Resource") == has("NotResource") {
            problems.push((
                pointer.clone(),
                "an identity policy statement has exactly one of `Resource` or `NotResource`"
                    .into(),
            ));
        }
        if has("Principal") || has("NotPrincipal") {
            problems.push((
                pointer.clone(),
                "an identity policy names no `Principal`".into(),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_messages(text: &str, expected: &[&str]) {
        let actual: Vec<String> = check(Path::new("p.json"), text)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn a_valid_policy_has_no_problems() {
        check_messages(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListRoles","Resource":"arn:aws:iam::<account-id>:role/*"}}"#,
            &[],
        );
    }

    #[test]
    fn every_structural_problem_is_reported() {
        check_messages(
            r#"{"Version":"2012-10-18","Statement":[{"Effect":"allow","Resource":"*"}]}"#,
            &[
                "p.json: /Version: unknown policy version `2012-10-18`; use `2012-10-17`",
                "p.json: /Statement/0/Effect: `Effect` is `Allow` or `Deny`",
                "p.json: /Statement/0: a statement has exactly one of `Action` or `NotAction`",
            ],
        );
    }

    #[test]
    fn unfilled_placeholders_point_at_their_column() {
        check_messages(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\n\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::<account-id>:role/<role-name>\"}]}",
            &[
                "p.json:2:70: placeholder `<role-name>` is not filled in\n  help: only `<account-id>` is filled in automatically; write the name itself",
            ],
        );
    }
}
