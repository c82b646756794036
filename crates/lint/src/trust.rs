//! Principals of trust and resource-based policies: the form of service principals, the shape
//! of a role trust policy, whether its action fits its principal (web identity for OIDC
//! providers, SAML for SAML providers), the conditions an identity provider needs (`aud`, and
//! GitHub's `sub`), and service principals in resource policies without `aws:SourceArn` or
//! `aws:SourceAccount` (the confused deputy).

use iamkit_policy::{Operator, is_trust_action};

use crate::ctx::{At, Ctx};
use crate::model::{Cond, Polarity, Stmt};
use crate::{PolicyKind, code};

/// GitHub's OIDC provider.
const GITHUB: &str = "token.actions.githubusercontent.com";

/// Identity providers IAM knows without an OIDC provider ARN; their requests assume a role
/// with a web identity.
const WEB_IDENTITY_HOSTS: &[&str] = &[
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// Keys that tie a service principal's request to a resource or account of the owner's.
const SOURCE_KEYS: &[&str] = &[
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceOwner",
];

/// Principal checks for every kind that has principals.
pub(crate) fn check(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, kind: PolicyKind) {
    service_principals(ctx, stmt);
    if kind == PolicyKind::Trust {
        syntax(ctx, stmt);
        if stmt.allow {
            actions_fit_principals(ctx, stmt);
            providers(ctx, stmt);
        }
    }
    if kind == PolicyKind::Resource && stmt.allow {
        confused_deputy(ctx, stmt);
    }
}

/// Whether `text` has the form of a service principal: `NAME.amazonaws.com` (or `.com.cn`,
/// or `.amazon.com` for Alexa), in lowercase, without wildcards.
pub(crate) fn is_service_principal(text: &str) -> bool {
    let name = [".amazonaws.com", ".amazonaws.com.cn", ".amazon.com"]
        .iter()
        .find_map(|suffix| text.strip_suffix(suffix));
    name.is_some_and(|name| {
        !name.is_empty()
            && !name.starts_with(['.', '-'])
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
    })
}

/// `Service` principals, and the values of `iam:PassedToService` and
/// `aws:PrincipalServiceName`, must be service principals.
fn service_principals(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    for (kind, item) in &stmt.principals {
        if *kind == "Service" && !is_service_principal(item.text) {
            ctx.add(
                code::SERVICE_PRINCIPAL_FORMAT,
                At::Value(&item.pointer),
                format!("`{}` is not a service principal: IAM expects `SERVICE.amazonaws.com`, in lowercase and without wildcards", item.text),
                "find the service's principal in its user guide, such as `lambda.amazonaws.com`".to_owned(),
            );
        }
    }
    for cond in &stmt.conditions {
        let keyed = ["iam:PassedToService", "aws:PrincipalServiceName"]
            .iter()
            .any(|k| cond.key.eq_ignore_ascii_case(k));
        if !keyed {
            continue;
        }
        for (value, pointer) in cond.values.iter().zip(&cond.value_pointers) {
            if value.contains(['*', '?']) || value.contains("${") || is_service_principal(value) {
                continue;
            }
            ctx.add(
                code::SERVICE_PRINCIPAL_FORMAT,
                At::Value(pointer),
                format!("`{value}` in `{}` is not a service principal: IAM compares it with names such as `lambda.amazonaws.com`", cond.key),
                "write the service principal in lowercase, `SERVICE.amazonaws.com`".to_owned(),
            );
        }
    }
}

/// A role trust policy has no `Resource` (the role is the resource) and no `NotPrincipal`, and
/// allows only the actions that assume a role or set its session's attributes.
fn syntax(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    if let Some(resources) = &stmt.resources {
        let element = match resources.polarity {
            Polarity::Is => "Resource",
            Polarity::Not => "NotResource",
        };
        ctx.add(
            code::TRUST_SYNTAX,
            At::Key(&resources.pointer),
            format!("a role trust policy cannot have `{element}`: the role is the resource"),
            format!("remove `{element}`"),
        );
    }
    if stmt.not_principal {
        ctx.add(
            code::TRUST_SYNTAX,
            At::Key(&format!("{}/NotPrincipal", stmt.pointer)),
            "a role trust policy cannot have `NotPrincipal`".to_owned(),
            "name the principals that may assume the role in `Principal`".to_owned(),
        );
    }
    let Some(actions) = stmt.actions.as_ref().filter(|a| a.polarity == Polarity::Is) else {
        return;
    };
    for item in &actions.items {
        let text = item.text;
        if text.contains(['*', '?']) || is_trust_action(text) {
            continue;
        }
        ctx.add(
            code::TRUST_SYNTAX,
            At::Value(&item.pointer),
            format!("a role trust policy allows only actions that assume the role, not `{text}`"),
            "use sts:AssumeRole, sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML (and sts:TagSession, sts:SetSourceIdentity, sts:SetContext)".to_owned(),
        );
    }
}

/// Which of the three assume actions the statement's `Action` allows (wildcards included).
fn assumes(stmt: &Stmt<'_>, action: &str) -> bool {
    stmt.actions.as_ref().is_some_and(|list| {
        let listed = list
            .items
            .iter()
            .any(|item| iamkit_arn::Pattern::new_ignore_case(item.text).matches(action));
        (list.polarity == Polarity::Is) == listed
    })
}

/// What a federated principal is: a SAML provider, or an OIDC provider (with its host).
enum Federated<'a> {
    Saml,
    Oidc(&'a str),
}

fn federated(text: &str) -> Option<Federated<'_>> {
    if let Some((_, host)) = text.split_once(":oidc-provider/") {
        return Some(Federated::Oidc(host));
    }
    if text.contains(":saml-provider/") {
        return Some(Federated::Saml);
    }
    WEB_IDENTITY_HOSTS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(text))
        .then_some(Federated::Oidc(text))
}

/// OIDC providers are trusted with `sts:AssumeRoleWithWebIdentity`, SAML providers with
/// `sts:AssumeRoleWithSAML`, and AWS and service principals with `sts:AssumeRole`.
fn actions_fit_principals(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    let assume = [
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
    ];
    if !assume.iter().any(|a| assumes(stmt, a)) {
        // A statement of session tags or source identity only.
        return;
    }
    for (kind, item) in &stmt.principals {
        let needed = match (*kind, federated(item.text)) {
            ("Federated", Some(Federated::Saml)) => "sts:AssumeRoleWithSAML",
            ("Federated", Some(Federated::Oidc(_))) => "sts:AssumeRoleWithWebIdentity",
            ("AWS" | "Service" | "*", _) => "sts:AssumeRole",
            _ => continue,
        };
        if !assumes(stmt, needed) {
            ctx.add(
                code::TRUST_ACTION_MISMATCH,
                At::Value(&item.pointer),
                format!("principal `{}` assumes a role with `{needed}`, which this statement does not allow: the trust grants it nothing", item.text),
                format!("allow `{needed}` for this principal"),
            );
        }
    }
}

/// Whether the statement has a condition on `key` (case-insensitive) with a positive operator.
fn has_condition<'s>(stmt: &'s Stmt<'_>, key: &str) -> Option<&'s Cond<'s>> {
    stmt.conditions.iter().find(|c| {
        c.key.eq_ignore_ascii_case(key)
            && c.operator
                .parse::<Operator>()
                .is_ok_and(|op| !op.base.is_negated() && op.base.as_str() != "Null")
    })
}

/// An OIDC provider's `aud` (every provider: which application the token was issued to), and
/// GitHub's `sub` (which repository's workflow is running); a SAML provider's `SAML:aud`.
fn providers(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    for (kind, item) in &stmt.principals {
        if *kind != "Federated" {
            continue;
        }
        match federated(item.text) {
            Some(Federated::Oidc(host)) if assumes(stmt, "sts:AssumeRoleWithWebIdentity") => {
                oidc(ctx, stmt, item.text, &item.pointer, host);
            }
            Some(Federated::Saml)
                if assumes(stmt, "sts:AssumeRoleWithSAML")
                    && has_condition(stmt, "SAML:aud").is_none() =>
            {
                ctx.add(
                    code::SAML_WITHOUT_AUDIENCE,
                    At::Value(&item.pointer),
                    format!("the role trusts SAML provider `{}` with no condition on `SAML:aud`", item.text),
                    "add \"Condition\": {\"StringEquals\": {\"SAML:aud\": \"https://signin.aws.amazon.com/saml\"}}".to_owned(),
                );
            }
            _ => {}
        }
    }
}

fn oidc(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, provider: &str, pointer: &str, host: &str) {
    // Only the app ids of Amazon and Facebook are named otherwise.
    let audience = if host.eq_ignore_ascii_case("graph.facebook.com")
        || host.eq_ignore_ascii_case("www.amazon.com")
    {
        format!("{host}:app_id")
    } else {
        format!("{host}:aud")
    };
    if has_condition(stmt, &audience).is_none() {
        ctx.add(
            code::OIDC_WITHOUT_AUDIENCE,
            At::Value(pointer),
            format!("the role trusts `{provider}` with no condition on `{audience}`: a token the provider issued to any application can assume it"),
            format!("add \"Condition\": {{\"StringEquals\": {{\"{audience}\": \"...\"}}}} with your application's id"),
        );
    }
    if !host.eq_ignore_ascii_case(GITHUB) {
        return;
    }
    let subject = format!("{GITHUB}:sub");
    let open = match has_condition(stmt, &subject) {
        None => Some("no condition on `token.actions.githubusercontent.com:sub`: a workflow of any repository on GitHub can assume it".to_owned()),
        Some(cond) => cond
            .values
            .iter()
            .find(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with('*') || v == "repo:*" || v.starts_with("repo:*/")
            })
            .map(|v| format!("`token.actions.githubusercontent.com:sub` allows `{v}`: a workflow of any owner's repository can assume it")),
    };
    if let Some(why) = open {
        ctx.add(
            code::GITHUB_WITHOUT_SUBJECT,
            At::Value(pointer),
            format!("the role trusts GitHub's OIDC provider with {why}"),
            "add \"StringLike\": {\"token.actions.githubusercontent.com:sub\": \"repo:OWNER/REPOSITORY:*\"} (or a branch or environment)".to_owned(),
        );
    }
}

/// A service principal allowed in a resource-based policy with nothing tying the request to the
/// owner's resources: any account's use of that service can reach the resource.
fn confused_deputy(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    // KMS key policies tie a service to the owner's resources through the encryption context
    // (`kms:EncryptionContext:aws:logs:arn`, as the CloudWatch Logs guide writes it) or the
    // calling account.
    let tied = SOURCE_KEYS.iter().any(|k| has_condition(stmt, k).is_some())
        || has_condition(stmt, "kms:CallerAccount").is_some()
        || stmt.conditions.iter().any(|c| {
            c.key
                .get(..22)
                .is_some_and(|head| head.eq_ignore_ascii_case("kms:EncryptionContext:"))
        });
    if tied {
        return;
    }
    for (kind, item) in &stmt.principals {
        if *kind != "Service" {
            continue;
        }
        ctx.add(
            code::SERVICE_WITHOUT_SOURCE,
            At::Value(&item.pointer),
            format!("service principal `{}` is allowed with no condition on `aws:SourceArn` or `aws:SourceAccount`: the service acting for any account can use this access", item.text),
            "add \"Condition\": {\"StringEquals\": {\"aws:SourceAccount\": \"123456789012\"}} (or `aws:SourceArn` with the resource that uses the service)".to_owned(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LintOptions, lint};

    /// A key policy that lets CloudWatch Logs use the key for this account's log groups, as the
    /// CloudWatch Logs guide writes it, is tied to the owner's resources.
    #[test]
    fn an_encryption_context_ties_a_service_to_the_owner() {
        let key_policy = |condition: serde_json::Value| {
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "logs.ap-northeast-1.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*"], "Resource": "*",
                "Condition": condition}]})
            .to_string()
        };
        let options = LintOptions {
            kind: PolicyKind::Resource,
            ..LintOptions::default()
        };
        let codes = |source: &str| -> Vec<&'static str> {
            lint("key.json", source, &options)
                .iter()
                .map(|f| f.code)
                .collect()
        };
        let tied = key_policy(serde_json::json!({"ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:ap-northeast-1:123456789012:*"}}));
        assert!(!codes(&tied).contains(&code::SERVICE_WITHOUT_SOURCE));
        let open = key_policy(serde_json::json!({}));
        assert!(codes(&open).contains(&code::SERVICE_WITHOUT_SOURCE));
    }

    #[test]
    fn service_principals() {
        for good in [
            "lambda.amazonaws.com",
            "states.us-east-1.amazonaws.com",
            "ec2.amazonaws.com.cn",
            "alexa-appkit.amazon.com",
        ] {
            assert!(is_service_principal(good), "{good}");
        }
        for bad in [
            "lambda",
            "Lambda.amazonaws.com",
            "*.amazonaws.com",
            ".amazonaws.com",
            "lambda.amazonaws.co",
            "arn:aws:iam::123456789012:root",
        ] {
            assert!(!is_service_principal(bad), "{bad}");
        }
    }
}
