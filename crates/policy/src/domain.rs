//! The validated policy: what the evaluation engine and the linter work on.
//!
//! Built only by [`crate::parse`] and [`crate::parse_value`], so every value here has been
//! checked: actions and resources are compiled patterns, operators are enums. Each statement
//! and condition keeps its JSON pointer; [`Policy::position`] turns any pointer into a line
//! and column when the policy was parsed from text.

use std::fmt;

use iamkit_arn::{Pattern, ResourcePattern};

use crate::{
    Operator,
    locate::{Position, SourceMap, push_token},
    wire::{self, Effect, Version},
};

/// A validated policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// The language version (`2008-10-17` when the document has none: then `${...}` is
    /// literal text, not a policy variable).
    pub version: Version,
    /// The document's `Id`.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
    /// The document as its author wrote it.
    pub document: wire::PolicyDocument,
    /// Positions of the document's values; empty for [`crate::parse_value`].
    pub source_map: SourceMap,
}

impl Policy {
    /// The document in IAM's JSON shape, as the author wrote it (single values stay single).
    pub fn to_wire(&self) -> wire::PolicyDocument {
        self.document.clone()
    }

    /// The document as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.document).unwrap_or_default()
    }

    /// Where the value at `pointer` is named in the source (its key for object members).
    pub fn position(&self, pointer: &str) -> Option<Position> {
        self.source_map.key_or_value(pointer)
    }

    /// The pointer of item `item` of element `element` (`"Action"`, `"Resource"`, ...) of
    /// statement `statement`, following the author's shape: a single value has no index.
    pub fn item_pointer(&self, statement: usize, element: &str, item: usize) -> Option<String> {
        let s = self.statements.get(statement)?;
        let wire = self.document.statement.as_slice().get(statement)?;
        let values = match element {
            "Action" => wire.action.as_ref(),
            "NotAction" => wire.not_action.as_ref(),
            "Resource" => wire.resource.as_ref(),
            "NotResource" => wire.not_resource.as_ref(),
            _ => None,
        }?;
        let mut pointer = s.pointer.clone();
        push_token(&mut pointer, element);
        match values {
            wire::OneOrMany::One(_) if item == 0 => Some(pointer),
            wire::OneOrMany::One(_) => None,
            wire::OneOrMany::Many(many) if item < many.len() => {
                push_token(&mut pointer, &item.to_string());
                Some(pointer)
            }
            wire::OneOrMany::Many(_) => None,
        }
    }
}

/// One validated statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// The statement id, if any.
    pub sid: Option<String>,
    /// The statement's index in the document (0 for a single statement object).
    pub index: usize,
    /// Allow or deny.
    pub effect: Effect,
    /// `Principal` / `NotPrincipal`, in resource-based and trust policies.
    pub principals: Option<PrincipalMatch>,
    /// `Action` / `NotAction`.
    pub actions: ActionMatch,
    /// `Resource` / `NotResource` (a trust policy has neither).
    pub resources: Option<ResourceMatch>,
    /// Every condition; all must hold.
    pub conditions: Vec<Condition>,
    /// The statement's JSON pointer: `/Statement/1`, or `/Statement` for a single object.
    pub pointer: String,
}

impl Statement {
    /// How reasons and findings name the statement: its Sid, or `#index`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => sid.clone(),
            _ => format!("#{}", self.index),
        }
    }
}

/// `Action` or `NotAction`.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionMatch {
    /// The statement covers these actions.
    Action(Vec<ActionPattern>),
    /// The statement covers every action except these.
    NotAction(Vec<ActionPattern>),
}

impl ActionMatch {
    /// The patterns, whichever element they came from.
    pub fn patterns(&self) -> &[ActionPattern] {
        match self {
            ActionMatch::Action(p) | ActionMatch::NotAction(p) => p,
        }
    }

    /// Whether the statement covers `action` (`s3:GetObject`), taking `NotAction` into account.
    pub fn covers(&self, action: &str) -> bool {
        match self {
            ActionMatch::Action(p) => p.iter().any(|p| p.matches(action)),
            ActionMatch::NotAction(p) => !p.iter().any(|p| p.matches(action)),
        }
    }
}

/// `Resource` or `NotResource`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceMatch {
    /// The statement covers these resources.
    Resource(Vec<ResourcePattern>),
    /// The statement covers every resource except these.
    NotResource(Vec<ResourcePattern>),
}

impl ResourceMatch {
    /// The patterns, whichever element they came from.
    pub fn patterns(&self) -> &[ResourcePattern] {
        match self {
            ResourceMatch::Resource(p) | ResourceMatch::NotResource(p) => p,
        }
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalMatch {
    /// The statement applies to these principals.
    Principal(Vec<Principal>),
    /// The statement applies to everyone except these principals.
    NotPrincipal(Vec<Principal>),
}

impl PrincipalMatch {
    /// The principals, whichever element they came from.
    pub fn principals(&self) -> &[Principal] {
        match self {
            PrincipalMatch::Principal(p) | PrincipalMatch::NotPrincipal(p) => p,
        }
    }
}

/// One principal named in `Principal` or `NotPrincipal`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Principal {
    /// `"Principal": "*"`: everyone, anonymous callers included.
    Any,
    /// `"AWS"`: an account id, an ARN (user, role, root, assumed-role session), or `*`.
    Aws(String),
    /// `"Service"`: a service principal such as `lambda.amazonaws.com`.
    Service(String),
    /// `"Federated"`: an identity provider.
    Federated(String),
    /// `"CanonicalUser"`: an S3 canonical user id.
    CanonicalUser(String),
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Any => f.write_str("*"),
            Principal::Aws(v) => write!(f, "AWS:{v}"),
            Principal::Service(v) => write!(f, "Service:{v}"),
            Principal::Federated(v) => write!(f, "Federated:{v}"),
            Principal::CanonicalUser(v) => write!(f, "CanonicalUser:{v}"),
        }
    }
}

/// One operator / key pair of a `Condition` block, with its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The operator, with its qualifiers.
    pub operator: Operator,
    /// The condition key as written (`aws:MultiFactorAuthPresent`); IAM compares keys
    /// ignoring case.
    pub key: String,
    /// The values as IAM compares them: numbers as their JSON text, booleans as
    /// `true` / `false`.
    pub values: Vec<String>,
    /// JSON pointer of the key: `/Statement/0/Condition/Bool/aws:SecureTransport`.
    pub pointer: String,
}

/// A compiled `Action` entry: `service:NamePattern`, or `*` for every action.
///
/// Matching ignores case, as IAM does.
///
/// ```
/// use iamkit_policy::ActionPattern;
///
/// let p = ActionPattern::parse("s3:Get*").unwrap();
/// assert!(p.matches("s3:GetObject"));
/// assert!(p.matches("S3:getobject"));
/// assert!(!p.matches("s3:PutObject"));
/// assert!(ActionPattern::parse("s3GetObject").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct ActionPattern {
    /// The service prefix (`s3`), or `*` for the pattern `*`.
    pub service: String,
    /// The action name pattern (`Get*`), or `*`.
    pub name_pattern: String,
    pattern: Pattern,
}

impl PartialEq for ActionPattern {
    fn eq(&self, other: &Self) -> bool {
        self.service.eq_ignore_ascii_case(&other.service)
            && self.name_pattern.eq_ignore_ascii_case(&other.name_pattern)
    }
}

/// Why an action entry was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// No `:` between service and action.
    #[error("expected `service:action`")]
    NoColon,
    /// An empty service prefix or action name.
    #[error("the service prefix and the action name must not be empty")]
    Empty,
    /// A character IAM does not allow in a service prefix.
    #[error("the service prefix may contain only letters, digits and `-`")]
    BadService,
    /// A character IAM does not allow in an action name.
    #[error("the action name may contain only letters, digits and the wildcards `*` and `?`")]
    BadName,
}

impl ActionPattern {
    /// Compiles one `Action` / `NotAction` entry.
    pub fn parse(text: &str) -> Result<ActionPattern, ActionError> {
        let (service, name) = if text == "*" {
            ("*", "*")
        } else {
            text.split_once(':').ok_or(ActionError::NoColon)?
        };
        if service.is_empty() || name.is_empty() {
            return Err(ActionError::Empty);
        }
        if service != "*"
            && !service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ActionError::BadService);
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
        {
            return Err(ActionError::BadName);
        }
        Ok(ActionPattern {
            service: service.to_owned(),
            name_pattern: name.to_owned(),
            pattern: Pattern::new_ignore_case(text),
        })
    }

    /// Whether `action` (`s3:GetObject`) matches, ignoring case.
    #[inline]
    pub fn matches(&self, action: &str) -> bool {
        self.pattern.matches(action)
    }

    /// Whether the pattern has a wildcard (`*` or `?`).
    pub fn has_wildcard(&self) -> bool {
        self.service == "*" || self.name_pattern.contains(['*', '?'])
    }
}

impl fmt::Display for ActionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.service == "*" {
            f.write_str("*")
        } else {
            write!(f, "{}:{}", self.service, self.name_pattern)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, action: &str, expected: bool) {
        let compiled = ActionPattern::parse(pattern).unwrap();
        assert_eq!(compiled.matches(action), expected, "{pattern} vs {action}");
        assert_eq!(compiled.to_string(), pattern);
    }

    #[test]
    fn action_patterns_match_ignoring_case() {
        check("*", "s3:GetObject", true);
        check("s3:*", "S3:DeleteBucket", true);
        check("s3:*", "s3x:DeleteBucket", false);
        check("iam:*AccessKey*", "iam:CreateAccessKey", true);
        check("iam:*AccessKey*", "iam:ListAccessKeys", true);
        check("iam:*AccessKey*", "iam:ListUsers", false);
        check("sts:AssumeRole", "sts:assumerole", true);
        check("sts:AssumeRole", "sts:AssumeRoleWithSAML", false);
        check("s3:Get?bject", "s3:GetObject", true);
        check(
            "access-analyzer:ValidatePolicy",
            "access-analyzer:validatepolicy",
            true,
        );
    }

    #[test]
    fn bad_action_patterns() {
        let err = |text: &str| ActionPattern::parse(text).unwrap_err();
        assert_eq!(err("s3GetObject"), ActionError::NoColon);
        assert_eq!(err(":GetObject"), ActionError::Empty);
        assert_eq!(err("s3:"), ActionError::Empty);
        assert_eq!(err("s3*:GetObject"), ActionError::BadService);
        assert_eq!(err("s3:Get Object"), ActionError::BadName);
        assert_eq!(err("s3:Get:Object"), ActionError::BadName);
        assert!(ActionPattern::parse("s3:Get*").unwrap().has_wildcard());
        assert!(!ActionPattern::parse("s3:GetObject").unwrap().has_wildcard());
    }

    #[test]
    fn not_action_covers_the_rest() {
        let not = ActionMatch::NotAction(vec![ActionPattern::parse("iam:*").unwrap()]);
        assert!(not.covers("s3:GetObject"));
        assert!(!not.covers("IAM:CreateUser"));
    }
}
