//! Policies compiled for evaluation: action and resource patterns, principals and conditions
//! turned into matchers once, so that evaluating a request allocates (almost) nothing.

use iamkit_arn::ResourcePattern;
use iamkit_policy::ActionPattern;

use crate::condition::Condition;
use crate::principal::{Entry, Principals};
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
    /// The patterns as the policy crate compiled them (policy variables are resolved when
    /// matching). `None`: the statement names no resource (a resource-based policy's statements apply
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
        let actions = actions.clone();
        let resources = s.resources.as_ref().map(|r| match r {
            ResourceMatch::Resource(p) => (false, p.clone()),
            ResourceMatch::NotResource(p) => (true, p.clone()),
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
            .map(|c| Condition::new(c.operator, &c.key, &c.values, variables))
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
