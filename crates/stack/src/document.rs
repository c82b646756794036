//! Policy documents compared by meaning, not by spelling.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// Parses a policy document as IAM returns it: percent-encoded (AWS, and moto for trust
/// policies) or raw (moto's `GetPolicyVersion`). Percent-decoding is not form-decoding: a `+`
/// stays a `+`.
pub fn parse_returned(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let decoded = percent_decode_str(text).decode_utf8().ok()?;
    serde_json::from_str(&decoded).ok()
}

/// The canonical form of a policy document: object keys in order, one-element lists as their
/// element, lists of strings sorted and without duplicates. Two documents with the same
/// canonical form grant the same.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, Value)> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), v))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            if items.iter().all(Value::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
            }
            match <[Value; 1]>::try_from(items) {
                Ok([one]) => one,
                Err(items) => Value::Array(items),
            }
        }
        other => other.clone(),
    }
}

/// Whether two policy documents mean the same.
pub fn same(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_same_policy_written_differently_is_the_same() {
        let a = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]});
        let b = json!({"Statement": {"Resource": ["*"], "Action": ["s3:PutObject",
            "s3:GetObject", "s3:PutObject"], "Effect": "Allow"}, "Version": "2012-10-17"});
        assert!(same(&a, &b));
        let c = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "s3:GetObject", "Resource": "*"}]});
        assert!(!same(&a, &c));
    }

    #[test]
    fn returned_documents_are_percent_decoded_not_form_decoded() {
        let raw = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a+b/*"}}"#;
        let encoded: String =
            percent_encoding::utf8_percent_encode(raw, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert_eq!(parse_returned(&encoded), serde_json::from_str(raw).ok());
        assert_eq!(parse_returned(raw), serde_json::from_str(raw).ok());
        assert_eq!(parse_returned("%7Bnot json"), None);
    }
}
