//! Effective permissions: every action of the service catalog a principal is allowed, on
//! which resources, grouped by service.
//!
//! For each action, the candidate resource scopes are the `Resource` patterns of the
//! principal's Allow statements that cover it (and of its boundary's); `*` is asked as the
//! resource `*`, any other pattern through a witness of one of the action's resource types
//! (see `witness.rs`), so a pattern that cannot name such a resource grants nothing (s3:* on
//! `arn:aws:s3:::*/*` does not grant `s3:ListBucket`). The engine decides each; Deny patterns
//! narrower than the grant are listed as exceptions.

use iamkit_arn::ResourcePattern;
use iamkit_catalog::{ActionRef, Catalog};
use iamkit_policy::{ActionPattern, Effect, ResourceMatch, Statement};
use serde::Serialize;

use crate::analysis::{AccessError, Analysis, TRUST_ACTIONS};
use crate::subject::{Allowed, StatementRef, Subject};
use crate::witness::{Place, witness};

/// Where an action is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The resource pattern allowed (`*`, `arn:aws:s3:::*/*`), as the policy writes it.
    pub resource: String,
    /// Allowed only with MFA.
    pub requires_mfa: bool,
    /// The statements that allow it.
    pub statements: Vec<StatementRef>,
    /// Narrower patterns a Deny takes out of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// One allowed action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionPermission {
    /// `service:Name`.
    pub action: String,
    /// The catalog's access level: `List`, `Read`, `Write`, `Tagging`, `Permissions management`.
    pub access_level: String,
    /// Where it is allowed.
    pub grants: Vec<Grant>,
}

/// The allowed actions of one service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServicePermissions {
    /// The action prefix, such as `s3`.
    pub service: String,
    /// How many of its actions are allowed somewhere.
    pub allowed: usize,
    /// How many actions it has.
    pub total: usize,
    /// When every action is allowed on `*` the same way: that grant (shown as `service:*`),
    /// and `actions` is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<Grant>,
    /// The allowed actions, unless summarised in `all`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionPermission>,
}

/// A principal's effective permissions over the whole catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Permissions {
    /// The principal's ARN.
    pub principal: String,
    /// Every action of the catalog allowed on `*` without MFA: `*:*`.
    pub everything: bool,
    /// Actions allowed somewhere.
    pub allowed: usize,
    /// Actions in the catalog.
    pub total: usize,
    /// Services with at least one allowed action, by prefix.
    pub services: Vec<ServicePermissions>,
}

/// Whether an action pattern's service part may match `prefix`.
fn service_matches(pattern: &ActionPattern, prefix: &str) -> bool {
    if pattern.service.contains(['*', '?']) {
        iamkit_arn::Pattern::new_ignore_case(&pattern.service).matches(prefix)
    } else {
        pattern.service.eq_ignore_ascii_case(prefix)
    }
}

/// The statements (identity and boundary) that may cover some action of a service.
struct ServiceStatements<'s> {
    allows: Vec<&'s Statement>,
    boundary_allows: Vec<&'s Statement>,
    denies: Vec<&'s Statement>,
}

impl ServiceStatements<'_> {
    /// Which of the service's statements cover `action`, as bits. With the same resource and
    /// context, the engine's decision depends on the action only through these: two actions
    /// with the same bits get the same decision, so one evaluation serves both.
    fn signature(&self, action: &str) -> Vec<u64> {
        let all = self
            .allows
            .iter()
            .chain(&self.boundary_allows)
            .chain(&self.denies);
        let mut bits = vec![
            0u64;
            (self.allows.len() + self.boundary_allows.len() + self.denies.len())
                .div_ceil(64)
        ];
        for (i, s) in all.enumerate() {
            if s.actions.covers(action)
                && let Some(word) = bits.get_mut(i / 64)
            {
                *word |= 1 << (i % 64);
            }
        }
        bits
    }
}

/// Decisions already taken for one service, by resource and statement signature.
type Memo = std::collections::HashMap<String, std::collections::HashMap<Vec<u64>, Option<Allowed>>>;

/// Asks `action` on `resource`, or reuses the decision for an action with the same
/// signature; the statements are renamed to `action`.
fn ask_memo(
    subject: &Subject,
    memo: &mut Memo,
    signature: &[u64],
    action: &str,
    resource: &str,
) -> Option<Allowed> {
    if !memo.contains_key(resource) {
        memo.insert(resource.to_owned(), std::collections::HashMap::new());
    }
    let by_signature = memo.get_mut(resource)?;
    if !by_signature.contains_key(signature) {
        let decided = subject.ask().allowed(action, resource, &[]);
        by_signature.insert(signature.to_vec(), decided);
    }
    let decided = by_signature.get(signature)?.as_ref()?;
    Some(Allowed {
        requires_mfa: decided.requires_mfa,
        statements: decided
            .statements
            .iter()
            .map(|s| StatementRef {
                action: action.to_owned(),
                ..s.clone()
            })
            .collect(),
    })
}

fn for_service<'s>(subject: &'s Subject, prefix: &str) -> ServiceStatements<'s> {
    let relevant = |s: &&Statement| match &s.actions {
        iamkit_policy::ActionMatch::Action(p) => p.iter().any(|p| service_matches(p, prefix)),
        iamkit_policy::ActionMatch::NotAction(_) => true,
    };
    let identity = subject
        .held
        .iter()
        .flat_map(|h| &h.policy.policy.statements);
    let boundary = subject
        .boundary
        .iter()
        .flat_map(|b| &b.policy.policy.statements);
    ServiceStatements {
        allows: identity
            .clone()
            .filter(|s| s.effect == Effect::Allow)
            .filter(relevant)
            .collect(),
        boundary_allows: boundary
            .clone()
            .filter(|s| s.effect == Effect::Allow)
            .filter(relevant)
            .collect(),
        denies: identity
            .chain(boundary)
            .filter(|s| s.effect == Effect::Deny)
            .filter(relevant)
            .collect(),
    }
}

/// The resource patterns of statements that cover `action`, variables resolved for the
/// subject (`None` for an entry whose variable has no value).
fn scopes(subject: &Subject, statements: &[&Statement], action: &str) -> Vec<ResourcePattern> {
    let mut out: Vec<ResourcePattern> = Vec::new();
    for s in statements.iter().filter(|s| s.actions.covers(action)) {
        match &s.resources {
            None | Some(ResourceMatch::NotResource(_)) => out.push(ResourcePattern::any()),
            Some(ResourceMatch::Resource(patterns)) => {
                for p in patterns {
                    let resolved = p.resolve(&mut |v| subject.variable(v).map(str::to_owned));
                    out.extend(resolved);
                }
            }
        }
    }
    out.sort_by(|a, b| b.is_any().cmp(&a.is_any()).then(a.as_str().cmp(b.as_str())));
    out.dedup_by(|a, b| a.as_str() == b.as_str());
    out
}

/// The resource to ask about for `pattern` and the action: `*` for `*`, else a witness.
fn resource_for(pattern: &ResourcePattern, formats: &[&str], place: Place<'_>) -> Option<String> {
    if pattern.is_any() {
        return Some("*".to_owned());
    }
    if formats.is_empty() {
        // The action takes only `*`: a pattern that is not `*` never matches it.
        return None;
    }
    witness(pattern, formats, place)
}

/// The grants of a trust action (`sts:AssumeRole` and the like) under `pattern`: one per role
/// of the account the pattern names whose trust policy also lets the subject in, as IAM asks
/// both sides. A role of another account, whose trust is not in the model, grants nothing.
fn trust_grants(
    analysis: &Analysis<'_>,
    subject: &Subject,
    pattern: &ResourcePattern,
    name: &str,
) -> Vec<Grant> {
    analysis
        .account
        .roles
        .iter()
        .enumerate()
        .filter(|(_, role)| pattern.matches(role.arn.as_str()))
        .filter_map(|(r, role)| {
            let allowed = analysis.ask_role(subject, r, name, None)?;
            Some(Grant {
                resource: role.arn.to_string(),
                requires_mfa: allowed.requires_mfa,
                statements: allowed.statements,
                except: Vec::new(),
            })
        })
        .collect()
}

/// The grants of one action.
fn action_grants(
    analysis: &Analysis<'_>,
    subject: &Subject,
    statements: &ServiceStatements<'_>,
    memo: &mut Memo,
    action: &ActionRef<'_>,
) -> Vec<Grant> {
    let place = analysis.place();
    let name = action.full_name();
    if !statements.allows.iter().any(|s| s.actions.covers(&name)) {
        return Vec::new();
    }
    let signature = statements.signature(&name);
    let formats: Vec<&str> = action
        .resource_types()
        .map(|(t, _)| t.arn_format.as_str())
        .collect();
    let mut candidates = scopes(subject, &statements.allows, &name);
    if subject.boundary.is_some() {
        candidates.extend(scopes(subject, &statements.boundary_allows, &name));
        candidates.dedup_by(|a, b| a.as_str() == b.as_str());
    }
    let mut grants: Vec<Grant> = Vec::new();
    let trust = TRUST_ACTIONS.contains(&name.as_str());
    for pattern in &candidates {
        if grants.iter().any(|g| g.resource == "*") {
            break;
        }
        if trust && !pattern.is_any() {
            for grant in trust_grants(analysis, subject, pattern, &name) {
                if !grants.iter().any(|g| g.resource == grant.resource) {
                    grants.push(grant);
                }
            }
            continue;
        }
        let Some(resource) = resource_for(pattern, &formats, place) else {
            continue;
        };
        if let Some(allowed) = ask_memo(subject, memo, &signature, &name, &resource) {
            grants.push(Grant {
                resource: pattern.as_str().to_owned(),
                requires_mfa: allowed.requires_mfa,
                statements: allowed.statements,
                except: Vec::new(),
            });
        }
    }
    if !grants.is_empty() && !statements.denies.is_empty() {
        let excepts = excepts(subject, &statements.denies, &name, &formats, place);
        for grant in &mut grants {
            grant.except.clone_from(&excepts);
        }
    }
    grants
}

/// Deny patterns that the engine confirms deny a witness of theirs.
fn excepts(
    subject: &Subject,
    denies: &[&Statement],
    name: &str,
    formats: &[&str],
    place: Place<'_>,
) -> Vec<String> {
    let ask = subject.ask();
    scopes(subject, denies, name)
        .iter()
        .filter(|p| !p.is_any())
        .filter(|p| {
            resource_for(p, formats, place).is_some_and(|r| {
                ask.evaluate(name, &r).decision == iamkit_eval::Decision::ExplicitDeny
            })
        })
        .map(|p| p.as_str().to_owned())
        .collect()
}

/// Whether every grant makes the service `service:*` on `*`, and the grant to show for it.
fn summary(actions: &[ActionPermission], total: usize) -> Option<Grant> {
    if actions.len() != total || total == 0 {
        return None;
    }
    let first = actions.first()?.grants.first()?;
    let uniform = actions.iter().all(|a| {
        a.grants.iter().any(|g| {
            g.resource == "*" && g.except.is_empty() && g.requires_mfa == first.requires_mfa
        })
    });
    (uniform && first.resource == "*").then(|| first.clone())
}

impl Analysis<'_> {
    /// The effective permissions of the user or role `principal` (its ARN).
    pub fn permissions(&self, principal: &str) -> Result<Permissions, AccessError> {
        let subject = self
            .principal_index(principal)
            .and_then(|i| self.subject(i))
            .ok_or_else(|| AccessError::UnknownPrincipal(principal.to_owned()))?;
        Ok(permissions_of(self, subject))
    }
}

/// The effective permissions of a compiled subject.
pub(crate) fn permissions_of(analysis: &Analysis<'_>, subject: &Subject) -> Permissions {
    let catalog = Catalog::get();
    let mut services = Vec::new();
    let (mut allowed, mut total) = (0, 0);
    for service in catalog.services() {
        let list = service.actions();
        total += list.len();
        let statements = for_service(subject, &service.prefix);
        if statements.allows.is_empty() {
            continue;
        }
        let mut memo = Memo::new();
        let actions: Vec<ActionPermission> = list
            .iter()
            .filter_map(|action| {
                let action = ActionRef { service, action };
                let grants = action_grants(analysis, subject, &statements, &mut memo, &action);
                (!grants.is_empty()).then(|| ActionPermission {
                    action: action.full_name(),
                    access_level: action.action.access_level.to_string(),
                    grants,
                })
            })
            .collect();
        if actions.is_empty() {
            continue;
        }
        allowed += actions.len();
        let all = summary(&actions, list.len());
        services.push(ServicePermissions {
            service: service.prefix.clone(),
            allowed: actions.len(),
            total: list.len(),
            actions: if all.is_some() { Vec::new() } else { actions },
            all,
        });
    }
    Permissions {
        principal: subject.arn.clone(),
        everything: total > 0
            && allowed == total
            && services
                .iter()
                .all(|s| s.all.as_ref().is_some_and(|g| !g.requires_mfa)),
        allowed,
        total,
        services,
    }
}

/// Whether the subject may do every action of the catalog on `*`: `Some(requires_mfa)`.
/// Stops at the first action it may not do; one evaluation per class of actions that the
/// same statements cover.
pub(crate) fn allows_everything(subject: &Subject) -> Option<bool> {
    let ask = subject.ask();
    // Quick probes from distant services first: most principals fail one at once.
    let mut requires_mfa = false;
    for probe in [
        "iam:CreateUser",
        "ec2:RunInstances",
        "s3:GetObject",
        "kms:Decrypt",
    ] {
        requires_mfa |= ask.allowed(probe, "*", &[])?.requires_mfa;
    }
    let catalog = Catalog::get();
    let mut name = String::new();
    let mut decided: std::collections::HashMap<Vec<u64>, Option<bool>> =
        std::collections::HashMap::new();
    for service in catalog.services() {
        let statements = for_service(subject, &service.prefix);
        if statements.allows.is_empty() {
            return None;
        }
        decided.clear();
        for action in service.actions() {
            name.clear();
            name.push_str(&service.prefix);
            name.push(':');
            name.push_str(&action.name);
            let signature = statements.signature(&name);
            let mfa = match decided.get(&signature) {
                Some(known) => *known,
                None => {
                    let fresh = ask.allowed(&name, "*", &[]).map(|a| a.requires_mfa);
                    decided.insert(signature, fresh);
                    fresh
                }
            };
            requires_mfa |= mfa?;
        }
    }
    Some(requires_mfa)
}
