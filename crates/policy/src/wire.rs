//! The wire format: IAM's policy JSON, element for element.
//!
//! These types mirror the policy grammar exactly and derive `Serialize`, `Deserialize` and
//! `JsonSchema`. They keep the author's shape: a single string stays a string, a one-element
//! array stays an array, a missing `Version` stays missing. They check nothing beyond the
//! shape; [`crate::parse`] is what validates a document and reports where it is wrong.
//!
//! ```
//! use iamkit_policy::wire::PolicyDocument;
//!
//! let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
//! let doc: PolicyDocument = serde_json::from_str(text).unwrap();
//! assert_eq!(serde_json::to_string(&doc).unwrap(), text);
//! ```

use std::{borrow::Cow, collections::BTreeMap, fmt};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A whole policy document: identity-based, resource-based or a role's trust policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "IAM policy document",
    description = "An AWS IAM policy document (identity-based, resource-based or trust policy)"
)]
pub struct PolicyDocument {
    /// The policy language version; IAM assumes `2008-10-17` when it is missing.
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// An optional identifier for the policy.
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// One statement, or an array of them.
    #[serde(rename = "Statement")]
    pub statement: OneOrMany<Statement>,
}

/// The policy language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Version {
    /// The current version: policy variables are substituted.
    #[serde(rename = "2012-10-17")]
    V2012_10_17,
    /// The old version: `${...}` is literal text.
    #[serde(rename = "2008-10-17")]
    V2008_10_17,
}

impl Version {
    /// The version as IAM writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2012_10_17 => "2012-10-17",
            Version::V2008_10_17 => "2008-10-17",
        }
    }

    /// The version for its IAM text, if it is one IAM accepts.
    pub fn from_text(text: &str) -> Option<Version> {
        match text {
            "2012-10-17" => Some(Version::V2012_10_17),
            "2008-10-17" => Some(Version::V2008_10_17),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One statement of a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("allOf" = [
    { "anyOf": [{ "required": ["Action"] }, { "required": ["NotAction"] }] },
    { "not": { "required": ["Action", "NotAction"] } },
    { "not": { "required": ["Resource", "NotResource"] } },
    { "not": { "required": ["Principal", "NotPrincipal"] } }
]))]
pub struct Statement {
    /// An optional statement id.
    #[serde(rename = "Sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Whether the statement allows or denies.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// Who the statement applies to (resource-based and trust policies).
    #[serde(rename = "Principal", default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// Everyone but these principals.
    #[serde(
        rename = "NotPrincipal",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_principal: Option<Principal>,
    /// The actions the statement covers.
    #[serde(rename = "Action", default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany<String>>,
    /// Every action but these.
    #[serde(rename = "NotAction", default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany<String>>,
    /// The resources the statement covers.
    #[serde(rename = "Resource", default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<String>>,
    /// Every resource but these.
    #[serde(
        rename = "NotResource",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_resource: Option<OneOrMany<String>>,
    /// Conditions that must all hold for the statement to apply.
    #[serde(rename = "Condition", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionBlock>,
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Effect {
    /// The statement allows what it matches.
    Allow,
    /// The statement denies what it matches; an explicit deny always wins.
    Deny,
}

impl Effect {
    /// The effect as IAM writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A single value or an array of values, kept as the author wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "OneOrMany_{T}")]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// An array of values.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a slice, whatever the shape.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }

    /// Iterates over the values.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are no values (only an empty array).
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// `Principal` or `NotPrincipal`: `"*"` or a map of principal types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Principal {
    /// `"*"`: everyone, including anonymous callers.
    Any(Wildcard),
    /// `{"AWS": ..., "Service": ..., "Federated": ..., "CanonicalUser": ...}`.
    Map(PrincipalMap),
}

/// The principal types of a `Principal` map; each takes one value or an array.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalMap {
    /// Accounts, users, roles, assumed-role sessions, or `*`.
    #[serde(rename = "AWS", default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<OneOrMany<String>>,
    /// Service principals such as `lambda.amazonaws.com`.
    #[serde(rename = "Service", default, skip_serializing_if = "Option::is_none")]
    pub service: Option<OneOrMany<String>>,
    /// Identity providers (SAML, OIDC, web identity).
    #[serde(rename = "Federated", default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<OneOrMany<String>>,
    /// S3 canonical user ids.
    #[serde(
        rename = "CanonicalUser",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub canonical_user: Option<OneOrMany<String>>,
}

/// The string `"*"`, and nothing else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Wildcard;

impl Serialize for Wildcard {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("*")
    }
}

impl<'de> Deserialize<'de> for Wildcard {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        if text == "*" {
            Ok(Wildcard)
        } else {
            Err(serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"\"*\"",
            ))
        }
    }
}

impl JsonSchema for Wildcard {
    fn schema_name() -> Cow<'static, str> {
        "Wildcard".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "const": "*", "description": "everyone" })
    }
}

/// `Condition`: operator -> condition key -> one value or an array of values.
///
/// Both maps are ordered, so output is byte-stable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConditionBlock(pub BTreeMap<String, ConditionMap>);

impl JsonSchema for ConditionBlock {
    fn schema_name() -> Cow<'static, str> {
        "ConditionBlock".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let map = generator.subschema_for::<ConditionMap>();
        json_schema!({
            "type": "object",
            "description": "condition operator -> condition key -> value or values",
            "propertyNames": { "pattern": crate::operator::OPERATOR_PATTERN },
            "additionalProperties": map,
        })
    }
}

/// Condition key -> one value or an array of values, for one operator.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ConditionMap(pub BTreeMap<String, OneOrMany<ConditionValue>>);

/// A condition value: IAM accepts JSON strings, numbers and booleans.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ConditionValue {
    /// A string, the usual form.
    String(String),
    /// A number, compared by the numeric operators.
    Number(serde_json::Number),
    /// `true` or `false`, for `Bool` and `Null`.
    Bool(bool),
}

impl ConditionValue {
    /// The value as IAM compares it: a string, a number's JSON text, `true` or `false`.
    pub fn to_text(&self) -> String {
        match self {
            ConditionValue::String(text) => text.clone(),
            ConditionValue::Number(number) => number.to_string(),
            ConditionValue::Bool(flag) => flag.to_string(),
        }
    }
}

/// The note that opens the generated schema file.
pub const SCHEMA_NOTE: &str =
    "generated by `cargo xtask schema` from iamkit_policy::wire; do not edit";

/// The JSON Schema (draft 2020-12) of a policy document, as the text of
/// `policies/schema/policy.schema.json`: pretty-printed, `$comment` first, ending in a newline.
///
/// ```
/// let text = iamkit_policy::wire::schema_text();
/// assert!(text.starts_with("{\n  \"$comment\": \"generated by `cargo xtask schema`"));
/// ```
pub fn schema_text() -> String {
    let schema = schemars::schema_for!(PolicyDocument);
    let mut object = serde_json::Map::new();
    object.insert(
        "$comment".to_owned(),
        serde_json::Value::String(SCHEMA_NOTE.to_owned()),
    );
    let mut value = schema.to_value();
    drop_null(&mut value);
    if let serde_json::Value::Object(mut fields) = value {
        for first in ["$schema", "title", "description"] {
            if let Some(value) = fields.shift_remove(first) {
                object.insert(first.to_owned(), value);
            }
        }
        object.extend(fields);
    }
    let mut text =
        serde_json::to_string_pretty(&serde_json::Value::Object(object)).unwrap_or_default();
    text.push('\n');
    text
}

/// IAM rejects `null` where an element is optional, but schemars lets an `Option` be null:
/// take `null` out of every `anyOf` and `type` list.
fn drop_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [single] = types.as_slice() {
                    let single = single.clone();
                    map.insert("type".to_owned(), single);
                }
            }
            if let Some(Value::Array(any)) = map.get_mut("anyOf") {
                any.retain(|s| {
                    s.get("type").is_none_or(|t| t != "null")
                        || s.as_object().is_some_and(|o| o.len() > 1)
                });
                if let [Value::Object(single)] = any.as_slice() {
                    let single = single.clone();
                    map.shift_remove("anyOf");
                    for (k, v) in single {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) {
        let doc: PolicyDocument = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&doc).unwrap(), text);
    }

    #[test]
    fn serialising_keeps_the_authors_shape() {
        check(r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject"}}"#);
        check(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":["*"]}]}"#,
        );
        check(
            r#"{"Id":"x","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"*"}]}"#,
        );
        check(
            r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":["123456789012"],"Service":"lambda.amazonaws.com"},"Action":"*"}]}"#,
        );
        check(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":["10",10]}}}]}"#,
        );
    }

    #[test]
    fn condition_maps_are_ordered() {
        let doc: PolicyDocument = serde_json::from_str(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringLike":{"b":"1","a":"2"},"Bool":{"k":"true"}}}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"k":"true"},"StringLike":{"a":"2","b":"1"}}}}"#
        );
    }

    #[test]
    fn the_wire_types_reject_what_iam_rejects() {
        let bad = |text: &str| serde_json::from_str::<PolicyDocument>(text).is_err();
        assert!(bad(r#"{"Statement":{"Effects":"Allow","Action":"*"}}"#));
        assert!(bad(
            r#"{"Statement":{"Effect":"Allow","Principal":"arn:aws:iam::123456789012:root"}}"#
        ));
        assert!(bad(r#"{"Version":"2012-10-18","Statement":[]}"#));
        assert!(bad(r#"{"Statement":[],"$schema":"x"}"#));
        assert!(bad(
            r#"{"Statement":{"Effect":"Allow","Condition":{"Bool":{"k":null}}}}"#
        ));
    }
}
