//! Baseline account controls on documents read back from the account: pure functions.

use serde_json::Value;

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statements(document: &Value) -> Vec<(usize, &Value)> {
    match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().enumerate().collect(),
        Some(one @ Value::Object(_)) => vec![(0, one)],
        _ => Vec::new(),
    }
}

/// How a statement is named: its `Sid`, or `#index`.
fn statement_id(index: usize, statement: &Value) -> String {
    match statement.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("`{sid}`"),
        _ => format!("#{index}"),
    }
}

/// The statements of an identity policy that grant every action on every resource with no
/// condition (Security Hub IAM.1: "full `*:*` administrative privileges").
pub fn full_admin_statements(document: &Value) -> Vec<String> {
    statements(document)
        .into_iter()
        .filter(|(_, s)| {
            s.get("Effect").and_then(Value::as_str) == Some("Allow")
                && s.get("Condition").is_none()
                && strings(s.get("Action"))
                    .iter()
                    .any(|a| *a == "*" || *a == "*:*")
                && strings(s.get("Resource")).contains(&"*")
        })
        .map(|(i, s)| statement_id(i, s))
        .collect()
}

/// Whether every statement of a trust policy that lets IAM principals (`"Principal": {"AWS":
/// ...}`) assume the role requires MFA: `Bool` `aws:MultiFactorAuthPresent` `true`, or a
/// `NumericLessThan(Equals)` on `aws:MultiFactorAuthAge`. `BoolIfExists` does not count: a
/// request signed with long-term access keys has no such key, so it passes. Returns the
/// statements that do not.
pub fn trust_without_mfa(document: &Value) -> Vec<String> {
    statements(document)
        .into_iter()
        .filter(|(_, s)| {
            s.get("Effect").and_then(Value::as_str) == Some("Allow")
                && s.get("Principal").is_some_and(trusts_iam_principals)
                && !requires_mfa(s.get("Condition"))
        })
        .map(|(i, s)| statement_id(i, s))
        .collect()
}

fn trusts_iam_principals(principal: &Value) -> bool {
    match principal {
        Value::String(s) => s == "*",
        Value::Object(map) => map.contains_key("AWS"),
        _ => false,
    }
}

fn requires_mfa(condition: Option<&Value>) -> bool {
    let Some(Value::Object(operators)) = condition else {
        return false;
    };
    operators.iter().any(|(operator, keys)| {
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().any(|(key, values)| {
            let key = key.to_ascii_lowercase();
            let values = strings(Some(values));
            match operator.as_str() {
                "Bool" => key == "aws:multifactorauthpresent" && values == ["true"],
                "NumericLessThan" | "NumericLessThanEquals" => key == "aws:multifactorauthage",
                _ => false,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn star_star_is_full_admin_and_a_service_wildcard_is_not() {
        let admin = json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Sid": "All", "Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": "*:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "*"}
        ]});
        assert_eq!(full_admin_statements(&admin), ["`All`"]);
        let one = json!({"Statement": {"Effect": "Allow", "Action": "*:*", "Resource": "*"}});
        assert_eq!(full_admin_statements(&one), ["#0"]);
    }

    #[test]
    fn a_trust_policy_requires_mfa_only_with_bool_or_an_age() {
        let trust = |condition: Value| {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole", "Condition": condition}]})
        };
        let bare = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(trust_without_mfa(&bare), ["#0"]);
        assert!(
            trust_without_mfa(&trust(
                json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})
            ))
            .is_empty()
        );
        assert!(
            trust_without_mfa(&trust(
                json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})
            ))
            .is_empty()
        );
        assert_eq!(
            trust_without_mfa(&trust(
                json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})
            )),
            ["#0"]
        );
        let service = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        assert!(trust_without_mfa(&service).is_empty());
    }
}
