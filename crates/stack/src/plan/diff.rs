//! What a change changes, as `terraform plan` shows it: a document's lines added and removed,
//! or a value before and after.

use serde::Serialize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// The before and after of one change: both documents (policies, trust policies) or both
/// values (a path, tags, memberships, a function's code or configuration).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Diff {
    /// A policy document, as it is and as it will be (the account filled in).
    Document {
        /// As it is.
        before: Value,
        /// As it will be.
        after: Value,
    },
    /// A value, as it is and as it will be.
    Value {
        /// As it is.
        before: String,
        /// As it will be.
        after: String,
    },
}

/// How many unchanged lines are shown around each change of a document.
const CONTEXT: usize = 2;

impl Diff {
    /// The diff as lines for a person: for documents, the pretty-printed JSON's lines that are
    /// removed (`- `) and added (`+ `) with a little context (`  `) and `...` between hunks;
    /// for values, `- before` and `+ after`.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Diff::Value { before, after } => vec![format!("- {before}"), format!("+ {after}")],
            Diff::Document { before, after } => {
                let (before, after) = (pretty(before), pretty(after));
                let diff = TextDiff::from_lines(&before, &after);
                let mut out = Vec::new();
                for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
                    if i > 0 {
                        out.push("  ...".to_owned());
                    }
                    for op in group {
                        for change in diff.iter_changes(op) {
                            let sign = match change.tag() {
                                ChangeTag::Delete => "- ",
                                ChangeTag::Insert => "+ ",
                                ChangeTag::Equal => "  ",
                            };
                            out.push(format!("{sign}{}", change.value().trim_end_matches('\n')));
                        }
                    }
                }
                out
            }
        }
    }
}

/// A document with its keys in order, pretty-printed: two documents that differ only in the
/// order of their keys show no difference.
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(&sorted(value)).unwrap_or_default()
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_document_shows_the_lines_added_and_removed() {
        let before = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/admin"}
        ]});
        let after = json!({"Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "arn:aws:iam::111122223333:role/admin"}
        ], "Version": "2012-10-17"});
        let lines = Diff::Document { before, after }.lines();
        let changed: Vec<&String> = lines.iter().filter(|l| !l.starts_with("  ")).collect();
        assert_eq!(
            changed,
            [
                "-       \"Action\": \"sts:AssumeRole\",",
                "+       \"Action\": [",
                "+         \"sts:AssumeRole\",",
                "+         \"sts:TagSession\"",
                "+       ],",
            ],
            "{lines:#?}"
        );
        // The account is the caller's, filled in, and unchanged lines give context.
        assert!(
            lines
                .iter()
                .any(|l| l.contains("arn:aws:iam::111122223333:role/admin"))
        );
    }

    #[test]
    fn the_same_document_in_another_key_order_shows_nothing() {
        let a = json!({"Version": "2012-10-17", "Statement": []});
        let b = json!({"Statement": [], "Version": "2012-10-17"});
        assert!(
            Diff::Document {
                before: a,
                after: b
            }
            .lines()
            .is_empty()
        );
    }

    #[test]
    fn a_value_shows_before_and_after() {
        let diff = Diff::Value {
            before: "/".into(),
            after: "/iamkit/kit/".into(),
        };
        assert_eq!(diff.lines(), ["- /", "+ /iamkit/kit/"]);
        let json = serde_json::to_value(&diff).unwrap();
        assert_eq!(json, json!({"before": "/", "after": "/iamkit/kit/"}));
    }
}
