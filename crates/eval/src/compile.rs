//! Policies compiled for evaluation: action and resource patterns, principals and conditions
//! turned into matchers once, so that evaluating a request allocates (almost) nothing.

use crate::condition::Condition;
use crate::principal::{Entry, Principals};
use crate::template::{Syntax, Template};
use crate::{Effect, StatementId};

/// A compiled policy.
#[derive(Clone, Debug)]
pub(crate) struct CompiledPolicy {
    pub name: String,
    pub statements: Vec<Statement>,
}

/// A compiled statement.
#[derive(Clone, Debug)]
pub(crate) struct Statement {
    pub id: StatementId,
    pub effect: Effect,
    /// `NotAction` when `not_action`.
    pub not_action: bool,
    pub actions: Vec<ActionPattern>,
    /// `None`: the statement names no resource (a resource-based policy's statements apply
    /// to the resource they are attached to).
    pub resources: Option<(bool, Vec<ResourcePattern>)>,
    pub principals: Option<Principals>,
    pub conditions: Vec<Condition>,
}

/// What a statement is made of, independent of where it comes from.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawStatement {
    pub sid: Option<String>,
    pub index: usize,
    pub effect: Option<Effect>,
    pub actions: Option<(bool, Vec<String>)>,
    pub resources: Option<(bool, Vec<String>)>,
    /// (`NotPrincipal`, entries as (kind, value)); kind is `AWS`, `Service`, `Federated`,
    /// `CanonicalUser` or `*`.
    pub principals: Option<(bool, Vec<(String, String)>)>,
    /// (operator, key, values).
    pub conditions: Vec<(String, String, Vec<String>)>,
}

impl Statement {
    /// Compiles a statement. `variables` is false for a `2008-10-17` policy.
    pub(crate) fn compile(raw: RawStatement, variables: bool) -> Statement {
        let id = match raw.sid {
            Some(sid) if !sid.is_empty() => StatementId::Sid(sid),
            _ => StatementId::Index(raw.index),
        };
        let (not_action, actions) = raw.actions.unwrap_or((false, Vec::new()));
        let actions = actions.iter().map(|a| ActionPattern::new(a)).collect();
        let resources = raw.resources.map(|(not, list)| {
            (
                not,
                list.iter()
                    .map(|r| ResourcePattern::new(r, variables))
                    .collect(),
            )
        });
        let principals = raw.principals.map(|(not, list)| Principals {
            not,
            entries: list
                .iter()
                .map(|(kind, value)| match kind.as_str() {
                    "Service" => Entry::Service(value.as_str().into()),
                    "Federated" => Entry::Federated(value.as_str().into()),
                    "CanonicalUser" => Entry::CanonicalUser(value.as_str().into()),
                    "*" => Entry::Any,
                    _ => Entry::aws(value),
                })
                .collect(),
        });
        let conditions = raw
            .conditions
            .iter()
            .map(|(op, key, values)| Condition::new(op, key, values, variables))
            .collect();
        Statement {
            id,
            // A statement without a valid effect can neither allow nor deny: treat it as an
            // Allow that matches no action.
            effect: raw.effect.unwrap_or(Effect::Allow),
            not_action: not_action && raw.effect.is_some(),
            actions: if raw.effect.is_some() { actions } else { Vec::new() },
            resources,
            principals,
            conditions,
        }
    }
}

/// A compiled `Action` / `NotAction` entry: case-insensitive, `*` and `?`.
#[derive(Clone, Debug)]
pub(crate) enum ActionPattern {
    Any,
    /// Lowercased.
    Exact(Box<str>),
    /// `service:Prefix*`, lowercased, without the star.
    Prefix(Box<str>),
    Glob(Template),
}

impl ActionPattern {
    pub(crate) fn new(text: &str) -> ActionPattern {
        let template = Template::new(
            text,
            Syntax {
                wildcards: true,
                variables: false,
            },
        );
        if template.is_star() {
            return ActionPattern::Any;
        }
        if let Some(exact) = template.as_literal() {
            return ActionPattern::Exact(exact.to_ascii_lowercase().into());
        }
        if let Some(prefix) = text.strip_suffix('*') {
            if !prefix.contains(['*', '?']) && prefix.is_ascii() {
                return ActionPattern::Prefix(prefix.to_ascii_lowercase().into());
            }
        }
        ActionPattern::Glob(template)
    }

    pub(crate) fn matches(&self, action: &str) -> bool {
        match self {
            ActionPattern::Any => true,
            ActionPattern::Exact(exact) => action.eq_ignore_ascii_case(exact),
            ActionPattern::Prefix(prefix) => action
                .as_bytes()
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes())),
            ActionPattern::Glob(template) => template.matches(action, true, &mut |_| None),
        }
    }
}

/// A compiled `Resource` / `NotResource` entry. An ARN pattern is matched part by part (the
/// six `:`-separated parts), each part with `*` and `?`, case-sensitively.
#[derive(Clone, Debug)]
pub(crate) enum ResourcePattern {
    Any,
    Exact(Box<str>),
    Parts(Vec<Template>),
    Whole(Template),
}

impl ResourcePattern {
    pub(crate) fn new(text: &str, variables: bool) -> ResourcePattern {
        let template = Template::new(
            text,
            Syntax {
                wildcards: true,
                variables,
            },
        );
        if template.is_star() {
            return ResourcePattern::Any;
        }
        if let Some(exact) = template.as_literal() {
            return ResourcePattern::Exact(exact.into());
        }
        match template.split_n(':', 6) {
            Some(parts) => ResourcePattern::Parts(parts),
            None => ResourcePattern::Whole(template),
        }
    }

    pub(crate) fn matches<'a>(
        &'a self,
        resource: &str,
        lookup: &mut dyn FnMut(&str) -> Option<&'a str>,
    ) -> bool {
        match self {
            ResourcePattern::Any => true,
            ResourcePattern::Exact(exact) => resource == &**exact,
            ResourcePattern::Whole(template) => template.matches(resource, false, lookup),
            ResourcePattern::Parts(parts) => {
                let mut subject = resource.splitn(6, ':');
                parts
                    .iter()
                    .all(|part| subject.next().is_some_and(|s| part.matches(s, false, lookup)))
            }
        }
    }
}

/// Why a policy document cannot be compiled from JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct CompileError {
    /// JSON pointer of the offending value inside the policy document.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

fn err(pointer: String, message: impl Into<String>) -> CompileError {
    CompileError {
        pointer,
        message: message.into(),
    }
}

/// Reads a policy document (IAM JSON) into compiled form.
pub(crate) fn from_json(name: &str, doc: &serde_json::Value) -> Result<CompiledPolicy, CompileError> {
    use serde_json::Value;
    let obj = doc
        .as_object()
        .ok_or_else(|| err(String::new(), "a policy document must be a JSON object"))?;
    let variables = match obj.get("Version") {
        None => false,
        Some(Value::String(v)) if v == "2012-10-17" => true,
        Some(Value::String(v)) if v == "2008-10-17" => false,
        Some(v) => {
            return Err(err(
                "/Version".into(),
                format!("unknown policy version `{}`: expected `2012-10-17` or `2008-10-17`", text(v)),
            ));
        }
    };
    let statements: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => return Err(err("/Statement".into(), "`Statement` must be an object or a list of objects")),
        None => return Err(err(String::new(), "missing `Statement`")),
    };
    let single = !matches!(obj.get("Statement"), Some(Value::Array(_)));
    let mut compiled = Vec::with_capacity(statements.len());
    for (index, stmt) in statements.into_iter().enumerate() {
        let at = if single {
            "/Statement".to_owned()
        } else {
            format!("/Statement/{index}")
        };
        let raw = raw_statement(stmt, index, &at)?;
        compiled.push(Statement::compile(raw, variables));
    }
    Ok(CompiledPolicy {
        name: name.to_owned(),
        statements: compiled,
    })
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn strings(v: &serde_json::Value, at: &str) -> Result<Vec<String>, CompileError> {
    use serde_json::Value;
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(err(format!("{at}/{i}"), "expected a string")),
            })
            .collect(),
        _ => Err(err(at.to_owned(), "expected a string or a list of strings")),
    }
}

fn raw_statement(stmt: &serde_json::Value, index: usize, at: &str) -> Result<RawStatement, CompileError> {
    use serde_json::Value;
    let obj = stmt
        .as_object()
        .ok_or_else(|| err(at.to_owned(), "a statement must be a JSON object"))?;
    let mut raw = RawStatement {
        index,
        ..RawStatement::default()
    };
    raw.sid = match obj.get("Sid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(err(format!("{at}/Sid"), "`Sid` must be a string")),
    };
    raw.effect = match obj.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Some(Effect::Allow),
        Some(Value::String(e)) if e == "Deny" => Some(Effect::Deny),
        Some(v) => {
            return Err(err(
                format!("{at}/Effect"),
                format!("unknown effect `{}`: expected `Allow` or `Deny`", text(v)),
            ));
        }
        None => return Err(err(at.to_owned(), "missing `Effect`")),
    };
    raw.actions = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(a), None) => Some((false, strings(a, &format!("{at}/Action"))?)),
        (None, Some(a)) => Some((true, strings(a, &format!("{at}/NotAction"))?)),
        (Some(_), Some(_)) => return Err(err(at.to_owned(), "a statement takes `Action` or `NotAction`, not both")),
        (None, None) => return Err(err(at.to_owned(), "missing `Action` or `NotAction`")),
    };
    raw.resources = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(r), None) => Some((false, strings(r, &format!("{at}/Resource"))?)),
        (None, Some(r)) => Some((true, strings(r, &format!("{at}/NotResource"))?)),
        (Some(_), Some(_)) => {
            return Err(err(at.to_owned(), "a statement takes `Resource` or `NotResource`, not both"));
        }
        (None, None) => None,
    };
    let principal = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(p), None) => Some((false, p, "Principal")),
        (None, Some(p)) => Some((true, p, "NotPrincipal")),
        (Some(_), Some(_)) => {
            return Err(err(at.to_owned(), "a statement takes `Principal` or `NotPrincipal`, not both"));
        }
        (None, None) => None,
    };
    if let Some((not, p, field)) = principal {
        let mut entries = Vec::new();
        match p {
            Value::String(s) if s == "*" => entries.push(("*".to_owned(), "*".to_owned())),
            Value::Object(map) => {
                for (kind, values) in map {
                    if !matches!(kind.as_str(), "AWS" | "Service" | "Federated" | "CanonicalUser") {
                        return Err(err(
                            format!("{at}/{field}/{kind}"),
                            format!("unknown principal type `{kind}`: expected `AWS`, `Service`, `Federated` or `CanonicalUser`"),
                        ));
                    }
                    for value in strings(values, &format!("{at}/{field}/{kind}"))? {
                        entries.push((kind.clone(), value));
                    }
                }
            }
            _ => {
                return Err(err(
                    format!("{at}/{field}"),
                    "a principal must be `*` or an object such as {\"AWS\": \"...\"}",
                ));
            }
        }
        raw.principals = Some((not, entries));
    }
    match obj.get("Condition") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ops)) => {
            for (op, keys) in ops {
                let Value::Object(keys) = keys else {
                    return Err(err(format!("{at}/Condition/{op}"), "expected an object of condition keys"));
                };
                for (key, values) in keys {
                    let here = format!("{at}/Condition/{op}/{key}");
                    let values = match values {
                        Value::Array(list) => list
                            .iter()
                            .enumerate()
                            .map(|(i, v)| scalar(v).ok_or_else(|| err(format!("{here}/{i}"), "expected a string, number or boolean")))
                            .collect::<Result<Vec<_>, _>>()?,
                        v => vec![scalar(v).ok_or_else(|| err(here.clone(), "expected a string, number, boolean or a list of them"))?],
                    };
                    raw.conditions.push((op.clone(), key.clone(), values));
                }
            }
        }
        Some(_) => return Err(err(format!("{at}/Condition"), "`Condition` must be an object")),
    }
    Ok(raw)
}

fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions() {
        let check = |pattern: &str, action: &str, expected: bool| {
            assert_eq!(ActionPattern::new(pattern).matches(action), expected, "{pattern} ~ {action}");
        };
        check("*", "s3:GetObject", true);
        check("s3:*", "S3:GetObject", true);
        check("s3:Get*", "s3:getobject", true);
        check("s3:Get*", "s3:PutObject", false);
        check("iam:*AccessKey*", "iam:CreateAccessKey", true);
        check("s3:GetObject", "s3:GETOBJECT", true);
        check("s3:Get?bject", "s3:GetObject", true);
        check("s3:GetObject", "s3:GetObjectAcl", false);
    }

    #[test]
    fn resources() {
        let check = |pattern: &str, resource: &str, expected: bool| {
            let p = ResourcePattern::new(pattern, true);
            assert_eq!(p.matches(resource, &mut |_| None), expected, "{pattern} ~ {resource}");
        };
        check("*", "arn:aws:s3:::b/k", true);
        check("arn:aws:s3:::*/*", "arn:aws:s3:::b/k", true);
        check("arn:aws:s3:::*/*", "arn:aws:s3:::b", false);
        check("arn:aws:s3:::*", "*", false);
        check("arn:aws:iam::*:user/*", "arn:aws:iam::111122223333:user/x", true);
        check("arn:aws:iam::111122223333:user/*", "arn:aws:iam::444455556666:user/x", false);
        check("arn:aws:s3:::b/Reports/*", "arn:aws:s3:::b/reports/x", false);
        check("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/x/y", false);
        check("arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", true);
    }

    #[test]
    fn json_errors_point_at_the_input() {
        let e = from_json("p", &serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Alow", "Action": "*"}]}))
            .unwrap_err();
        assert_eq!(e.pointer, "/Statement/0/Effect");
        assert!(e.message.contains("`Alow`"));
        let e = from_json("p", &serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": 3}}))
            .unwrap_err();
        assert_eq!(e.pointer, "/Statement/Action");
    }
}
