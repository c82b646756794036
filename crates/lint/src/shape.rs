//! The shape of each statement for its kind of policy (a `Resource` where identity policies need
//! one, a `Principal` where resource-based policies need one), `Sid`s, and entries that say
//! nothing the others do not (redundant resources and principals, ARNs that match nothing).

use std::collections::HashMap;

use iamkit_arn::ResourcePattern;
use iamkit_policy::split_resource;

use crate::ctx::{At, Ctx};
use crate::model::{Doc, Item, Polarity, Stmt};
use crate::{PolicyKind, code};

/// Statement shapes for the kind; explicit only for kinds the caller named (`Auto` decides
/// the kind from the very elements these checks look at).
pub(crate) fn statement(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, kind: PolicyKind, named: bool) {
    if kind.is_identity() && stmt.resources.is_none() {
        ctx.add(
            code::MISSING_RESOURCE,
            At::Value(&stmt.pointer),
            "the statement has neither `Resource` nor `NotResource`: an identity policy's statement needs one".to_owned(),
            "add \"Resource\": with the ARNs the actions apply to, or \"*\"".to_owned(),
        );
    }
    if named && kind.is_identity() && stmt.has_principal {
        let element = if stmt.not_principal {
            "NotPrincipal"
        } else {
            "Principal"
        };
        let (message, help) = if kind == PolicyKind::Scp {
            (
                format!("a service control policy cannot have `{element}`"),
                "name principals with a condition on `aws:PrincipalArn` instead".to_owned(),
            )
        } else {
            (
                format!(
                    "an identity policy cannot have `{element}`: it applies to the identity it is attached to"
                ),
                "remove it, or lint the document as a resource-based policy (`--kind resource`)"
                    .to_owned(),
            )
        };
        ctx.add(
            code::UNSUPPORTED_PRINCIPAL,
            At::Key(&format!("{}/{element}", stmt.pointer)),
            message,
            help,
        );
    }
    if matches!(kind, PolicyKind::Trust | PolicyKind::Resource) && !stmt.has_principal {
        ctx.add(
            code::MISSING_PRINCIPAL,
            At::Value(&stmt.pointer),
            "the statement has no `Principal`: a resource-based or trust policy must say whom it applies to".to_owned(),
            "add \"Principal\": {\"AWS\": \"123456789012\"} (or the service, federated or account principals it is for)".to_owned(),
        );
    }
    if stmt.allow && stmt.not_principal {
        ctx.add(
            code::ALLOW_NOT_PRINCIPAL,
            At::Key(&format!("{}/NotPrincipal", stmt.pointer)),
            "`Allow` with `NotPrincipal` allows every principal not listed, anonymous ones included".to_owned(),
            "name the principals to allow in `Principal`; use `NotPrincipal` only with `Deny`".to_owned(),
        );
    }
}

/// Empty `Sid`s, and a `Sid` that two statements share.
pub(crate) fn sids(ctx: &mut Ctx<'_>, doc: &Doc<'_>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, stmt) in doc.statements.iter().enumerate() {
        let Some(sid) = stmt.sid() else { continue };
        let at = format!("{}/Sid", stmt.pointer);
        if sid.is_empty() {
            ctx.add(
                code::EMPTY_SID,
                At::Value(&at),
                "the statement's `Sid` is empty".to_owned(),
                "remove `Sid`, or give the statement a name".to_owned(),
            );
        } else if let Some(first) = seen.get(sid) {
            ctx.add(
                code::DUPLICATE_SID,
                At::Value(&at),
                format!("statement {first} has the `Sid` `{sid}` too"),
                "give each statement its own `Sid`: some policy types (key and bucket policies) require it".to_owned(),
            );
        } else {
            seen.insert(sid, i);
        }
    }
}

/// `Resource` entries another entry already covers, and `Principal` entries listed twice.
pub(crate) fn redundant(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    if let Some(list) = stmt
        .resources
        .as_ref()
        .filter(|l| l.polarity == Polarity::Is)
    {
        let patterns: Vec<Option<ResourcePattern>> = list
            .items
            .iter()
            .map(|item| {
                let plain = !item.text.contains('?') && !item.text.contains("${");
                plain
                    .then(|| ResourcePattern::parse(item.text).ok())
                    .flatten()
            })
            .collect();
        for (i, item) in list.items.iter().enumerate() {
            let by = list.items.iter().enumerate().find(|&(j, other)| {
                if j == i {
                    return false;
                }
                if other.text == item.text {
                    return j < i;
                }
                let (Some(Some(big)), Some(Some(_))) = (patterns.get(j), patterns.get(i)) else {
                    return false;
                };
                // Two entries that cover each other are the same: the later one is redundant.
                let mutual = patterns
                    .get(i)
                    .and_then(Option::as_ref)
                    .is_some_and(|small| small.matches(other.text));
                big.matches(item.text) && !(mutual && i < j)
            });
            if let Some((_, other)) = by {
                let twice = other.text == item.text;
                covered_entry(
                    ctx,
                    code::REDUNDANT_RESOURCE,
                    "resource",
                    item,
                    other.text,
                    twice,
                );
            }
        }
    }
    let mut seen: HashMap<(&str, String), &str> = HashMap::new();
    for (kind, item) in &stmt.principals {
        let key = (*kind, principal_identity(kind, item.text));
        if let Some(first) = seen.get(&key) {
            ctx.add(
                code::REDUNDANT_PRINCIPAL,
                At::Value(&item.pointer),
                format!(
                    "principal `{}` is already listed in this statement as `{first}`",
                    item.text
                ),
                format!("remove `{}`", item.text),
            );
        } else {
            seen.insert(key, item.text);
        }
    }
}

/// What an `AWS` principal stands for: an account's root ARN is the account, as a bare account
/// id is.
fn principal_identity(kind: &str, text: &str) -> String {
    let is_account = |s: &str| {
        s == iamkit_arn::Template::ACCOUNT_ID
            || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
    };
    if kind == "AWS" {
        if is_account(text) {
            return text.to_owned();
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        if let ["arn", _, "iam", "", account, "root"] = parts.as_slice()
            && is_account(account)
        {
            return (*account).to_owned();
        }
    }
    text.to_owned()
}

/// An entry of a list (an `element` such as `action`) that another entry of the same list,
/// `by`, already covers; `twice` when the two are the same entry.
pub(crate) fn covered_entry(
    ctx: &mut Ctx<'_>,
    code: &'static str,
    element: &str,
    item: &Item<'_>,
    by: &str,
    twice: bool,
) {
    let message = if twice {
        format!(
            "{element} `{}` is listed twice in this statement",
            item.text
        )
    } else {
        format!(
            "{element} `{}` is already covered by `{by}` in this statement",
            item.text
        )
    };
    ctx.add(
        code,
        At::Value(&item.pointer),
        message,
        format!("remove `{}`", item.text),
    );
}

/// ARNs IAM accepts that the IAM User Guide does not describe: an empty resource part (it
/// matches nothing) and a policy variable before the fifth colon.
pub(crate) fn arns(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    let Some(list) = &stmt.resources else { return };
    for item in &list.items {
        let Some((head, resource)) = split_resource(item.text) else {
            continue;
        };
        if resource.is_empty() {
            ctx.add(
                code::ARN_RESOURCE_EMPTY,
                At::Value(&item.pointer),
                format!(
                    "`{}` has an empty resource part after the fifth colon: it matches no resource",
                    item.text
                ),
                "name the resource after the fifth colon, or `*` for every resource of the service"
                    .to_owned(),
            );
        } else if head.contains("${") {
            ctx.add(
                code::VARIABLE_OUTSIDE_RESOURCE,
                At::Value(&item.pointer),
                format!("`{}` has a policy variable before the fifth colon, where the IAM User Guide allows none", item.text),
                "put variables only in the resource part, or write the account or Region itself".to_owned(),
            );
        }
    }
}
