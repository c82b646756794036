//! Checks made before the first write on a real account: who is calling, whether the session
//! is still valid, whether the caller may perform every action the plan needs, and whether the
//! person at the terminal agreed.
//!
//! AWS is strict where the emulator is forgiving: a caller that lacks one permission would
//! otherwise stop setup half-way, leaving a partly built stack. [`check_permissions`] asks
//! `iam:SimulatePrincipalPolicy` about every (action, resource) pair of the plan first.

use std::collections::BTreeMap;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

use iamkit_stack::{Identity, Missing, Permission};

use crate::{
    clients::Clients,
    error::{Error, sdk_message},
};

/// Which principal `iam:SimulatePrincipalPolicy` is asked about for a caller ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The account's root user: it may do everything, so nothing is simulated.
    Root,
    /// An IAM user, by ARN.
    User(String),
    /// A role session: the role's name (its ARN, with its path, is read with `iam:GetRole`).
    RoleSession {
        /// The role's name.
        role: String,
    },
    /// A principal that cannot be simulated (a federated user, an unknown form).
    Other(String),
}

impl Principal {
    /// Reads the caller ARN that `sts:GetCallerIdentity` returns.
    pub fn from_caller_arn(arn: &str) -> Principal {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
        if resource == "root" {
            return Principal::Root;
        }
        if resource.starts_with("user/") {
            return Principal::User(arn.to_owned());
        }
        if let Some(rest) = resource.strip_prefix("assumed-role/")
            && let Some((role, _session)) = rest.split_once('/')
        {
            return Principal::RoleSession {
                role: role.to_owned(),
            };
        }
        Principal::Other(arn.to_owned())
    }
}

/// The error a failed `sts:GetCallerIdentity` stands for: no credentials, an expired session,
/// keys AWS does not know, or anything else.
pub(crate) fn caller_error<E, R>(error: aws_sdk_iam::error::SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if crate::error::credentials_missing(&error) {
        return Error::NoCredentials {
            message: "none in the environment, the profiles or SSO".to_owned(),
        };
    }
    match error.code() {
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => {
            Error::ExpiredSession {
                message: sdk_message(&error),
            }
        }
        Some("InvalidClientTokenId" | "SignatureDoesNotMatch" | "UnrecognizedClientException") => {
            Error::InvalidCredentials {
                message: sdk_message(&error),
            }
        }
        _ => Error::aws("GetCallerIdentity", "caller", error),
    }
}

/// What [`check_permissions`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PermissionCheck {
    /// The principal simulated (`None` for the root user, which may do everything).
    pub principal: Option<String>,
    /// How many (action, resource) pairs were checked.
    pub checked: usize,
    /// Why nothing was simulated, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Asks `iam:SimulatePrincipalPolicy` whether `caller` may perform every permission in
/// `needed`. The caller's identity policies, group policies and permissions boundary count;
/// service control policies and resource policies do not (IAM's simulator leaves them out).
///
/// Returns [`Error::MissingPermissions`] listing every denied pair, or the pairs it could not
/// check because the caller may not call the simulator itself.
pub async fn check_permissions(
    clients: &Clients,
    caller: &Identity,
    needed: &[Permission],
) -> Result<PermissionCheck, Error> {
    let principal = match Principal::from_caller_arn(&caller.arn) {
        Principal::Root => {
            return Ok(PermissionCheck {
                principal: None,
                checked: 0,
                note: Some("the root user may perform every action".into()),
            });
        }
        Principal::Other(arn) => {
            return Ok(PermissionCheck {
                principal: None,
                checked: 0,
                note: Some(format!(
                    "`{arn}` cannot be simulated: permissions are checked by AWS as setup runs"
                )),
            });
        }
        Principal::User(arn) => arn,
        Principal::RoleSession { role } => role_arn(clients, caller, &role).await?,
    };
    let mut by_resource: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in needed {
        by_resource
            .entry(p.resource.as_str())
            .or_default()
            .push(p.action.as_str());
    }
    let mut missing = Vec::new();
    for (resource, actions) in by_resource {
        missing.extend(simulate(clients, &principal, resource, &actions).await?);
    }
    if missing.is_empty() {
        Ok(PermissionCheck {
            principal: Some(principal),
            checked: needed.len(),
            note: None,
        })
    } else {
        Err(Error::MissingPermissions { principal, missing })
    }
}

/// Pages of simulator results read at the most for one resource: far more than the actions of
/// any plan.
const MAX_PAGES: usize = 100;

/// The `actions` on `resource` that `principal` is not allowed, as IAM's simulator decides.
async fn simulate(
    clients: &Clients,
    principal: &str,
    resource: &str,
    actions: &[&str],
) -> Result<Vec<Missing>, Error> {
    let mut missing = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = clients
            .iam
            .simulate_principal_policy()
            .policy_source_arn(principal)
            .set_action_names(Some(actions.iter().map(|a| (*a).to_owned()).collect()))
            .resource_arns(resource)
            .set_marker(marker.clone())
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if e.code() == Some("AccessDenied") => {
                return Err(Error::MissingPermissions {
                    principal: principal.to_owned(),
                    missing: vec![Missing {
                        permission: Permission {
                            action: "iam:SimulatePrincipalPolicy".into(),
                            resource: "*".into(),
                        },
                        decision: sdk_message(&e),
                    }],
                });
            }
            Err(e) => return Err(Error::aws("SimulatePrincipalPolicy", principal, e)),
        };
        for result in out.evaluation_results() {
            let decision = result.eval_decision().as_str();
            if decision != "allowed" {
                missing.push(Missing {
                    permission: Permission {
                        action: result.eval_action_name().to_owned(),
                        resource: result.eval_resource_name().unwrap_or(resource).to_owned(),
                    },
                    decision: decision.to_owned(),
                });
            }
        }
        marker = out.marker().map(str::to_owned);
        if !out.is_truncated() || marker.is_none() {
            break;
        }
    }
    Ok(missing)
}

/// The role's ARN, with its path, for a role session; `role/NAME` when the caller may not
/// read the role.
async fn role_arn(clients: &Clients, caller: &Identity, role: &str) -> Result<String, Error> {
    match clients.iam.get_role().role_name(role).send().await {
        Ok(out) => Ok(out
            .role()
            .map(|r| r.arn().to_owned())
            .unwrap_or_else(|| fallback_role_arn(caller, role))),
        Err(e) if e.code() == Some("AccessDenied") => Ok(fallback_role_arn(caller, role)),
        Err(e) => Err(Error::aws("GetRole", role, e)),
    }
}

fn fallback_role_arn(caller: &Identity, role: &str) -> String {
    // The role's name comes from the caller's session ARN, which STS built from it.
    iamkit_arn::Arn::iam_role(&caller.partition, caller.account, "/", role)
        .map_or_else(|_| role.to_owned(), |arn| arn.as_str().to_owned())
}

/// Whether to go on with the writes: `yes` (from `--yes`) goes on; otherwise the person at the
/// terminal must answer `yes`. When standard input is not a terminal and `yes` is not set, it
/// stops: a script never agrees by accident.
pub fn confirm(
    yes: bool,
    interactive: bool,
    ask: impl FnOnce() -> std::io::Result<String>,
) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !interactive {
        return Err(Error::NotConfirmed {
            reason: "standard input is not a terminal, so nobody can confirm the plan".into(),
        });
    }
    let answer = ask().map_err(|e| Error::NotConfirmed {
        reason: format!("cannot read the answer: {e}"),
    })?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Error::NotConfirmed {
            reason: format!("the answer was `{}`, not `yes`", answer.trim()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(arn: &str, expected: Principal) {
        assert_eq!(Principal::from_caller_arn(arn), expected, "{arn}");
    }

    #[test]
    fn caller_arns_name_the_principal_to_simulate() {
        check("arn:aws:iam::123456789012:root", Principal::Root);
        check(
            "arn:aws:iam::123456789012:user/dev/alice",
            Principal::User("arn:aws:iam::123456789012:user/dev/alice".into()),
        );
        check(
            "arn:aws:sts::123456789012:assumed-role/admin/alice",
            Principal::RoleSession {
                role: "admin".into(),
            },
        );
        check(
            "arn:aws:sts::123456789012:federated-user/bob",
            Principal::Other("arn:aws:sts::123456789012:federated-user/bob".into()),
        );
    }

    #[test]
    fn confirmation_needs_yes_or_a_terminal_answer() {
        assert!(confirm(true, false, || unreachable!()).is_ok());
        let err = confirm(false, false, || unreachable!()).unwrap_err();
        assert!(err.to_string().contains("not a terminal"), "{err}");
        assert!(err.to_string().contains("--yes"), "{err}");
        assert!(confirm(false, true, || Ok("yes\n".into())).is_ok());
        let err = confirm(false, true, || Ok("y\n".into())).unwrap_err();
        assert!(err.to_string().contains("`y`"), "{err}");
    }
}
