//! IAM policy evaluation: given the policies that apply and a request, decide `Allow`,
//! `ExplicitDeny` or `ImplicitDeny` the way AWS documents it ("Policy evaluation logic"), and
//! say which policy and statement decided.
//!
//! ```
//! use iamkit_eval::{evaluate, Decision, NamedPolicy, Policies, Request};
//!
//! let policy = serde_json::json!({
//!     "Version": "2012-10-17",
//!     "Statement": [{
//!         "Sid": "OwnHome",
//!         "Effect": "Allow",
//!         "Action": "s3:GetObject",
//!         "Resource": "arn:aws:s3:::home/${aws:username}/*"
//!     }]
//! });
//! let policies = Policies {
//!     identity: vec![NamedPolicy::from_json("home", &policy).unwrap()],
//!     ..Policies::default()
//! };
//! let me = "arn:aws:iam::111122223333:user/dev-user";
//! let mine = evaluate(&policies, &Request::new(me, "s3:GetObject", "arn:aws:s3:::home/dev-user/a"));
//! assert_eq!(mine.decision, Decision::Allow);
//! assert_eq!(mine.reasons[0].to_string(), "allowed by identity policy `home` statement `OwnHome`");
//! let theirs = evaluate(&policies, &Request::new(me, "s3:GetObject", "arn:aws:s3:::home/bob/a"));
//! assert_eq!(theirs.decision, Decision::ImplicitDeny);
//! ```
//!
//! For many requests against the same policies, compile them once with [`Engine::new`].

pub mod cases;
mod compile;
mod condition;
mod context;
mod engine;
mod index;
mod principal;

use std::fmt;

pub use context::{Context, Request, Value};
pub use iamkit_policy::{Effect, ParseErrors, Policy};

/// The outcome of evaluating a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    /// The policies allow the request and none denies it.
    Allow,
    /// A statement with `"Effect": "Deny"` matched the request.
    ExplicitDeny,
    /// Nothing denied the request, but a policy type whose Allow is needed did not allow it.
    ImplicitDeny,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        })
    }
}

/// How a reason names a statement: its `Sid`, or its index in the policy when it has none.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(untagged)]
pub enum StatementId {
    /// The statement's `Sid`.
    Sid(String),
    /// The statement's position in the policy's `Statement` list, from 0.
    Index(usize),
}

impl fmt::Display for StatementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementId::Sid(sid) => write!(f, "`{sid}`"),
            StatementId::Index(i) => write!(f, "#{i}"),
        }
    }
}

/// The kinds of policy IAM evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyType {
    /// Identity-based policies: managed and inline, of the user, its groups, or the role.
    Identity,
    /// The resource-based policy (bucket policy, role trust policy, key policy, ...).
    Resource,
    /// The permissions boundary of the user or role.
    Boundary,
    /// Organizations service control policies.
    Scp,
    /// The session policy passed when the session was created.
    Session,
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyType::Identity => "identity policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::Boundary => "permissions boundary",
            PolicyType::Scp => "service control policy",
            PolicyType::Session => "session policy",
        })
    }
}

/// Why a decision came out as it did.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// This statement allowed the request.
    Allowed {
        /// The kind of policy the statement is in.
        policy_type: PolicyType,
        /// The policy's name.
        policy: String,
        /// The statement.
        statement: StatementId,
    },
    /// This statement denied the request.
    Denied {
        /// The kind of policy the statement is in.
        policy_type: PolicyType,
        /// The policy's name.
        policy: String,
        /// The statement.
        statement: StatementId,
    },
    /// No statement of this policy type allowed the request, and an Allow from it is needed.
    NoAllow {
        /// The policy type that lacked an Allow.
        policy_type: PolicyType,
    },
    /// The account root user has full access to its own account's resources.
    RootUser,
    /// The action needs no permission and no policy can deny it (`sts:GetCallerIdentity`).
    NoPermissionRequired {
        /// The action, as the request named it.
        action: String,
    },
    /// The resource always has a resource-based policy whose Allow is required (a role's
    /// trust policy, a KMS key's key policy), and none was given: the engine cannot see that
    /// Allow, so the request is not allowed.
    ResourcePolicyNotGiven {
        /// Which policy was missing.
        required: RequiredPolicy,
    },
}

/// A resource-based policy that every resource of its kind has, and that must allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredPolicy {
    /// A role's trust policy, for `sts:AssumeRole` and the other trust actions.
    TrustPolicy,
    /// A KMS key's key policy.
    KeyPolicy,
}

impl fmt::Display for RequiredPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequiredPolicy::TrustPolicy => "role trust policy",
            RequiredPolicy::KeyPolicy => "KMS key policy",
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Allowed {
                policy_type,
                policy,
                statement,
            } => write!(
                f,
                "allowed by {policy_type} `{policy}` statement {statement}"
            ),
            Reason::Denied {
                policy_type,
                policy,
                statement,
            } => write!(
                f,
                "denied by {policy_type} `{policy}` statement {statement}"
            ),
            Reason::NoAllow {
                policy_type: PolicyType::Resource,
            } => f.write_str(
                "no resource-based policy statement allows the caller, and one must \
                 (cross-account access, a role trust policy or a key policy)",
            ),
            Reason::NoAllow { policy_type } => write!(f, "no {policy_type} statement allows it"),
            Reason::RootUser => {
                f.write_str("the account root user has full access to its own account")
            }
            Reason::NoPermissionRequired { action } => write!(
                f,
                "`{action}` needs no permission, and no policy can deny it"
            ),
            Reason::ResourcePolicyNotGiven { required } => write!(
                f,
                "no {required} was given: it must allow the caller, so without it nothing can"
            ),
        }
    }
}

/// A decision with its reasons.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Evaluation {
    /// Allow, explicit deny or implicit deny.
    pub decision: Decision,
    /// For an Allow, the statements that allowed; for an explicit deny, every statement that
    /// denied; for an implicit deny, each policy type that lacked a needed Allow.
    pub reasons: Vec<Reason>,
}

/// A policy and the name reasons call it by.
#[derive(Clone, Debug)]
pub struct NamedPolicy {
    /// How reasons name the policy, for example `develop-s3`.
    pub name: String,
    /// The validated policy.
    pub policy: Policy,
}

impl NamedPolicy {
    /// Names a policy.
    pub fn new(name: &str, policy: Policy) -> NamedPolicy {
        NamedPolicy {
            name: name.to_owned(),
            policy,
        }
    }

    /// Parses a policy document from its JSON text.
    pub fn parse(name: &str, source: &str) -> Result<NamedPolicy, ParseErrors> {
        Ok(NamedPolicy::new(name, iamkit_policy::parse(source)?))
    }

    /// Reads a policy document that is already JSON. A document without `Version` is a
    /// `2008-10-17` one: policy variables in it are literal text.
    pub fn from_json(name: &str, document: &serde_json::Value) -> Result<NamedPolicy, ParseErrors> {
        Ok(NamedPolicy::new(
            name,
            iamkit_policy::parse_value(document)?,
        ))
    }
}

/// The policies that apply to a request.
#[derive(Clone, Debug, Default)]
pub struct Policies {
    /// Identity-based policies of the principal (managed and inline, including its groups').
    pub identity: Vec<NamedPolicy>,
    /// The resource-based policy of the resource; for `sts:AssumeRole`, the role's trust
    /// policy; for a KMS key, its key policy.
    ///
    /// `None` means that no resource-based policy was given. For most resources that reads
    /// as *absent* (a bucket without a bucket policy): identity policies may then allow on
    /// their own in the same account. A role and a KMS key always have one, whose Allow is
    /// required; for them `None` means *not modelled*, and the engine never allows: the
    /// decision is an implicit deny with [`Reason::ResourcePolicyNotGiven`].
    pub resource: Option<NamedPolicy>,
    /// The principal's permissions boundary.
    pub boundary: Option<NamedPolicy>,
    /// Service control policies, all attached at one level: one Allow among them is needed.
    pub scps: Vec<NamedPolicy>,
    /// The session policy of a role or federated user session.
    pub session: Option<NamedPolicy>,
}

/// Policies compiled for evaluation: build once, evaluate many requests.
#[derive(Clone, Debug)]
pub struct Engine {
    /// Shared: cloning an engine (as case files do for cases with the same policies) does
    /// not copy what was compiled.
    compiled: std::sync::Arc<engine::Compiled>,
}

impl Engine {
    /// Compiles `policies`.
    pub fn new(policies: &Policies) -> Engine {
        use compile::Group;
        Engine {
            compiled: std::sync::Arc::new(engine::Compiled {
                identity: Group::new(policies.identity.iter()),
                resource: policies
                    .resource
                    .as_ref()
                    .map(|p| Group::new([p].into_iter())),
                boundary: Group::new(policies.boundary.iter()),
                scps: Group::new(policies.scps.iter()),
                session: Group::new(policies.session.iter()),
            }),
        }
    }

    /// Decides `request`. Never panics.
    pub fn evaluate(&self, request: &Request) -> Evaluation {
        self.compiled.evaluate(request)
    }
}

/// Decides `request` against `policies` (compiling them first; see [`Engine`] to reuse).
pub fn evaluate(policies: &Policies, request: &Request) -> Evaluation {
    Engine::new(policies).evaluate(request)
}

#[cfg(test)]
mod tests {
    use super::Decision;

    #[test]
    fn decisions_display_as_aws_names_them() {
        assert_eq!(Decision::ExplicitDeny.to_string(), "ExplicitDeny");
    }
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
