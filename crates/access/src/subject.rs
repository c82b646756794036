//! A principal compiled for questions: the identity policies IAM evaluates for it (its own,
//! its groups'), its permissions boundary, an engine over both, and the request context its
//! requests carry.
//!
//! A subject is also what a principal becomes after a change to itself that is a step of a
//! path: a user that joined one more group, or a principal one of whose managed policies has
//! another default version.

use iamkit_arn::Variable;
use iamkit_eval::{Context, Engine, Evaluation, NamedPolicy, Policies, Reason, Request};
use iamkit_policy::{Effect, Policy, ResourceMatch, Statement};
use serde::Serialize;

/// The session name used for a role's own requests.
pub(crate) const SESSION: &str = "iamkit-access";

/// A statement that decided part of an answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StatementRef {
    /// The action the statement decided.
    pub action: String,
    /// `identity`, `resource`, `boundary`, `scp` or `session`.
    pub policy_type: iamkit_eval::PolicyType,
    /// The policy's name (`manage-iam`, `inline x of user y`, `trust policy of role admin`).
    pub policy: String,
    /// The statement's `Sid`, or `#index` when it has none.
    pub statement: String,
    /// Whether the statement denied (an explicit Deny) rather than allowed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub denies: bool,
}

impl std::fmt::Display for StatementRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} by {} `{}` statement {}",
            self.action, self.policy_type, self.policy, self.statement
        )
    }
}

/// The statements named by an evaluation's reasons, for `action`.
pub(crate) fn statements(action: &str, evaluation: &Evaluation) -> Vec<StatementRef> {
    evaluation
        .reasons
        .iter()
        .filter_map(|reason| {
            let (policy_type, policy, statement, denies) = match reason {
                Reason::Allowed {
                    policy_type,
                    policy,
                    statement,
                } => (policy_type, policy, statement, false),
                Reason::Denied {
                    policy_type,
                    policy,
                    statement,
                } => (policy_type, policy, statement, true),
                _ => return None,
            };
            let statement = match statement {
                iamkit_eval::StatementId::Sid(sid) => sid.clone(),
                iamkit_eval::StatementId::Index(i) => format!("#{i}"),
            };
            Some(StatementRef {
                action: action.to_owned(),
                policy_type: *policy_type,
                policy: policy.clone(),
                statement,
                denies,
            })
        })
        .collect()
}

/// A request the engine allowed, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Allowed {
    /// Allowed only when the request carries MFA (`aws:MultiFactorAuthPresent` true).
    pub requires_mfa: bool,
    /// The statements that allowed it.
    pub statements: Vec<StatementRef>,
}

/// Whether any policy mentions an MFA condition key: otherwise one evaluation decides for
/// every MFA state.
pub(crate) fn mentions_mfa(policy: &Policy) -> bool {
    policy.statements.iter().any(|s| {
        s.conditions.iter().any(|c| {
            c.key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent")
                || c.key.eq_ignore_ascii_case("aws:MultiFactorAuthAge")
        })
    })
}

/// One question to the engine, tried in the three MFA states a caller can be in: signed with
/// long-term keys (the key is absent), a session without MFA (`false`), a session with MFA
/// (`true`, with an age). The first two need no MFA.
pub(crate) struct Ask<'a> {
    pub engine: &'a Engine,
    pub principal: &'a str,
    pub context: &'a Context,
    pub mfa_aware: bool,
    /// Whether to try the MFA state at all (false: only answers that need no MFA).
    pub with_mfa: bool,
}

impl Ask<'_> {
    /// Asks `action` on `resource` with extra context keys; `None` when no MFA state allows it.
    pub(crate) fn allowed(
        &self,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
    ) -> Option<Allowed> {
        let mut request = Request::new(self.principal, action, resource);
        request.context = self.context.clone();
        for (k, v) in extra {
            request.context.insert(k, *v);
        }
        let states: &[(Option<&str>, bool)] = match (self.mfa_aware, self.with_mfa) {
            (true, true) => &[(None, false), (Some("false"), false), (Some("true"), true)],
            (true, false) => &[(None, false), (Some("false"), false)],
            (false, _) => &[(None, false)],
        };
        for (value, mfa) in states {
            if let Some(value) = value {
                request.context.insert("aws:MultiFactorAuthPresent", *value);
                if *mfa {
                    request.context.insert("aws:MultiFactorAuthAge", "60");
                }
            }
            let evaluation = self.engine.evaluate(&request);
            if evaluation.decision == iamkit_eval::Decision::Allow {
                return Some(Allowed {
                    requires_mfa: *mfa,
                    statements: statements(action, &evaluation),
                });
            }
        }
        None
    }

    /// One evaluation without MFA (the key absent).
    pub(crate) fn evaluate(&self, action: &str, resource: &str) -> Evaluation {
        let mut request = Request::new(self.principal, action, resource);
        request.context = self.context.clone();
        self.engine.evaluate(&request)
    }
}

/// The actions the techniques ask about: each subject indexes its Allow statements for them
/// once, so that ruling out a target costs a few resource matches.
pub(crate) const TECHNIQUE_ACTIONS: [&str; 31] = [
    "sts:AssumeRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "lambda:UpdateFunctionCode",
    "lambda:CreateFunction",
    "lambda:InvokeFunction",
    "lambda:CreateEventSourceMapping",
    "ec2:RunInstances",
    "cloudformation:CreateStack",
    "glue:CreateDevEndpoint",
    "iam:CreateInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:AddUserToGroup",
    "iam:SetDefaultPolicyVersion",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
    "iam:PutGroupPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
];

/// The index of `action` in [`TECHNIQUE_ACTIONS`] (a `match`: this is in the inner loop).
fn technique_index(action: &str) -> Option<usize> {
    Some(match action {
        "sts:AssumeRole" => 0,
        "iam:UpdateAssumeRolePolicy" => 1,
        "iam:PassRole" => 2,
        "iam:CreateAccessKey" => 3,
        "iam:CreateLoginProfile" => 4,
        "iam:UpdateLoginProfile" => 5,
        "lambda:UpdateFunctionCode" => 6,
        "lambda:CreateFunction" => 7,
        "lambda:InvokeFunction" => 8,
        "lambda:CreateEventSourceMapping" => 9,
        "ec2:RunInstances" => 10,
        "cloudformation:CreateStack" => 11,
        "glue:CreateDevEndpoint" => 12,
        "iam:CreateInstanceProfile" => 13,
        "iam:AddRoleToInstanceProfile" => 14,
        "iam:AddUserToGroup" => 15,
        "iam:SetDefaultPolicyVersion" => 16,
        "iam:CreatePolicyVersion" => 17,
        "iam:DeletePolicyVersion" => 18,
        "iam:PutUserPolicy" => 19,
        "iam:AttachUserPolicy" => 20,
        "iam:PutGroupPolicy" => 21,
        "iam:AttachGroupPolicy" => 22,
        "iam:PutRolePolicy" => 23,
        "iam:AttachRolePolicy" => 24,
        "iam:PutUserPermissionsBoundary" => 25,
        "iam:DeleteUserPermissionsBoundary" => 26,
        "iam:PutRolePermissionsBoundary" => 27,
        "iam:DeleteRolePermissionsBoundary" => 28,
        "iam:CreateVirtualMFADevice" => 29,
        "iam:EnableMFADevice" => 30,
        _ => return None,
    })
}

/// Whether a subject is a user or a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    User,
    Role,
}

/// A policy a subject holds, and where it comes from.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub policy: NamedPolicy,
    /// The managed policy's ARN; `None` for an inline policy.
    pub managed: Option<String>,
}

/// Who a subject is, before its policies.
pub(crate) struct Spec {
    pub arn: String,
    pub caller: String,
    pub kind: Kind,
    pub index: usize,
    pub groups: Vec<usize>,
    pub context: Context,
}

/// A principal compiled for questions.
#[derive(Clone, Debug)]
pub(crate) struct Subject {
    /// The user's or role's ARN.
    pub arn: String,
    /// The principal its requests carry: the user's ARN, or a session of the role.
    pub caller: String,
    pub kind: Kind,
    /// Index into the account's users or roles.
    pub index: usize,
    /// Indexes of the groups it is in (users).
    pub groups: Vec<usize>,
    /// Identity policies, in the order IAM lists them.
    pub held: Vec<Held>,
    pub boundary: Option<Held>,
    /// An engine over `held` and `boundary`.
    pub engine: Engine,
    /// Context keys every request of this principal carries.
    pub context: Context,
    /// Lowercased key and value of the single-valued context keys, for policy variables.
    pub variables: Vec<(String, String)>,
    pub mfa_aware: bool,
    /// Ask only for answers that need no MFA (for a principal already admin-equivalent with
    /// MFA, whose MFA steps lead nowhere new).
    pub no_mfa: bool,
    /// For each of [`TECHNIQUE_ACTIONS`]: (policy, statement) indexes of the identity Allow
    /// statements that cover it.
    pub(crate) covering: Vec<Vec<(usize, usize)>>,
}

impl Subject {
    /// Compiles a subject from its policies.
    pub(crate) fn new(spec: Spec, held: Vec<Held>, boundary: Option<Held>) -> Subject {
        let Spec {
            arn,
            caller,
            kind,
            index,
            groups,
            context,
        } = spec;
        let policies = Policies {
            identity: held.iter().map(|h| h.policy.clone()).collect(),
            boundary: boundary.as_ref().map(|b| b.policy.clone()),
            ..Policies::default()
        };
        let mfa_aware = held
            .iter()
            .chain(boundary.as_ref())
            .any(|h| mentions_mfa(&h.policy.policy));
        let mut variables: Vec<(String, String)> = context
            .iter()
            .filter_map(|(k, v)| match v {
                iamkit_eval::Value::One(s) => Some((k.to_ascii_lowercase(), s.clone())),
                iamkit_eval::Value::Many(_) => None,
            })
            .collect();
        if kind == Kind::User
            && let Some(name) = arn.rsplit('/').next()
        {
            variables.push(("aws:username".to_owned(), name.to_owned()));
        }
        variables.push(("aws:principalarn".to_owned(), arn.clone()));
        if let Some(account) = arn.split(':').nth(4) {
            variables.push(("aws:principalaccount".to_owned(), account.to_owned()));
        }
        let principal_type = match kind {
            Kind::User => "User",
            Kind::Role => "AssumedRole",
        };
        variables.push(("aws:principaltype".to_owned(), principal_type.to_owned()));
        let covering = TECHNIQUE_ACTIONS
            .iter()
            .map(|action| {
                let mut found = Vec::new();
                for (p, h) in held.iter().enumerate() {
                    for (i, st) in h.policy.policy.statements.iter().enumerate() {
                        if st.effect == Effect::Allow && st.actions.covers(action) {
                            found.push((p, i));
                        }
                    }
                }
                found
            })
            .collect();
        Subject {
            no_mfa: false,
            covering,
            engine: Engine::new(&policies),
            arn,
            caller,
            kind,
            index,
            groups,
            held,
            boundary,
            context,
            variables,
            mfa_aware,
        }
    }

    /// An [`Ask`] over this subject's own engine.
    pub(crate) fn ask(&self) -> Ask<'_> {
        Ask {
            engine: &self.engine,
            principal: &self.caller,
            context: &self.context,
            mfa_aware: self.mfa_aware,
            with_mfa: !self.no_mfa,
        }
    }

    /// The value of context key `key` (any case) for this subject's requests.
    pub(crate) fn value(&self, key: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The value of a policy variable for this subject's requests.
    pub(crate) fn variable<'s>(&'s self, variable: &'s Variable) -> Option<&'s str> {
        self.variables
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&variable.key))
            .map(|(_, v)| v.as_str())
            .or(variable.default.as_deref())
    }

    /// The identity statements (with their effect) whose actions cover `action`.
    pub(crate) fn statements_for<'s>(
        &'s self,
        action: &'s str,
        effect: Effect,
    ) -> Box<dyn Iterator<Item = &'s Statement> + 's> {
        let indexed = technique_index(action).and_then(|i| self.covering.get(i));
        match indexed {
            Some(list) if effect == Effect::Allow => Box::new(
                list.iter()
                    .filter_map(|(p, i)| self.held.get(*p)?.policy.policy.statements.get(*i)),
            ),
            _ => Box::new(
                self.held
                    .iter()
                    .flat_map(|h| h.policy.policy.statements.iter())
                    .filter(move |s| s.effect == effect && s.actions.covers(action)),
            ),
        }
    }

    /// Whether some identity Allow statement covers one of `actions` (technique actions).
    pub(crate) fn covers_any(&self, actions: &[&str]) -> bool {
        actions
            .iter()
            .any(|a| self.statements_for(a, Effect::Allow).next().is_some())
    }

    /// A cheap necessary condition for the engine to allow `action` on `resource` from the
    /// identity side: some Allow statement covers the action and may match the resource.
    pub(crate) fn might(&self, action: &str, resource: &str) -> bool {
        if let Some(list) = technique_index(action).and_then(|i| self.covering.get(i))
            && list.is_empty()
        {
            return false;
        }
        self.statements_for(action, Effect::Allow)
            .any(|s| self.may_match(s.resources.as_ref(), resource))
    }

    /// Whether a statement's resources may match `resource`: `NotResource` and no resource
    /// element count as maybe; policy variables take this subject's values (a variable it
    /// has no value for counts as maybe).
    fn may_match(&self, resources: Option<&ResourceMatch>, resource: &str) -> bool {
        match resources {
            None | Some(ResourceMatch::NotResource(_)) => true,
            Some(ResourceMatch::Resource(patterns)) => patterns.iter().any(|p| {
                if !p.has_variables() {
                    return p.matches(resource);
                }
                if p.variables().any(|v| self.variable(v).is_none()) {
                    return true;
                }
                p.matches_with(resource, |v| self.value(&v.key))
            }),
        }
    }

    /// The identity policies that have a statement covering `action` (the only ones that can
    /// decide it), for an engine built per request kind.
    pub(crate) fn policies_for(&self, action: &str) -> Vec<NamedPolicy> {
        self.held
            .iter()
            .filter(|h| {
                h.policy
                    .policy
                    .statements
                    .iter()
                    .any(|s| s.actions.covers(action))
            })
            .map(|h| h.policy.clone())
            .collect()
    }
}
