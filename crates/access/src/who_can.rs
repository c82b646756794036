//! Who can: for an action and a resource, every principal the engine allows, with the
//! deciding statements and the conditions they carry; and the principals a conditional Allow
//! would let in if its conditions held (the request context of the analysis does not
//! satisfy them).

use iamkit_eval::{Engine, NamedPolicy, Policies};
use iamkit_policy::{Effect, Policy, Statement};
use serde::Serialize;
use serde_json::Value;

use crate::analysis::{AccessError, Analysis, TRUST_ACTIONS};
use crate::subject::{Allowed, Ask, StatementRef, Subject};

/// A principal allowed to do the thing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allowance {
    /// The user's or role's ARN.
    pub principal: String,
    /// Allowed only with MFA.
    pub requires_mfa: bool,
    /// The statements that allow it.
    pub statements: Vec<StatementRef>,
    /// The conditions of those statements, as `Operator key values`.
    pub conditions: Vec<String>,
}

/// The answer to "who can do `action` on `resource`".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WhoCan {
    /// The action asked about.
    pub action: String,
    /// The resource asked about.
    pub resource: String,
    /// Every principal allowed, in the account's order (users, then roles).
    pub allowed: Vec<Allowance>,
    /// Principals not allowed in the analysis's request context that an Allow statement
    /// would let in if its conditions held (Deny statements still apply), with those
    /// conditions.
    pub conditional: Vec<Allowance>,
}

/// A condition as one line: `Bool aws:MultiFactorAuthPresent true`.
fn render(condition: &iamkit_policy::Condition) -> String {
    format!(
        "{} {} {}",
        condition.operator,
        condition.key,
        condition.values.join(", ")
    )
}

/// The statement a reference names, among `policies`.
fn find<'p>(policies: &[&'p NamedPolicy], r: &StatementRef) -> Option<&'p Statement> {
    let policy = policies.iter().find(|p| p.name == r.policy)?;
    policy
        .policy
        .statements
        .iter()
        .find(|s| s.label() == r.statement)
}

/// The conditions of the referenced statements.
fn conditions(policies: &[&NamedPolicy], refs: &[StatementRef]) -> Vec<String> {
    let mut out: Vec<String> = refs
        .iter()
        .filter_map(|r| find(policies, r))
        .flat_map(|s| s.conditions.iter().map(render))
        .collect();
    out.dedup();
    out
}

/// The document with every Allow statement's `Condition` removed; `None` when it has none.
fn without_allow_conditions(policy: &Policy) -> Option<Policy> {
    if !policy
        .statements
        .iter()
        .any(|s| s.effect == Effect::Allow && !s.conditions.is_empty())
    {
        return None;
    }
    let mut value = serde_json::to_value(policy.to_wire()).ok()?;
    let strip = |s: &mut Value| {
        if s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && let Some(map) = s.as_object_mut()
        {
            map.remove("Condition");
        }
    };
    match value.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().for_each(strip),
        Some(one @ Value::Object(_)) => strip(one),
        _ => {}
    }
    iamkit_policy::parse_value(&value).ok()
}

impl Analysis<'_> {
    /// Every principal allowed `action` on `resource` (an ARN, or `*` for actions that take
    /// no resource). For a role's trust actions (`sts:AssumeRole`) on a role of the account,
    /// the role's trust policy is the resource-based policy, as IAM evaluates it.
    pub fn who_can(&self, action: &str, resource: &str) -> Result<WhoCan, AccessError> {
        let known = iamkit_catalog::Catalog::get()
            .action(action)
            .ok_or_else(|| AccessError::UnknownAction(action.to_owned()))?;
        let action = known.full_name();
        let role = TRUST_ACTIONS
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&action))
            .then(|| self.role_index(resource))
            .flatten();
        let mut answer = WhoCan {
            action: action.clone(),
            resource: resource.to_owned(),
            allowed: Vec::new(),
            conditional: Vec::new(),
        };
        for i in 0..self.principal_count() {
            let Some(subject) = self.subject(i) else {
                continue;
            };
            let mut policies: Vec<&NamedPolicy> = subject
                .held
                .iter()
                .chain(subject.boundary.as_ref())
                .map(|h| &h.policy)
                .collect();
            if let Some(trust) = role.and_then(|r| self.trust(r)) {
                policies.push(&trust.policy);
            }
            let allowed = match role {
                Some(r) => self.ask_role(subject, r, &action, None),
                None => subject.ask().allowed(&action, resource, &[]),
            };
            if let Some(allowed) = allowed {
                answer.allowed.push(allowance(subject, &policies, allowed));
            } else if role.is_none()
                && let Some(allowed) = conditional(subject, &action, resource)
            {
                answer
                    .conditional
                    .push(allowance(subject, &policies, allowed));
            }
        }
        Ok(answer)
    }
}

fn allowance(subject: &Subject, policies: &[&NamedPolicy], allowed: Allowed) -> Allowance {
    Allowance {
        principal: subject.arn.clone(),
        requires_mfa: allowed.requires_mfa,
        conditions: conditions(policies, &allowed.statements),
        statements: allowed.statements,
    }
}

/// Whether the subject would be allowed if its Allow statements' conditions held.
fn conditional(subject: &Subject, action: &str, resource: &str) -> Option<Allowed> {
    if !subject.might(action, resource) {
        return None;
    }
    let strip = |h: &crate::subject::Held| {
        let policy = without_allow_conditions(&h.policy.policy);
        let changed = policy.is_some();
        let policy = policy.unwrap_or_else(|| h.policy.policy.clone());
        (changed, NamedPolicy::new(&h.policy.name, policy))
    };
    let identity: Vec<(bool, NamedPolicy)> = subject.held.iter().map(strip).collect();
    let boundary = subject.boundary.as_ref().map(strip);
    let changed = identity.iter().chain(boundary.as_ref()).any(|(c, _)| *c);
    if !changed {
        return None;
    }
    let engine = Engine::new(&Policies {
        identity: identity.into_iter().map(|(_, p)| p).collect(),
        boundary: boundary.map(|(_, p)| p),
        ..Policies::default()
    });
    Ask {
        engine: &engine,
        principal: &subject.caller,
        context: &subject.context,
        mfa_aware: subject.mfa_aware,
        with_mfa: true,
    }
    .allowed(action, resource, &[])
}
