//! The decision: AWS's "Policy evaluation logic", with reasons.

use crate::compile::{CompiledPolicy, Statement};
use crate::condition::{Found, Lookup};
use crate::context::{Context, Value};
use crate::principal::{Caller, Grant, Kind};
use crate::{Decision, Effect, Evaluation, PolicyType, Reason, RequiredPolicy};

/// Everything a request is evaluated against, compiled once.
#[derive(Clone, Debug, Default)]
pub(crate) struct Compiled {
    pub identity: Vec<CompiledPolicy>,
    pub resource: Option<CompiledPolicy>,
    pub boundary: Option<CompiledPolicy>,
    pub scps: Vec<CompiledPolicy>,
    pub session: Option<CompiledPolicy>,
}

/// The request context plus the keys IAM derives from the request.
struct Env<'a> {
    context: &'a Context,
    caller: &'a Caller<'a>,
    resource_account: Option<&'a str>,
}

impl Lookup for Env<'_> {
    fn values(&self, key: &str) -> Option<Found<'_>> {
        if let Some(value) = self.context.get_lower(key) {
            return Some(match value {
                Value::One(s) => Found::One(s),
                Value::Many(v) => Found::Many(v),
            });
        }
        let caller = self.caller;
        let derived = match key {
            "aws:principalarn" => caller.principal_arn.as_deref(),
            "aws:principalaccount" => caller.account.filter(|_| caller.is_iam()),
            "aws:principaltype" => caller.principal_type(),
            "aws:username" => caller.user_name.filter(|_| caller.kind == Kind::User),
            "aws:principalisawsservice" => Some(if caller.kind == Kind::Service {
                "true"
            } else {
                "false"
            }),
            "aws:principalservicename" => Some(caller.arn).filter(|_| caller.kind == Kind::Service),
            "aws:resourceaccount" => self.resource_account,
            _ => None,
        };
        derived.map(Found::One)
    }
}

/// A statement that matched, with the policy it is in.
type Hit<'p> = (PolicyType, &'p CompiledPolicy, &'p Statement);

fn reason(effect: Effect, (policy_type, policy, statement): Hit<'_>) -> Reason {
    let (policy, statement) = (policy.name.clone(), statement.id.clone());
    match effect {
        Effect::Allow => Reason::Allowed {
            policy_type,
            policy,
            statement,
        },
        Effect::Deny => Reason::Denied {
            policy_type,
            policy,
            statement,
        },
    }
}

/// Whether the statement's action, resource and conditions match (not its principal).
fn matches(stmt: &Statement, action: &str, resource: &str, env: &Env<'_>) -> bool {
    let action_hit = stmt.actions.iter().any(|a| a.matches(action));
    if action_hit == stmt.not_action || stmt.actions.is_empty() {
        return false;
    }
    if let Some((not, patterns)) = &stmt.resources {
        let hit = patterns
            .iter()
            .any(|p| p.matches_with(resource, |v| env.resolve(v)));
        if hit == *not {
            return false;
        }
    }
    stmt.conditions.iter().all(|c| c.holds(env))
}

/// The first Allow and every Deny in policies of one type.
struct Scan<'p> {
    allow: Option<Hit<'p>>,
}

fn scan<'p>(
    policy_type: PolicyType,
    policies: &'p [CompiledPolicy],
    action: &str,
    resource: &str,
    env: &Env<'_>,
    denies: &mut Vec<Hit<'p>>,
) -> Scan<'p> {
    let mut out = Scan { allow: None };
    for policy in policies {
        for stmt in &policy.statements {
            if stmt.effect == Effect::Allow && out.allow.is_some() {
                continue;
            }
            if matches(stmt, action, resource, env) {
                match stmt.effect {
                    Effect::Allow => out.allow = Some((policy_type, policy, stmt)),
                    Effect::Deny => denies.push((policy_type, policy, stmt)),
                }
            }
        }
    }
    out
}

/// The resource-based policy: the strongest grant among matching Allows, and every Deny.
fn scan_resource<'p>(
    policy: &'p CompiledPolicy,
    caller: &Caller<'_>,
    has_boundary: bool,
    action: &str,
    resource: &str,
    env: &Env<'_>,
    denies: &mut Vec<Hit<'p>>,
) -> Option<(Grant, Hit<'p>)> {
    let mut best: Option<(Grant, Hit<'p>)> = None;
    for stmt in &policy.statements {
        // A resource-based policy statement without a principal applies to no one.
        let Some(principals) = &stmt.principals else {
            continue;
        };
        match stmt.effect {
            Effect::Deny => {
                // "NotPrincipal with Deny will always deny any IAM principal that has a
                // permissions boundary policy attached" (Permissions boundaries).
                let applies = principals.denies(caller)
                    || (principals.not
                        && has_boundary
                        && caller.is_iam()
                        && caller.kind != Kind::Root);
                if applies && matches(stmt, action, resource, env) {
                    denies.push((PolicyType::Resource, policy, stmt));
                }
            }
            Effect::Allow => {
                let Some(grant) = principals.grant(caller) else {
                    continue;
                };
                if best.as_ref().is_some_and(|(g, _)| *g >= grant) {
                    continue;
                }
                if matches(stmt, action, resource, env) {
                    best = Some((grant, (PolicyType::Resource, policy, stmt)));
                }
            }
        }
    }
    best
}

/// The account a resource belongs to: the ARN's account field, else `aws:ResourceAccount`,
/// else the caller's account.
fn resource_account<'a>(
    resource: &'a str,
    context: &'a Context,
    caller: &Caller<'a>,
) -> Option<&'a str> {
    let from_arn = resource
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(3))
        .filter(|a| !a.is_empty());
    from_arn
        .or_else(|| match context.get_lower("aws:resourceaccount") {
            Some(Value::One(a)) => Some(a.as_str()),
            Some(Value::Many(v)) if v.len() == 1 => v.first().map(String::as_str),
            _ => None,
        })
        .or(caller.account)
}

/// The actions a role's trust policy governs: its Allow is required for them ("Policy
/// evaluation logic"; "sts:TagSession", "sts:SetSourceIdentity" and "sts:SetContext" are
/// allowed in the trust policy too).
const TRUST_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// The resource-based policy whose Allow the request needs, if any: role trust policies
/// and KMS key policies "must explicitly allow access for principals" ("Policy evaluation
/// logic"); "unless the key policy explicitly allows it, you cannot use IAM policies to
/// allow access to a KMS key" (KMS Developer Guide, "Key policies").
pub(crate) fn required_policy(action: &str, resource: &str) -> Option<RequiredPolicy> {
    let mut parts = resource.splitn(6, ':');
    let arn = parts.next();
    let service = parts.nth(1);
    let rest = parts.nth(2).unwrap_or_default();
    match (arn, service) {
        (Some("arn"), Some("iam"))
            if rest.starts_with("role/")
                && TRUST_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action)) =>
        {
            Some(RequiredPolicy::TrustPolicy)
        }
        (Some("arn"), Some("kms")) if rest.starts_with("key/") => Some(RequiredPolicy::KeyPolicy),
        _ => None,
    }
}

/// "No permissions are required to perform this operation. If an administrator attaches a
/// policy to your identity that explicitly denies access to the sts:GetCallerIdentity
/// action, you can still perform this operation" (STS API Reference, GetCallerIdentity).
pub(crate) fn needs_no_permission(action: &str) -> bool {
    action.eq_ignore_ascii_case("sts:GetCallerIdentity")
}

impl Compiled {
    pub(crate) fn evaluate(&self, request: &crate::Request) -> Evaluation {
        let caller = Caller::parse(&request.principal);
        let env = Env {
            context: &request.context,
            caller: &caller,
            resource_account: resource_account(&request.resource, &request.context, &caller),
        };
        let (action, resource) = (request.action.as_str(), request.resource.as_str());
        let mut denies: Vec<Hit<'_>> = Vec::new();
        let iam = caller.is_iam();
        if iam && needs_no_permission(action) {
            return allow(vec![Reason::NoPermissionRequired {
                action: action.to_owned(),
            }]);
        }
        let root = caller.kind == Kind::Root;

        let rbp = self.resource.as_ref().and_then(|policy| {
            scan_resource(
                policy,
                &caller,
                self.boundary.is_some(),
                action,
                resource,
                &env,
                &mut denies,
            )
        });
        if !iam {
            // Service principals, identity providers and anonymous callers: only the
            // resource-based policy speaks for them.
            return match (denies.is_empty(), rbp) {
                (false, _) => deny(&denies),
                (true, Some((_, hit))) => allow(vec![reason(Effect::Allow, hit)]),
                (true, None) => implicit(vec![self.no_resource_allow(action, resource)]),
            };
        }

        let identity = scan(
            PolicyType::Identity,
            &self.identity,
            action,
            resource,
            &env,
            &mut denies,
        );
        let scps = scan(
            PolicyType::Scp,
            &self.scps,
            action,
            resource,
            &env,
            &mut denies,
        );
        let boundary = scan(
            PolicyType::Boundary,
            self.boundary.as_slice(),
            action,
            resource,
            &env,
            &mut denies,
        );
        let session = scan(
            PolicyType::Session,
            self.session.as_slice(),
            action,
            resource,
            &env,
            &mut denies,
        );
        if !denies.is_empty() {
            return deny(&denies);
        }

        let scp_ok = self.scps.is_empty() || scps.allow.is_some();
        if !scp_ok {
            return implicit(vec![Reason::NoAllow {
                policy_type: PolicyType::Scp,
            }]);
        }
        // The root user has no boundary or session policy, and full access to its account.
        let bound_ok = root || self.boundary.is_none() || boundary.allow.is_some();
        let sess_ok = root || self.session.is_none() || session.allow.is_some();
        let ident_ok = root || identity.allow.is_some();
        let chain = ident_ok && bound_ok && sess_ok;
        let same_account = env.resource_account.is_some() && env.resource_account == caller.account;
        let must = required_policy(action, resource).is_some();
        let grant = rbp.as_ref().map(|(g, _)| *g);

        let via_chain = chain && (same_account && !must || grant.is_some());
        let via_resource = same_account
            && match grant {
                Some(Grant::Direct) => true,
                Some(Grant::Role) => bound_ok && sess_ok,
                _ => false,
            };

        let mut reasons = Vec::new();
        if via_resource && !via_chain {
            if let Some((_, hit)) = rbp {
                reasons.push(reason(Effect::Allow, hit));
            }
        } else if via_chain {
            if root {
                reasons.push(Reason::RootUser);
            }
            for hit in [identity.allow, boundary.allow, session.allow]
                .into_iter()
                .flatten()
            {
                reasons.push(reason(Effect::Allow, hit));
            }
            if let Some((_, hit)) = rbp {
                reasons.push(reason(Effect::Allow, hit));
            }
        }
        if via_chain || via_resource {
            if let Some(hit) = scps.allow {
                reasons.push(reason(Effect::Allow, hit));
            }
            return allow(reasons);
        }

        let missing = [
            (!ident_ok, PolicyType::Identity),
            (!bound_ok, PolicyType::Boundary),
            (!sess_ok, PolicyType::Session),
        ];
        for (lacking, policy_type) in missing {
            if lacking {
                reasons.push(Reason::NoAllow { policy_type });
            }
        }
        if (!same_account || must) && grant.is_none() {
            reasons.push(self.no_resource_allow(action, resource));
        }
        if reasons.is_empty() {
            // Only an account-level grant where the identity chain was needed.
            reasons.push(Reason::NoAllow {
                policy_type: PolicyType::Identity,
            });
        }
        implicit(reasons)
    }
}

impl Compiled {
    /// Why no resource-based policy allowed: none of its statements did, or a policy that
    /// must allow was not given at all.
    fn no_resource_allow(&self, action: &str, resource: &str) -> Reason {
        match (&self.resource, required_policy(action, resource)) {
            (None, Some(required)) => Reason::ResourcePolicyNotGiven { required },
            _ => Reason::NoAllow {
                policy_type: PolicyType::Resource,
            },
        }
    }
}

fn deny(denies: &[Hit<'_>]) -> Evaluation {
    Evaluation {
        decision: Decision::ExplicitDeny,
        reasons: denies
            .iter()
            .map(|hit| reason(Effect::Deny, *hit))
            .collect(),
    }
}

fn allow(reasons: Vec<Reason>) -> Evaluation {
    Evaluation {
        decision: Decision::Allow,
        reasons,
    }
}

fn implicit(reasons: Vec<Reason>) -> Evaluation {
    Evaluation {
        decision: Decision::ImplicitDeny,
        reasons,
    }
}
