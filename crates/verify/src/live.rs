//! Live checks, made with the principals' own credentials.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use aws_credential_types::{Credentials, provider::SharedCredentialsProvider};
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum};
use aws_smithy_types::error::display::DisplayErrorContext;
use iamkit_eval::Decision;

use iamkit_provision::{Clients, from_config};
use iamkit_stack::Desired;

use iamkit_provision::Runner;

use crate::{
    VerifyOptions, controls,
    expectations::{Expectation, Judged, Placeholders, Principal, SESSION_NAME},
    report::{Check, Group, Report, Status},
};

/// What the function writes, and what must be read back.
pub const GREETING: &str = "Hello, World!";

/// The value of the user tag that marks an access key as verify's own: the tag's key is the
/// access key id, as the AWS console stores an access key's description.
pub const KEY_MARK: &str = "iamkit verify: temporary, deleted when verify ends";

/// How long a new access key may take to be accepted (IAM is eventually consistent).
const KEY_DEADLINE: Duration = Duration::from_secs(30);

fn check(name: &str, status: Status, detail: impl Into<String>) -> Check {
    Check::new(Group::Live, name, status, detail)
}

fn sdk<E: std::error::Error>(e: E) -> String {
    DisplayErrorContext(e).to_string()
}

/// Clients that sign with `credentials`, to the same target.
fn clients_as(clients: &Clients, credentials: Credentials) -> Clients {
    let config = clients
        .config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build();
    from_config(clients.target.clone(), config)
}

pub(super) async fn run(
    clients: &Clients,
    desired: &Desired,
    at: &Placeholders,
    options: &VerifyOptions,
    judged: &BTreeMap<String, Judged>,
    report: &mut Report,
) {
    if clients.target.is_aws() {
        simulate(clients, at, &options.expectations, judged, report).await;
    } else {
        report.push(check(
            "aws-simulator",
            Status::Skipped,
            "known emulator limit: it does not implement iam:SimulatePrincipalPolicy; \
             with --aws, each deny expectation is also asked of AWS",
        ));
    }
    let Some(user) = desired.users.keys().next() else {
        report.push(check(
            "user-key",
            Status::Skipped,
            "the manifest has no user",
        ));
        return;
    };
    if let Err(e) = delete_stray_keys(clients, user).await {
        report.push(check("user-key", Status::Fail, e));
        return;
    }
    let key = match clients.iam.create_access_key().user_name(user).send().await {
        Ok(out) => out.access_key,
        Err(e) => {
            report.push(check(
                "user-key",
                Status::Fail,
                format!(
                    "cannot create a temporary access key for {user}: {}",
                    sdk(e)
                ),
            ));
            return;
        }
    };
    let Some(key) = key else {
        report.push(check(
            "user-key",
            Status::Fail,
            "CreateAccessKey returned no key",
        ));
        return;
    };
    let id = key.access_key_id().to_owned();
    let marked = match aws_sdk_iam::types::Tag::builder()
        .key(&id)
        .value(KEY_MARK)
        .build()
    {
        Ok(tag) => clients
            .iam
            .tag_user()
            .user_name(user)
            .tags(tag)
            .send()
            .await
            .map_err(sdk),
        Err(e) => Err(sdk(e)),
    };
    report.push(match marked {
        Ok(_) => check(
            "user-key",
            Status::Pass,
            format!("temporary access key {id} created for {user} (tagged as verify's)"),
        ),
        Err(e) => check(
            "user-key",
            Status::Warn,
            format!("temporary access key {id} created, but not tagged: {e}"),
        ),
    });
    let credentials = Credentials::new(
        &id,
        key.secret_access_key(),
        None,
        None,
        "iamkit-verify-temporary-key",
    );
    drop(key);
    as_user(clients, desired, at, options, user, credentials, report).await;
    // Always, whatever happened above.
    let deleted = clients
        .iam
        .delete_access_key()
        .user_name(user)
        .access_key_id(&id)
        .send()
        .await;
    let _ = clients
        .iam
        .untag_user()
        .user_name(user)
        .tag_keys(&id)
        .send()
        .await;
    report.push(match deleted {
        Ok(_) => check(
            "user-key-deleted",
            Status::Pass,
            format!("temporary access key {id} deleted"),
        ),
        Err(e) => check(
            "user-key-deleted",
            Status::Fail,
            format!("temporary access key {id} NOT deleted: {}", sdk(e)),
        )
        .help(format!(
            "aws iam delete-access-key --user-name {user} --access-key-id {id}"
        )),
    });
}

/// Deletes access keys a verify run left behind (interrupted before its cleanup).
async fn delete_stray_keys(clients: &Clients, user: &str) -> Result<(), String> {
    let tags = clients
        .iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .map_err(|e| format!("cannot read {user}'s tags: {}", sdk(e)))?;
    let keys = clients
        .iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| format!("cannot list {user}'s access keys: {}", sdk(e)))?;
    for tag in tags.tags().iter().filter(|t| t.value() == KEY_MARK) {
        let id = tag.key();
        if keys
            .access_key_metadata()
            .iter()
            .any(|k| k.access_key_id() == Some(id))
        {
            clients
                .iam
                .delete_access_key()
                .user_name(user)
                .access_key_id(id)
                .send()
                .await
                .map_err(|e| format!("cannot delete the stray key {id}: {}", sdk(e)))?;
        }
        clients
            .iam
            .untag_user()
            .user_name(user)
            .tag_keys(id)
            .send()
            .await
            .map_err(|e| format!("cannot untag {user}: {}", sdk(e)))?;
    }
    Ok(())
}

async fn as_user(
    clients: &Clients,
    desired: &Desired,
    at: &Placeholders,
    options: &VerifyOptions,
    user: &str,
    credentials: Credentials,
    report: &mut Report,
) {
    let me = clients_as(clients, credentials);
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
    match identity {
        Ok(arn) if arn == expected => report.push(check(
            &format!("{user}-whoami"),
            Status::Pass,
            format!("sts:GetCallerIdentity: {arn}"),
        )),
        Ok(arn) => {
            report.push(check(
                &format!("{user}-whoami"),
                Status::Fail,
                format!("sts:GetCallerIdentity: {arn}, not {expected}"),
            ));
            return;
        }
        Err(e) => {
            report.push(check(
                &format!("{user}-whoami"),
                Status::Fail,
                format!("sts:GetCallerIdentity: {e}"),
            ));
            return;
        }
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
        let trusts_iam = role.trust.to_string().contains("\"AWS\"");
        if !trusts_iam {
            continue;
        }
        assume(clients, &me, at, user, name, report).await;
    }
    for name in desired.functions.keys() {
        function(clients, desired, &me, options, user, name, report).await;
    }
}

async fn assume(
    caller: &Clients,
    me: &Clients,
    at: &Placeholders,
    user: &str,
    role: &str,
    report: &mut Report,
) {
    let name = format!("{user}-assumes-{role}");
    let arn = Principal::Role(role.to_owned())
        .identity_arn(at)
        .unwrap_or_default();
    // A trust policy that requires MFA cannot be satisfied by a long-term key without a code.
    let needs_mfa = match caller.iam.get_role().role_name(role).send().await {
        Ok(out) => out
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .and_then(iamkit_stack::document::parse_returned)
            .is_some_and(|t| controls::trust_without_mfa(&t).is_empty()),
        Err(_) => false,
    };
    if needs_mfa {
        report.push(check(
            &name,
            Status::Skipped,
            format!("role {role} requires MFA, and verify has no code to give"),
        ));
        return;
    }
    let assumed = me
        .sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name(SESSION_NAME)
        .send()
        .await;
    let credentials = match assumed {
        Ok(out) => out.credentials,
        Err(e) => {
            report.push(check(
                &name,
                Status::Fail,
                format!("sts:AssumeRole {arn}: {}", sdk(e)),
            ));
            return;
        }
    };
    let Some(credentials) = credentials else {
        report.push(check(
            &name,
            Status::Fail,
            "sts:AssumeRole returned no credentials",
        ));
        return;
    };
    let session = clients_as(
        caller,
        Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            None,
            "iamkit-verify-session",
        ),
    );
    drop(credentials);
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
    report.push(
        match session
            .iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
        {
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
        },
    );
}

/// Reads the object as the user: `None` when it does not exist.
async fn read_object(me: &Clients, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
    match me.s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out
            .body
            .collect()
            .await
            .map(|b| Some(b.into_bytes().to_vec()))
            .map_err(sdk),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(sdk(e)),
    }
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        format!("`{short}...` ({} bytes)", bytes.len())
    } else {
        format!("`{short}`")
    }
}

async fn function(
    caller: &Clients,
    desired: &Desired,
    me: &Clients,
    options: &VerifyOptions,
    user: &str,
    name: &str,
    report: &mut Report,
) {
    let Some(bucket) = desired.bucket.as_ref().map(|b| b.name.as_str()) else {
        return;
    };
    let key = options.object.as_str();
    let object = format!("s3://{bucket}/{key}");
    // The object the last run left: whoever wrote it since was not the function.
    report.push(match read_object(me, bucket, key).await {
        Ok(None) => check(
            "object-unchanged",
            Status::Skipped,
            format!("{object} does not exist yet: the function writes it below"),
        ),
        Ok(Some(bytes)) if bytes == GREETING.as_bytes() => check(
            "object-unchanged",
            Status::Pass,
            format!("{object} holds `{GREETING}`, as the function left it"),
        ),
        Ok(Some(bytes)) => check(
            "object-unchanged",
            Status::Fail,
            format!(
                "{object} holds {}, not `{GREETING}`: it was changed outside the function",
                shown(&bytes)
            ),
        )
        .help("find out who wrote it (CloudTrail data events, S3 server access logs)"),
        Err(e) => check(
            "object-unchanged",
            Status::Fail,
            format!("s3:GetObject {object} as {user}: {e}"),
        ),
    });
    let event = serde_json::json!({"bucketName": bucket, "objectName": key}).to_string();
    // On AWS the function is invoked as the user (the article's check); locally, the
    // provisioner's credentials read its configuration and assume its role, as Lambda does.
    let signer = match options.runner {
        Runner::Lambda => me,
        Runner::Local { .. } => caller,
    };
    let invoked = iamkit_provision::invoke(signer, name, &event, &options.runner).await;
    let invoke_name = format!("{name}-invoke");
    match invoked {
        Ok(answer) => report.push(check(
            &invoke_name,
            Status::Pass,
            format!("{}: {}", answer.how, answer.body),
        )),
        Err(e) => {
            report.push(check(&invoke_name, Status::Fail, e));
            return;
        }
    }
    report.push(match read_object(me, bucket, key).await {
        Ok(Some(bytes)) if bytes == GREETING.as_bytes() => check(
            &format!("{name}-wrote-object"),
            Status::Pass,
            format!("{object} read back as {user}: `{GREETING}`"),
        ),
        Ok(Some(bytes)) => check(
            &format!("{name}-wrote-object"),
            Status::Fail,
            format!("{object} holds {}, not `{GREETING}`", shown(&bytes)),
        ),
        Ok(None) => check(
            &format!("{name}-wrote-object"),
            Status::Fail,
            format!("{object} does not exist after the function answered"),
        ),
        Err(e) => check(
            &format!("{name}-wrote-object"),
            Status::Fail,
            format!("s3:GetObject {object} as {user}: {e}"),
        ),
    });
}

/// AWS's simulator decision (`allowed`, `explicitDeny`, `implicitDeny`) as ours.
pub fn aws_decision(text: &str) -> Option<Decision> {
    match text {
        "allowed" => Some(Decision::Allow),
        "explicitDeny" => Some(Decision::ExplicitDeny),
        "implicitDeny" => Some(Decision::ImplicitDeny),
        _ => None,
    }
}

/// The simulator's context entry for a key: `boolean` for true/false, else `string`(`List`).
fn context_entry(key: &str, values: &[String]) -> ContextEntry {
    let boolean = values.iter().all(|v| v == "true" || v == "false");
    let kind = match (boolean, values.len()) {
        (true, 1) => ContextKeyTypeEnum::Boolean,
        (true, _) => ContextKeyTypeEnum::BooleanList,
        (false, 1) => ContextKeyTypeEnum::String,
        (false, _) => ContextKeyTypeEnum::StringList,
    };
    ContextEntry::builder()
        .context_key_name(key)
        .set_context_key_values(Some(values.to_vec()))
        .context_key_type(kind)
        .build()
}

/// One deny expectation against AWS's simulator, and against our engine's decision.
fn compare(expectation: &Expectation, ours: Option<&Judged>, aws: Decision) -> Check {
    let name = format!("aws-agrees:{}", expectation.name);
    match ours {
        Some(ours) if ours.decision != aws => check(
            &name,
            Status::Fail,
            format!(
                "DISAGREEMENT: AWS's simulator says {aws}, iamkit-eval says {} ({})",
                ours.decision, ours.why
            ),
        )
        .help("report it: one of the two engines is wrong for this request"),
        _ if aws != expectation.decision => check(
            &name,
            Status::Fail,
            format!(
                "AWS's simulator says {aws}, expected {}",
                expectation.decision
            ),
        ),
        _ => check(
            &name,
            Status::Pass,
            format!("AWS's simulator also says {aws}"),
        ),
    }
}

async fn simulate(
    clients: &Clients,
    at: &Placeholders,
    expectations: &[Expectation],
    judged: &BTreeMap<String, Judged>,
    report: &mut Report,
) {
    for expectation in expectations
        .iter()
        .filter(|e| e.decision != Decision::Allow)
    {
        let Some(source) = Principal::parse(&expectation.principal).identity_arn(at) else {
            continue;
        };
        let mut call = clients
            .iam
            .simulate_principal_policy()
            .policy_source_arn(&source)
            .action_names(&expectation.action)
            .resource_arns(at.fill(&expectation.resource));
        for (key, values) in &expectation.context {
            call = call.context_entries(context_entry(key, values));
        }
        let result = match call.send().await {
            Ok(out) => out
                .evaluation_results()
                .first()
                .and_then(|r| aws_decision(r.eval_decision().as_str())),
            Err(e) => {
                report.push(check(
                    &format!("aws-agrees:{}", expectation.name),
                    Status::Fail,
                    format!("iam:SimulatePrincipalPolicy: {}", sdk(e)),
                ));
                continue;
            }
        };
        match result {
            Some(aws) => report.push(compare(expectation, judged.get(&expectation.name), aws)),
            None => report.push(check(
                &format!("aws-agrees:{}", expectation.name),
                Status::Fail,
                "iam:SimulatePrincipalPolicy returned no decision",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectation(decision: Decision) -> Expectation {
        Expectation {
            name: "dev-user-cannot-create-users".into(),
            article: String::new(),
            principal: "user/dev-user".into(),
            action: "iam:CreateUser".into(),
            resource: "arn:aws:iam::<account-id>:user/x".into(),
            context: BTreeMap::new(),
            decision,
        }
    }

    fn ours(decision: Decision) -> Judged {
        Judged {
            decision,
            why: "no identity policy statement allows it".into(),
        }
    }

    #[test]
    fn simulator_decisions_map_to_ours() {
        assert_eq!(aws_decision("allowed"), Some(Decision::Allow));
        assert_eq!(aws_decision("explicitDeny"), Some(Decision::ExplicitDeny));
        assert_eq!(aws_decision("implicitDeny"), Some(Decision::ImplicitDeny));
        assert_eq!(aws_decision("maybe"), None);
    }

    #[test]
    fn a_disagreement_is_a_failure_that_says_so() {
        let e = expectation(Decision::ImplicitDeny);
        let agree = compare(
            &e,
            Some(&ours(Decision::ImplicitDeny)),
            Decision::ImplicitDeny,
        );
        assert_eq!(agree.status, Status::Pass);
        let differ = compare(&e, Some(&ours(Decision::ImplicitDeny)), Decision::Allow);
        assert_eq!(differ.status, Status::Fail);
        assert!(
            differ.detail.starts_with(
                "DISAGREEMENT: AWS's simulator says Allow, iamkit-eval says ImplicitDeny"
            ),
            "{}",
            differ.detail
        );
        // Both engines agree, and both say the account is wrong.
        let both = compare(&e, Some(&ours(Decision::Allow)), Decision::Allow);
        assert_eq!(both.status, Status::Fail);
        assert!(
            both.detail.contains("expected ImplicitDeny"),
            "{}",
            both.detail
        );
    }

    #[test]
    fn context_entries_are_typed() {
        let entry = context_entry("aws:MultiFactorAuthPresent", &["true".into()]);
        assert_eq!(entry.context_key_type(), Some(&ContextKeyTypeEnum::Boolean));
        let entry = context_entry("aws:TagKeys", &["a".into(), "b".into()]);
        assert_eq!(
            entry.context_key_type(),
            Some(&ContextKeyTypeEnum::StringList)
        );
    }
}
