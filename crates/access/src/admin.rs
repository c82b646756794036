//! Admin-equivalence, as issue 19 defines it: a principal whose effective permissions allow
//! `*` on `*`, or that can give itself any policy in one call: put or attach a policy on its
//! own user or role or on a group it is in, or create a new default version of a
//! customer-managed policy it holds. A permissions boundary that does not allow everything,
//! and that the principal cannot change, rules the one-call routes out (a new policy would
//! still be cut down by the boundary).
//!
//! The same list of one-call changes serves the steps "change another principal's
//! permissions, then act as it" (pathfinding.cloud iam-014 to iam-021).

use serde::Serialize;

use crate::analysis::Analysis;
use crate::effective::allows_everything;
use crate::subject::{Allowed, Kind, Spec, StatementRef, Subject};
use crate::technique::Technique;

/// Why a principal is admin-equivalent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdminProof {
    /// In words: `allows every action on every resource`, or the change it can make to
    /// itself, such as `iam:AttachRolePolicy on itself`.
    pub how: String,
    /// The actions that make it so.
    pub actions: Vec<String>,
    /// The statements that allow them.
    pub statements: Vec<StatementRef>,
    /// Whether those requests need MFA.
    pub requires_mfa: bool,
}

/// One call that gives a principal (the target) any permission.
#[derive(Clone, Debug)]
pub(crate) struct Modification {
    pub technique: Technique,
    /// The requests it takes: (action, resource); all must be allowed.
    pub requests: Vec<(&'static str, String)>,
    /// How text names it: `on itself`, `on group developer`, `a new version of policy p`.
    pub what: String,
}

/// The AWS-managed policy that allows everything, present in every account.
pub(crate) fn administrator_access(partition: &iamkit_arn::Partition) -> String {
    iamkit_arn::Arn::new(partition, "iam", "", "aws", "policy/AdministratorAccess")
        .map(|a| a.to_string())
        .unwrap_or_default()
}

impl Analysis<'_> {
    /// Every one-call change that gives `target` any policy.
    pub(crate) fn modifications(&self, target: &Subject) -> Vec<Modification> {
        let mut out = Vec::new();
        let own = |technique, action: &'static str| Modification {
            technique,
            requests: vec![(action, target.arn.clone())],
            what: "on itself".to_owned(),
        };
        match target.kind {
            Kind::User => {
                out.push(own(Technique::PutUserPolicy, "iam:PutUserPolicy"));
                out.push(own(Technique::AttachUserPolicy, "iam:AttachUserPolicy"));
                for g in &target.groups {
                    let Some(group) = self.account.groups.get(*g) else {
                        continue;
                    };
                    for (technique, action) in [
                        (Technique::PutGroupPolicy, "iam:PutGroupPolicy"),
                        (Technique::AttachGroupPolicy, "iam:AttachGroupPolicy"),
                    ] {
                        out.push(Modification {
                            technique,
                            requests: vec![(action, group.arn.to_string())],
                            what: format!("on its group {}", group.name),
                        });
                    }
                }
            }
            Kind::Role => {
                out.push(own(Technique::PutRolePolicy, "iam:PutRolePolicy"));
                out.push(own(Technique::AttachRolePolicy, "iam:AttachRolePolicy"));
            }
        }
        for arn in target.held.iter().filter_map(|h| h.managed.as_deref()) {
            if let Some(m) = self.new_version(arn) {
                out.push(m);
            }
        }
        out
    }

    /// `iam:CreatePolicyVersion` of customer-managed policy `arn` (and
    /// `iam:DeletePolicyVersion` when it already has the five versions IAM allows).
    fn new_version(&self, arn: &str) -> Option<Modification> {
        let policy = self.policy(arn)?;
        if policy.is_aws_managed() {
            return None;
        }
        let mut requests = vec![("iam:CreatePolicyVersion", arn.to_owned())];
        if policy.versions.len() >= 5 {
            requests.push(("iam:DeletePolicyVersion", arn.to_owned()));
        }
        Some(Modification {
            technique: Technique::CreatePolicyVersion,
            requests,
            what: format!("a new default version of policy {}", policy.name),
        })
    }

    /// Whether `actor` may make every request of `m`.
    pub(crate) fn allows(&self, actor: &Subject, m: &Modification) -> Option<Allowed> {
        let admin = administrator_access(&self.account.partition);
        let mut all = Allowed {
            requires_mfa: false,
            statements: Vec::new(),
        };
        for (action, resource) in &m.requests {
            if !actor.might(action, resource) {
                return None;
            }
            let extra: &[(&str, &str)] = if action.starts_with("iam:Attach") {
                &[("iam:PolicyARN", &admin)]
            } else {
                &[]
            };
            let allowed = actor.ask().allowed(action, resource, extra)?;
            all.requires_mfa |= allowed.requires_mfa;
            all.statements.extend(allowed.statements);
        }
        Some(all)
    }

    /// Whether a new policy on `target` would take full effect: it has no boundary, or a
    /// boundary that allows everything, or `actor` can change or remove that boundary.
    pub(crate) fn boundary_open(&self, actor: &Subject, target: &Subject) -> Option<Allowed> {
        let open = Allowed {
            requires_mfa: false,
            statements: Vec::new(),
        };
        let Some(boundary) = &target.boundary else {
            return Some(open);
        };
        if self.boundary_allows_everything(target) {
            return Some(open);
        }
        let (put, delete) = match target.kind {
            Kind::User => (
                "iam:PutUserPermissionsBoundary",
                "iam:DeleteUserPermissionsBoundary",
            ),
            Kind::Role => (
                "iam:PutRolePermissionsBoundary",
                "iam:DeleteRolePermissionsBoundary",
            ),
        };
        let admin = administrator_access(&self.account.partition);
        let ask = actor.ask();
        ask.allowed(put, &target.arn, &[("iam:PermissionsBoundary", &admin)])
            .or_else(|| ask.allowed(delete, &target.arn, &[]))
            .or_else(|| {
                let m = self.new_version(boundary.managed.as_deref()?)?;
                self.allows(actor, &m)
            })
    }

    /// Whether the target's boundary policy alone allows every action on `*`.
    fn boundary_allows_everything(&self, target: &Subject) -> bool {
        let Some(boundary) = &target.boundary else {
            return true;
        };
        let alone = Subject::new(
            Spec {
                arn: target.arn.clone(),
                caller: target.caller.clone(),
                kind: target.kind,
                index: target.index,
                groups: Vec::new(),
                context: target.context.clone(),
            },
            vec![boundary.clone()],
            None,
        );
        allows_everything(&alone).is_some()
    }

    /// Why `subject` is admin-equivalent, if it is. A route without MFA is preferred.
    pub(crate) fn admin_proof(&self, subject: &Subject) -> Option<AdminProof> {
        let mut best: Option<AdminProof> = None;
        for m in self.modifications(subject) {
            let Some(mut allowed) = self.allows(subject, &m) else {
                continue;
            };
            let Some(open) = self.boundary_open(subject, subject) else {
                continue;
            };
            allowed.requires_mfa |= open.requires_mfa;
            allowed.statements.extend(open.statements);
            let mut actions: Vec<String> = Vec::new();
            let named = m.requests.iter().map(|(a, _)| (*a).to_owned());
            for action in named.chain(allowed.statements.iter().map(|s| s.action.clone())) {
                if !actions.contains(&action) {
                    actions.push(action);
                }
            }
            let proof = AdminProof {
                how: format!("{} {}", m.requests.first().map_or("", |(a, _)| a), m.what),
                actions,
                statements: allowed.statements,
                requires_mfa: allowed.requires_mfa,
            };
            if !proof.requires_mfa {
                return Some(proof);
            }
            best.get_or_insert(proof);
        }
        // No one-call route without MFA: does it simply allow everything?
        if let Some(requires_mfa) = allows_everything(subject)
            && (!requires_mfa || best.is_none())
        {
            let statements = subject
                .ask()
                .allowed("iam:CreateUser", "*", &[])
                .map(|a| a.statements)
                .unwrap_or_default();
            return Some(AdminProof {
                how: "allows every action on every resource".to_owned(),
                actions: vec!["*".to_owned()],
                statements,
                requires_mfa,
            });
        }
        best
    }

    /// Whether the user can enrol an MFA device for itself without MFA (as AWS's
    /// self-manage-MFA example policy allows): a takeover of its credentials can then add MFA.
    pub(crate) fn can_enroll_mfa(&self, subject: &Subject) -> bool {
        if subject.kind != Kind::User {
            return false;
        }
        let name = subject.arn.rsplit('/').next().unwrap_or_default();
        let Ok(device) =
            iamkit_arn::Arn::mfa_device(&self.account.partition, self.account.id, "/", name)
        else {
            return false;
        };
        let device = device.to_string();
        let ask = subject.ask();
        let ok = |action: &str, resource: &str| {
            subject.might(action, resource)
                && ask
                    .allowed(action, resource, &[])
                    .is_some_and(|a| !a.requires_mfa)
        };
        ok("iam:CreateVirtualMFADevice", &device) && ok("iam:EnableMFADevice", &subject.arn)
    }
}
