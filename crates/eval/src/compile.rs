//! Policies compiled for evaluation: action and resource patterns, principals and conditions
//! turned into matchers once, so that evaluating a request allocates (almost) nothing.

use iamkit_arn::ResourcePattern;
use iamkit_policy::ActionPattern;

use crate::condition::Condition;
use crate::index::{ActionIndex, Actions, Positions};
use crate::principal::{Entry, Principals};
use crate::{Effect, NamedPolicy, StatementId};

/// The compiled policies of one policy type: their statements in order, and an index of
/// the statements by the actions they name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Group {
    /// The policies' names; [`Statement::policy`] indexes this list.
    pub names: Vec<String>,
    /// Every statement of every policy, in order.
    pub statements: Vec<Statement>,
    index: ActionIndex,
}

impl Group {
    /// Compiles `policies`, in order.
    pub(crate) fn new<'p>(policies: impl Iterator<Item = &'p NamedPolicy>) -> Group {
        let mut group = Group::default();
        for policy in policies {
            let at = u32::try_from(group.names.len()).unwrap_or(u32::MAX);
            let variables = policy.policy.version == iamkit_policy::Version::V2012_10_17;
            group.names.push(policy.name.clone());
            group.statements.extend(
                policy
                    .policy
                    .statements
                    .iter()
                    .map(|s| Statement::compile(s, at, variables)),
            );
        }
        group.index = ActionIndex::build(group.statements.iter());
        group
    }

    /// Whether the group holds no policy.
    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of the policy a statement is in.
    pub(crate) fn name(&self, statement: &Statement) -> &str {
        self.names
            .get(statement.policy as usize)
            .map_or("", String::as_str)
    }

    /// Puts in `positions` the statements whose `Action` or `NotAction` matches `action`,
    /// in order; [`Group::at`] gives them.
    pub(crate) fn matching(&self, action: &str, positions: &mut Positions) {
        self.index.matching(action, &self.statements, positions);
    }

    /// The statement at a position that [`Group::matching`] gave.
    pub(crate) fn at(&self, position: u32) -> Option<&Statement> {
        self.statements.get(position as usize)
    }
}

/// A compiled statement.
#[derive(Clone, Debug)]
pub(crate) struct Statement {
    /// The position of the statement's policy in its [`Group`].
    pub policy: u32,
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
    fn compile(s: &iamkit_policy::Statement, policy: u32, variables: bool) -> Statement {
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
            policy,
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

impl Actions for Statement {
    fn actions(&self) -> &[ActionPattern] {
        &self.actions
    }

    fn not_action(&self) -> bool {
        self.not_action
    }
}
