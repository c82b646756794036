//! What the user does with its own key: who it is, what it may read, and each role of the
//! manifest that trusts the account, switched to and used.

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use iamkit_provision::Clients;
use iamkit_stack::Desired;

use super::{check, clients_as, sdk};
use crate::{
    controls,
    expectations::{Placeholders, Principal, SESSION_NAME},
    report::{Report, Status},
};

/// How long a new access key may take to be accepted (IAM is eventually consistent).
const KEY_DEADLINE: Duration = Duration::from_secs(30);

/// The user's checks, signed with its key (`me`).
pub(super) async fn run(
    clients: &Clients,
    me: &Clients,
    desired: &Desired,
    at: &Placeholders,
    user: &str,
    report: &mut Report,
) {
    if !whoami(me, at, user, report).await {
        return;
    }
    report.push(match me.iam.list_roles().send().await {
        Ok(out) => check(
            &format!("{user}-lists-roles"),
            Status::Pass,
            format!("iam:ListRoles: {} role(s)", out.roles().len()),
        ),
        Err(e) => check(
            &format!("{user}-lists-roles"),
            Status::Fail,
            format!("iam:ListRoles: {}", sdk(e)),
        ),
    });
    report.push(
        match me.iam.list_access_keys().user_name(user).send().await {
            Ok(out) => check(
                &format!("{user}-lists-own-keys"),
                Status::Pass,
                format!(
                    "iam:ListAccessKeys on itself: {} key(s)",
                    out.access_key_metadata().len()
                ),
            ),
            Err(e) => check(
                &format!("{user}-lists-own-keys"),
                Status::Fail,
                format!("iam:ListAccessKeys on itself: {}", sdk(e)),
            ),
        },
    );
    for (name, role) in &desired.roles {
        if role.trust.to_string().contains("\"AWS\"") {
            assume(clients, me, at, user, name, report).await;
        }
    }
}

/// `sts:GetCallerIdentity` with the key, retried while IAM has not yet seen the new key (until
/// a deadline). Whether it names the user.
async fn whoami(me: &Clients, at: &Placeholders, user: &str, report: &mut Report) -> bool {
    let expected = Principal::User(user.to_owned()).request_arn(at);
    let started = Instant::now();
    let identity = loop {
        match me.sts.get_caller_identity().send().await {
            Ok(out) => break Ok(out.arn().unwrap_or_default().to_owned()),
            Err(e)
                if e.as_service_error()
                    .and_then(|s| aws_sdk_sts::error::ProvideErrorMetadata::code(s))
                    == Some("InvalidClientTokenId")
                    && started.elapsed() < KEY_DEADLINE =>
            {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => break Err(sdk(e)),
        }
    };
    let name = format!("{user}-whoami");
    let (status, detail) = match identity {
        Ok(arn) if arn == expected => (Status::Pass, format!("sts:GetCallerIdentity: {arn}")),
        Ok(arn) => (
            Status::Fail,
            format!("sts:GetCallerIdentity: {arn}, not {expected}"),
        ),
        Err(e) => (Status::Fail, format!("sts:GetCallerIdentity: {e}")),
    };
    report.push(check(&name, status, detail));
    status == Status::Pass
}

/// The user switches to `role` (unless its trust needs MFA, which a key cannot give) and
/// uses the session.
async fn assume(
    caller: &Clients,
    me: &Clients,
    at: &Placeholders,
    user: &str,
    role: &str,
    report: &mut Report,
) {
    let name = format!("{user}-assumes-{role}");
    if needs_mfa(caller, role).await {
        report.push(check(
            &name,
            Status::Skipped,
            format!("role {role} requires MFA, and verify has no code to give"),
        ));
        return;
    }
    let arn = Principal::Role(role.to_owned())
        .identity_arn(at)
        .unwrap_or_default();
    let session = match session(caller, me, &arn).await {
        Ok(session) => session,
        Err(e) => {
            report.push(check(&name, Status::Fail, e));
            return;
        }
    };
    let whoami = session
        .sts
        .get_caller_identity()
        .send()
        .await
        .map(|o| o.arn().unwrap_or_default().to_owned())
        .unwrap_or_default();
    report.push(check(
        &name,
        Status::Pass,
        format!("sts:AssumeRole: now {whoami}"),
    ));
    let listed = session
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await;
    report.push(match listed {
        Ok(out) => check(
            &format!("{role}-lists-policies"),
            Status::Pass,
            format!(
                "iam:ListPolicies as {role}: {} customer managed policies",
                out.policies().len()
            ),
        ),
        Err(e) => check(
            &format!("{role}-lists-policies"),
            Status::Fail,
            format!("iam:ListPolicies as {role}: {}", sdk(e)),
        ),
    });
}

/// Whether the role's trust policy requires MFA, which a long-term key without a code cannot
/// satisfy.
async fn needs_mfa(caller: &Clients, role: &str) -> bool {
    match caller.iam.get_role().role_name(role).send().await {
        Ok(out) => out
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .and_then(iamkit_stack::document::parse_returned)
            .is_some_and(|t| controls::trust_without_mfa(&t).is_empty()),
        Err(_) => false,
    }
}

/// Clients for a session of role `arn`, assumed by `me`.
async fn session(caller: &Clients, me: &Clients, arn: &str) -> Result<Clients, String> {
    let assumed = me
        .sts
        .assume_role()
        .role_arn(arn)
        .role_session_name(SESSION_NAME)
        .send()
        .await
        .map_err(|e| format!("sts:AssumeRole {arn}: {}", sdk(e)))?;
    let credentials = assumed
        .credentials
        .ok_or("sts:AssumeRole returned no credentials")?;
    Ok(clients_as(
        caller,
        Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            None,
            "iamkit-verify-session",
        ),
    ))
}
