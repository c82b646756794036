//! The decision: AWS's "Policy evaluation logic", with reasons.

use crate::compile::{Group, Statement};
use crate::condition::{Found, Lookup};
use crate::context::{Context, Value};
use crate::index::Positions;
use crate::principal::{Caller, Grant, Kind};
use crate::{Decision, Effect, Evaluation, PolicyType, Reason, RequiredPolicy};

/// Everything a request is evaluated against, compiled once. A group without policies
/// stands for a policy type that was not given.
#[derive(Clone, Debug, Default)]
pub(crate) struct Compiled {
    pub identity: Group,
    /// `None`: no resource-based policy was given.
    pub resource: Option<Group>,
    pub boundary: Group,
    pub scps: Group,
    pub session: Group,
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

/// A statement that matched, with the policy type and group it is in.
type Hit<'p> = (PolicyType, &'p Group, &'p Statement);

fn reason(effect: Effect, (policy_type, group, statement): Hit<'_>) -> Reason {
    let (policy, statement) = (group.name(statement).to_owned(), statement.id.clone());
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

/// Whether the statement's resources and conditions match (its action already does; its
/// principal is the caller's business).
fn matches_rest(stmt: &Statement, resource: &str, env: &Env<'_>) -> bool {
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

/// What one evaluation looks at: the request's action and resource, the derived keys, and
/// scratch space for the statement index.
struct Scan<'a, 'p> {
    action: &'a str,
    resource: &'a str,
    env: &'a Env<'a>,
    positions: Positions,
    denies: Vec<Hit<'p>>,
}

impl<'p> Scan<'_, 'p> {
    /// The first Allow in the group's policies; every Deny goes to `denies`.
    fn group(&mut self, policy_type: PolicyType, group: &'p Group) -> Option<Hit<'p>> {
        if group.is_empty() {
            return None;
        }
        let mut allow = None;
        let positions = self.matching(group);
        for stmt in positions.as_slice().iter().filter_map(|at| group.at(*at)) {
            if stmt.effect == Effect::Allow && allow.is_some() {
                continue;
            }
            if matches_rest(stmt, self.resource, self.env) {
                match stmt.effect {
                    Effect::Allow => allow = Some((policy_type, group, stmt)),
                    Effect::Deny => self.denies.push((policy_type, group, stmt)),
                }
            }
        }
        self.positions = positions;
        allow
    }

    /// The group's statements whose action matches (the scratch space taken out of `self`,
    /// to be put back).
    fn matching(&mut self, group: &Group) -> Positions {
        let mut positions = std::mem::take(&mut self.positions);
        group.matching(self.action, &mut positions);
        positions
    }

    /// The resource-based policy: the strongest grant among matching Allows; every Deny
    /// goes to `denies`.
    fn resource_policy(
        &mut self,
        group: &'p Group,
        caller: &Caller<'_>,
        has_boundary: bool,
    ) -> Option<(Grant, Hit<'p>)> {
        let mut best: Option<(Grant, Hit<'p>)> = None;
        let positions = self.matching(group);
        for stmt in positions.as_slice().iter().filter_map(|at| group.at(*at)) {
            // A resource-based policy statement without a principal applies to no one.
            let Some(principals) = &stmt.principals else {
                continue;
            };
            let hit = (PolicyType::Resource, group, stmt);
            match stmt.effect {
                Effect::Deny => {
                    // "NotPrincipal with Deny will always deny any IAM principal that has a
                    // permissions boundary policy attached" (Permissions boundaries).
                    let applies = principals.denies(caller)
                        || (principals.not
                            && has_boundary
                            && caller.is_iam()
                            && caller.kind != Kind::Root);
                    if applies && matches_rest(stmt, self.resource, self.env) {
                        self.denies.push(hit);
                    }
                }
                Effect::Allow => {
                    let Some(grant) = principals.grant(caller) else {
                        continue;
                    };
                    if best.as_ref().is_some_and(|(g, _)| *g >= grant) {
                        continue;
                    }
                    if matches_rest(stmt, self.resource, self.env) {
                        best = Some((grant, hit));
                    }
                }
            }
        }
        self.positions = positions;
        best
    }
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

/// The resource-based policy whose Allow the request needs, if any: role trust policies
/// and KMS key policies "must explicitly allow access for principals" ("Policy evaluation
/// logic"); "unless the key policy explicitly allows it, you cannot use IAM policies to
/// allow access to a KMS key" (KMS Developer Guide, "Key policies").
pub(crate) fn required_policy(action: &str, resource: &str) -> Option<RequiredPolicy> {
    let service = action.split_once(':').map_or("", |(service, _)| service);
    let (sts, kms) = (
        service.eq_ignore_ascii_case("sts"),
        service.eq_ignore_ascii_case("kms"),
    );
    if !sts && !kms {
        return None;
    }
    let mut parts = resource.splitn(6, ':');
    let arn = parts.next();
    let arn_service = parts.nth(1);
    let rest = parts.nth(2).unwrap_or_default();
    match (arn, arn_service) {
        (Some("arn"), Some("iam"))
            if sts && rest.starts_with("role/") && iamkit_policy::is_trust_action(action) =>
        {
            Some(RequiredPolicy::TrustPolicy)
        }
        (Some("arn"), Some("kms")) if kms && rest.starts_with("key/") => {
            Some(RequiredPolicy::KeyPolicy)
        }
        _ => None,
    }
}

/// "No permissions are required to perform this operation. If an administrator attaches a
/// policy to your identity that explicitly denies access to the sts:GetCallerIdentity
/// action, you can still perform this operation" (STS API Reference, GetCallerIdentity).
pub(crate) fn needs_no_permission(action: &str) -> bool {
    action.eq_ignore_ascii_case("sts:GetCallerIdentity")
}

/// The first Allow of each policy type of the identity side.
struct Allows<'p> {
    identity: Option<Hit<'p>>,
    scps: Option<Hit<'p>>,
    boundary: Option<Hit<'p>>,
    session: Option<Hit<'p>>,
}

impl Compiled {
    pub(crate) fn evaluate(&self, request: &crate::Request) -> Evaluation {
        let caller = Caller::parse(&request.principal);
        let (action, resource) = (request.action.as_str(), request.resource.as_str());
        if caller.is_iam() && needs_no_permission(action) {
            return allow(vec![Reason::NoPermissionRequired {
                action: action.to_owned(),
            }]);
        }
        let env = Env {
            context: &request.context,
            caller: &caller,
            resource_account: resource_account(resource, &request.context, &caller),
        };
        let mut scan = Scan {
            action,
            resource,
            env: &env,
            positions: Positions::default(),
            denies: Vec::new(),
        };
        let rbp = match &self.resource {
            Some(group) => scan.resource_policy(group, &caller, !self.boundary.is_empty()),
            None => None,
        };
        if !caller.is_iam() {
            // Service principals, identity providers and anonymous callers: only the
            // resource-based policy speaks for them.
            return match (scan.denies.is_empty(), rbp) {
                (false, _) => deny(&scan.denies),
                (true, Some((_, hit))) => allow(vec![reason(Effect::Allow, hit)]),
                (true, None) => implicit(vec![self.no_resource_allow(action, resource)]),
            };
        }
        let allows = Allows {
            identity: scan.group(PolicyType::Identity, &self.identity),
            scps: scan.group(PolicyType::Scp, &self.scps),
            boundary: scan.group(PolicyType::Boundary, &self.boundary),
            session: scan.group(PolicyType::Session, &self.session),
        };
        if !scan.denies.is_empty() {
            return deny(&scan.denies);
        }
        self.combine(&caller, &env, action, resource, &allows, rbp)
    }

    /// No statement denied: whether the Allows add up, as "Policy evaluation logic" says.
    fn combine(
        &self,
        caller: &Caller<'_>,
        env: &Env<'_>,
        action: &str,
        resource: &str,
        allows: &Allows<'_>,
        rbp: Option<(Grant, Hit<'_>)>,
    ) -> Evaluation {
        if !self.scps.is_empty() && allows.scps.is_none() {
            return implicit(vec![Reason::NoAllow {
                policy_type: PolicyType::Scp,
            }]);
        }
        // The root user has no boundary or session policy, and full access to its account.
        let root = caller.kind == Kind::Root;
        let bound_ok = root || self.boundary.is_empty() || allows.boundary.is_some();
        let sess_ok = root || self.session.is_empty() || allows.session.is_some();
        let ident_ok = root || allows.identity.is_some();
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
            reasons.extend(rbp.map(|(_, hit)| reason(Effect::Allow, hit)));
        } else if via_chain {
            if root {
                reasons.push(Reason::RootUser);
            }
            let hits = [allows.identity, allows.boundary, allows.session];
            reasons.extend(hits.into_iter().flatten().map(|h| reason(Effect::Allow, h)));
            reasons.extend(rbp.map(|(_, hit)| reason(Effect::Allow, hit)));
        }
        if via_chain || via_resource {
            reasons.extend(allows.scps.map(|hit| reason(Effect::Allow, hit)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;

    #[test]
    fn the_account_a_resource_belongs_to() {
        let user = Caller::parse("arn:aws:iam::111122223333:user/a");
        let one = Context::new().with("aws:ResourceAccount", "444455556666");
        let listed = Context::new().with("aws:ResourceAccount", &["444455556666"][..]);
        let two = Context::new().with("aws:ResourceAccount", &["444455556666", "777788889999"][..]);
        let table: [(&str, &Context, Option<&str>); 7] = [
            // The ARN's account field first.
            (
                "arn:aws:sqs:us-east-1:777788889999:q",
                &one,
                Some("777788889999"),
            ),
            // No account in the ARN: the context key, one value or a list of one.
            ("arn:aws:s3:::bucket/key", &one, Some("444455556666")),
            ("arn:aws:s3:::bucket/key", &listed, Some("444455556666")),
            // Else the caller's own account.
            ("arn:aws:s3:::bucket/key", &two, Some("111122223333")),
            (
                "arn:aws:s3:::bucket/key",
                &Context::new(),
                Some("111122223333"),
            ),
            ("*", &Context::new(), Some("111122223333")),
            ("not-an-arn:a:b:c:d", &one, Some("444455556666")),
        ];
        for (resource, context, expected) in table {
            assert_eq!(
                resource_account(resource, context, &user),
                expected,
                "{resource}"
            );
        }
        let service = Caller::parse("lambda.amazonaws.com");
        assert_eq!(
            resource_account("arn:aws:s3:::b", &Context::new(), &service),
            None
        );
    }

    fn derived(principal: &str, key: &str) -> Option<String> {
        let request = Request::new(principal, "s3:GetObject", "arn:aws:s3:::b/k");
        let caller = Caller::parse(&request.principal);
        let env = Env {
            context: &request.context,
            caller: &caller,
            resource_account: Some("111122223333"),
        };
        env.values(key).map(|found| match found {
            Found::One(s) => s.to_owned(),
            Found::Many(v) => v.join(","),
        })
    }

    #[test]
    fn keys_derived_from_the_caller() {
        let user = "arn:aws:iam::111122223333:user/dev-user";
        let session = "arn:aws:sts::111122223333:assumed-role/admin/s";
        let lambda = "lambda.amazonaws.com";
        let table: [(&str, &str, Option<&str>); 16] = [
            (user, "aws:principalisawsservice", Some("false")),
            (session, "aws:principalisawsservice", Some("false")),
            (lambda, "aws:principalisawsservice", Some("true")),
            (
                lambda,
                "aws:principalservicename",
                Some("lambda.amazonaws.com"),
            ),
            (user, "aws:principalservicename", None),
            (user, "aws:username", Some("dev-user")),
            (session, "aws:username", None),
            (user, "aws:principalaccount", Some("111122223333")),
            (lambda, "aws:principalaccount", None),
            (
                session,
                "aws:principalarn",
                Some("arn:aws:iam::111122223333:role/admin"),
            ),
            (user, "aws:principaltype", Some("User")),
            (lambda, "aws:principaltype", None),
            (user, "aws:resourceaccount", Some("111122223333")),
            (user, "aws:sourceip", None),
            (
                "arn:aws:iam::111122223333:oidc-provider/example.com",
                "aws:principalaccount",
                None,
            ),
            (
                "arn:aws:iam::111122223333:root",
                "aws:principaltype",
                Some("Account"),
            ),
        ];
        for (principal, key, expected) in table {
            assert_eq!(
                derived(principal, key).as_deref(),
                expected,
                "{principal} {key}"
            );
        }
    }

    #[test]
    fn the_request_context_comes_before_derived_keys() {
        let request = Request::new("lambda.amazonaws.com", "s3:GetObject", "*")
            .with("aws:PrincipalIsAWSService", "false")
            .with("aws:TagKeys", &["a", "b"][..]);
        let caller = Caller::parse(&request.principal);
        let env = Env {
            context: &request.context,
            caller: &caller,
            resource_account: None,
        };
        assert!(matches!(
            env.values("aws:principalisawsservice"),
            Some(Found::One("false"))
        ));
        assert!(
            matches!(env.values("aws:tagkeys"), Some(Found::Many([a, b])) if a == "a" && b == "b")
        );
    }

    #[test]
    fn policies_that_must_allow() {
        let role = "arn:aws:iam::111122223333:role/admin";
        let key = "arn:aws:kms:us-east-1:111122223333:key/k";
        let table: [(&str, &str, Option<RequiredPolicy>); 12] = [
            ("sts:AssumeRole", role, Some(RequiredPolicy::TrustPolicy)),
            (
                "STS:assumerolewithsaml",
                role,
                Some(RequiredPolicy::TrustPolicy),
            ),
            (
                "sts:AssumeRoleWithWebIdentity",
                role,
                Some(RequiredPolicy::TrustPolicy),
            ),
            ("sts:TagSession", role, Some(RequiredPolicy::TrustPolicy)),
            (
                "sts:SetSourceIdentity",
                role,
                Some(RequiredPolicy::TrustPolicy),
            ),
            ("sts:SetContext", role, Some(RequiredPolicy::TrustPolicy)),
            ("sts:GetSessionToken", role, None),
            ("iam:PassRole", role, None),
            ("kms:Decrypt", key, Some(RequiredPolicy::KeyPolicy)),
            (
                "kms:CreateAlias",
                "arn:aws:kms:us-east-1:111122223333:alias/a",
                None,
            ),
            (
                "sts:AssumeRole",
                "arn:aws:iam::111122223333:user/admin",
                None,
            ),
            (
                "sts:AssumeRole",
                "urn:aws:iam::111122223333:role/admin",
                None,
            ),
        ];
        for (action, resource, expected) in table {
            assert_eq!(
                required_policy(action, resource),
                expected,
                "{action} {resource}"
            );
        }
        assert!(needs_no_permission("sts:getcalleridentity"));
        assert!(!needs_no_permission("sts:GetCallerIdentityX"));
    }
}
