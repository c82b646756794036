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

impl Statement {
    /// Compiles a validated statement. `variables` is false for a `2008-10-17` policy.
    fn compile(s: &iamkit_policy::Statement, variables: bool) -> Statement {
        use iamkit_policy::{ActionMatch, Principal, PrincipalMatch, ResourceMatch};
        let id = match &s.sid {
            Some(sid) if !sid.is_empty() => StatementId::Sid(sid.clone()),
            _ => StatementId::Index(s.index),
        };
        let (not_action, actions) = match &s.actions {
            ActionMatch::Action(p) => (false, p),
            ActionMatch::NotAction(p) => (true, p),
        };
        let actions = actions
            .iter()
            .map(|a| ActionPattern::new(&a.to_string()))
            .collect();
        let resources = s.resources.as_ref().map(|r| {
            let (not, patterns) = match r {
                ResourceMatch::Resource(p) => (false, p),
                ResourceMatch::NotResource(p) => (true, p),
            };
            let patterns = patterns
                .iter()
                .map(|p| ResourcePattern::new(p.as_str(), variables))
                .collect();
            (not, patterns)
        });
        let principals = s.principals.as_ref().map(|p| {
            let (not, list) = match p {
                PrincipalMatch::Principal(list) => (false, list),
                PrincipalMatch::NotPrincipal(list) => (true, list),
            };
            let entries = list
                .iter()
                .map(|p| match p {
                    Principal::Any => Entry::Any,
                    Principal::Aws(v) => Entry::aws(v),
                    Principal::Service(v) => Entry::Service(v.as_str().into()),
                    Principal::Federated(v) => Entry::Federated(v.as_str().into()),
                    Principal::CanonicalUser(v) => Entry::CanonicalUser(v.as_str().into()),
                })
                .collect();
            Principals { not, entries }
        });
        let conditions = s
            .conditions
            .iter()
            .map(|c| Condition::new(&c.operator.to_string(), &c.key, &c.values, variables))
            .collect();
        Statement {
            id,
            effect: s.effect,
            not_action,
            actions,
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
        if let Some(prefix) = text.strip_suffix('*')
            && !prefix.contains(['*', '?'])
            && prefix.is_ascii()
        {
            return ActionPattern::Prefix(prefix.to_ascii_lowercase().into());
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
/// six `:`-separated parts; the resource part is one text, colons included), each part with
/// `*` and `?`, case-sensitively.
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
        let parts = template.split_upto(':', 6);
        if parts.len() > 1 {
            ResourcePattern::Parts(parts)
        } else {
            ResourcePattern::Whole(template)
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
                // Only an ARN-shaped resource (six parts) matches. Part by part; with fewer
                // than six parts (`arn:aws:s3:*`) the last one takes the rest of the ARN.
                if resource.bytes().filter(|b| *b == b':').nth(4).is_none() {
                    return false;
                }
                let mut subject = resource.splitn(parts.len(), ':');
                parts.iter().all(|part| {
                    subject
                        .next()
                        .is_some_and(|s| part.matches(s, false, lookup))
                })
            }
        }
    }
}

/// Compiles a validated policy.
pub(crate) fn from_policy(name: &str, policy: &iamkit_policy::Policy) -> CompiledPolicy {
    let variables = policy.version == iamkit_policy::Version::V2012_10_17;
    CompiledPolicy {
        name: name.to_owned(),
        statements: policy
            .statements
            .iter()
            .map(|s| Statement::compile(s, variables))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions() {
        let check = |pattern: &str, action: &str, expected: bool| {
            assert_eq!(
                ActionPattern::new(pattern).matches(action),
                expected,
                "{pattern} ~ {action}"
            );
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
            assert_eq!(
                p.matches(resource, &mut |_| None),
                expected,
                "{pattern} ~ {resource}"
            );
        };
        check("*", "arn:aws:s3:::b/k", true);
        check("arn:aws:s3:::*/*", "arn:aws:s3:::b/k", true);
        check("arn:aws:s3:::*/*", "arn:aws:s3:::b", false);
        check("arn:aws:s3:::*", "*", false);
        check(
            "arn:aws:iam::*:user/*",
            "arn:aws:iam::111122223333:user/x",
            true,
        );
        check(
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::444455556666:user/x",
            false,
        );
        check(
            "arn:aws:s3:::b/Reports/*",
            "arn:aws:s3:::b/reports/x",
            false,
        );
        check(
            "arn:aws:s3:::b/${aws:username}/*",
            "arn:aws:s3:::b/x/y",
            false,
        );
        check(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            true,
        );
    }

    /// `arn:` and then 1 to `max` `:`-separated parts made of IAM-ish pieces.
    fn arn_like(min: usize, max: usize) -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = proptest::sample::select(vec![
            "", "aws", "s3", "iam", "*", "?", "a", "b/c", "a:b", "1111*", "*/*",
        ]);
        proptest::collection::vec(proptest::collection::vec(piece, 0..3), min..=max).prop_map(
            |parts| {
                let parts: Vec<String> = parts.iter().map(|p| p.concat()).collect();
                format!("arn:{}", parts.join(":"))
            },
        )
    }

    /// A pattern: ARN-shaped, or shorter and ending with `*`.
    fn pattern() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![arn_like(5, 5), arn_like(1, 4).prop_map(|p| format!("{p}*"))]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, max_global_rejects: 100_000, ..Default::default() })]

        /// Without policy variables, this matcher and `iamkit_arn::ResourcePattern` (what the
        /// linter and the provisioner use) agree on every pattern the arn crate accepts.
        #[test]
        fn agrees_with_the_arn_crate(pattern in pattern(), subject in arn_like(1, 6)) {
            let theirs = iamkit_arn::ResourcePattern::parse(&pattern);
            proptest::prop_assume!(theirs.is_ok());
            let theirs = theirs.unwrap();
            let ours = ResourcePattern::new(&pattern, true);
            proptest::prop_assert_eq!(
                ours.matches(&subject, &mut |_| None),
                theirs.matches(&subject),
                "{} ~ {}", pattern, subject
            );
        }
    }
}
