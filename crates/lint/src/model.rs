//! The linter's view of a policy: every element as the author wrote it, with its JSON pointer.
//!
//! The checks need the text exactly as written (`s3:*`, `arn:aws:s3:::*/*`, `BoolIfExists`)
//! and where it is, so this view keeps strings and pointers rather than compiled patterns.
//! Shapes the grammar does not allow are skipped here; the parser reports them.

use serde_json::Value;

/// A whole document.
pub(crate) struct Doc<'a> {
    /// `Version`, with its pointer, when present as a string.
    pub version: Option<Item<'a>>,
    pub statements: Vec<Stmt<'a>>,
}

/// One string element and where it is.
#[derive(Debug, Clone)]
pub(crate) struct Item<'a> {
    pub text: &'a str,
    pub pointer: String,
}

/// `Action` or `NotAction`, `Resource` or `NotResource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polarity {
    Is,
    Not,
}

/// A list element (`Action`, `Resource`) with its entries.
pub(crate) struct List<'a> {
    pub polarity: Polarity,
    /// Pointer to the element itself (`/Statement/0/Action`).
    pub pointer: String,
    pub items: Vec<Item<'a>>,
}

/// One condition: an operator, a key and its values.
pub(crate) struct Cond<'a> {
    /// The operator as written (`ForAllValues:StringLikeIfExists`).
    pub operator: &'a str,
    pub key: &'a str,
    /// The values as strings (`true` and numbers are written as text).
    pub values: Vec<String>,
    /// The pointer of each value (the key's own pointer when it holds one value, not a list).
    pub value_pointers: Vec<String>,
    /// Pointer to the operator's member (`/Statement/0/Condition/Bool`).
    pub operator_pointer: String,
    /// Pointer to the key's member (`/Statement/0/Condition/Bool/aws:SecureTransport`).
    pub pointer: String,
}

/// One statement.
pub(crate) struct Stmt<'a> {
    pub pointer: String,
    pub value: &'a Value,
    pub allow: bool,
    pub actions: Option<List<'a>>,
    pub resources: Option<List<'a>>,
    /// `Principal` entries (`"*"` or each value under `AWS`, `Service`, ...), with the type.
    pub principals: Vec<(&'a str, Item<'a>)>,
    pub has_principal: bool,
    /// Whether the principals are `NotPrincipal`'s.
    pub not_principal: bool,
    pub conditions: Vec<Cond<'a>>,
}

impl<'a> Doc<'a> {
    pub(crate) fn new(value: &'a Value) -> Self {
        let version = value
            .get("Version")
            .and_then(Value::as_str)
            .map(|text| Item {
                text,
                pointer: "/Version".to_owned(),
            });
        let statements = match value.get("Statement") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, s)| Stmt::new(s, format!("/Statement/{i}")))
                .collect(),
            Some(single @ Value::Object(_)) => Stmt::new(single, "/Statement".to_owned())
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        Doc {
            version,
            statements,
        }
    }
}

impl<'a> Stmt<'a> {
    fn new(value: &'a Value, pointer: String) -> Option<Self> {
        let object = value.as_object()?;
        let allow = object.get("Effect").and_then(Value::as_str) == Some("Allow");
        let list = |is: &str, not: &str| {
            let (name, polarity) = if object.contains_key(is) {
                (is, Polarity::Is)
            } else if object.contains_key(not) {
                (not, Polarity::Not)
            } else {
                return None;
            };
            let element = format!("{pointer}/{name}");
            let items = strings(object.get(name)?, &element);
            Some(List {
                polarity,
                pointer: element,
                items,
            })
        };
        let actions = list("Action", "NotAction");
        let resources = list("Resource", "NotResource");

        let mut principals = Vec::new();
        let principal = object
            .get("Principal")
            .or_else(|| object.get("NotPrincipal"));
        let principal_name = if object.contains_key("Principal") {
            "Principal"
        } else {
            "NotPrincipal"
        };
        match principal {
            Some(Value::String(text)) => principals.push((
                "*",
                Item {
                    text,
                    pointer: format!("{pointer}/{principal_name}"),
                },
            )),
            Some(Value::Object(map)) => {
                for (kind, entries) in map {
                    let at = format!("{pointer}/{principal_name}/{}", escape(kind));
                    for item in strings(entries, &at) {
                        principals.push((kind.as_str(), item));
                    }
                }
            }
            _ => {}
        }

        let conditions = object
            .get("Condition")
            .map(|block| conditions(block, &pointer))
            .unwrap_or_default();
        Some(Stmt {
            value,
            allow,
            actions,
            resources,
            has_principal: principal.is_some(),
            not_principal: principal_name == "NotPrincipal" && principal.is_some(),
            principals,
            conditions,
            pointer,
        })
    }

    /// The `Sid`, when it is a string.
    pub(crate) fn sid(&self) -> Option<&'a str> {
        self.value.get("Sid").and_then(Value::as_str)
    }
}

/// Every condition of a `Condition` block, one per operator and key.
fn conditions<'a>(block: &'a Value, pointer: &str) -> Vec<Cond<'a>> {
    let mut conditions = Vec::new();
    if let Value::Object(block) = block {
        for (operator, keys) in block {
            let operator_pointer = format!("{pointer}/Condition/{}", escape(operator));
            let Some(keys) = keys.as_object() else {
                continue;
            };
            for (key, values) in keys {
                let pointer = format!("{operator_pointer}/{}", escape(key));
                let (values, value_pointers) = match values {
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, v)| scalar(v).map(|s| (s, format!("{pointer}/{i}"))))
                        .unzip(),
                    other => scalar(other)
                        .map(|s| (s, pointer.clone()))
                        .into_iter()
                        .unzip(),
                };
                conditions.push(Cond {
                    operator,
                    key,
                    values,
                    value_pointers,
                    pointer,
                    operator_pointer: operator_pointer.clone(),
                });
            }
        }
    }
    conditions
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The strings of a one-or-many element, each with its pointer.
fn strings<'a>(value: &'a Value, pointer: &str) -> Vec<Item<'a>> {
    match value {
        Value::String(text) => vec![Item {
            text,
            pointer: pointer.to_owned(),
        }],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.as_str().map(|text| Item {
                    text,
                    pointer: format!("{pointer}/{i}"),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
