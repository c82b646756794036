//! The `escalation` check: principals that are not meant to be administrators but reach
//! admin-equivalence without MFA, each with its path and a fix.

use std::fmt;

use crate::analysis::Analysis;
use crate::paths::Path;
use crate::subject::StatementRef;
use crate::technique::Technique;

/// What to change so that a path needs MFA or goes away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// The path enters an intended administrator role by `sts:AssumeRole` without MFA:
    /// require MFA in that role's trust policy.
    RequireMfaOnTrust {
        /// The role's name.
        role: String,
    },
    /// Remove the permissions of the path's first step (or make them need MFA).
    Remove {
        /// The actions of the step.
        actions: Vec<String>,
        /// The statements that allow them.
        statements: Vec<StatementRef>,
    },
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fix::RequireMfaOnTrust { role } => write!(
                f,
                "require MFA in the trust policy of role {role}: `require_mfa = true` on role {role}"
            ),
            Fix::Remove {
                actions,
                statements,
            } => {
                let actions: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
                let statements: Vec<String> = statements
                    .iter()
                    .map(|s| format!("`{}` statement {}", s.policy, s.statement))
                    .collect();
                write!(
                    f,
                    "remove {} from {}, or add a condition that requires MFA",
                    actions.join(", "),
                    statements.join(", ")
                )
            }
        }
    }
}

/// A principal that reaches admin-equivalence without MFA though it is not meant to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// The principal's ARN.
    pub principal: String,
    /// A path needing no MFA (no steps when the principal's own policies are admin-equivalent).
    pub path: Path,
    /// What to change.
    pub fix: Fix,
}

/// `user dev-user`, `role admin`: the kind and name of an IAM ARN (its path left out).
pub(crate) fn label(arn: &str) -> String {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    match resource.split_once('/') {
        Some((kind, rest)) => format!("{kind} {}", rest.rsplit('/').next().unwrap_or(rest)),
        None => resource.to_owned(),
    }
}

/// One line: `user dev-user becomes admin-equivalent without MFA: user/dev-user
/// --assume-role--> role/admin (iam:PutRolePolicy on itself)`.
impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} becomes admin-equivalent without MFA: {}",
            label(&self.principal),
            self.path.chain()
        )
    }
}

impl Analysis<'_> {
    /// Every user and role not in `intended` (ARNs of the principals meant to be
    /// administrators) that reaches admin-equivalence without MFA, with a path and a fix.
    pub fn escalations(&self, intended: &[&str]) -> Vec<Escalation> {
        let report = self.paths();
        report
            .principals
            .into_iter()
            .filter(|p| p.without_mfa && !intended.contains(&p.arn.as_str()))
            .map(|p| {
                let path = p
                    .paths
                    .into_iter()
                    .find(|path| !path.requires_mfa())
                    .unwrap_or(Path {
                        steps: Vec::new(),
                        end: p.admin_proof.clone(),
                    });
                let fix = fix(&path, intended);
                Escalation {
                    principal: p.arn,
                    path,
                    fix,
                }
            })
            .collect()
    }
}

/// The fix for a path: MFA on the trust of the first intended administrator role it assumes,
/// else the removal of its first step's permissions (or of the principal's own admin route).
fn fix(path: &Path, intended: &[&str]) -> Fix {
    let entry = path
        .steps
        .iter()
        .find(|s| s.technique == Technique::AssumeRole && intended.contains(&s.to.as_str()));
    if let Some(step) = entry {
        return Fix::RequireMfaOnTrust {
            role: step.to.rsplit('/').next().unwrap_or_default().to_owned(),
        };
    }
    match path.steps.first() {
        Some(step) => Fix::Remove {
            actions: step.actions.clone(),
            statements: step.statements.clone(),
        },
        None => Fix::Remove {
            actions: path
                .end
                .as_ref()
                .map(|e| e.actions.clone())
                .unwrap_or_default(),
            statements: path
                .end
                .as_ref()
                .map(|e| e.statements.clone())
                .unwrap_or_default(),
        },
    }
}
