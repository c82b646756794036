//! Privilege escalation within one policy: the combinations of permissions that let whoever
//! holds them gain more (Rhino Security Labs' list of AWS privilege-escalation methods, which
//! parliament also checks), allowed broadly: on every resource of the action's type (only
//! wildcards after the resource type; the caller's own user, `${aws:username}`, for the paths
//! that work on oneself) and without a condition that could narrow them (a condition on
//! `iam:PassedToService` is read: it decides which services a role may be passed to). A policy
//! that allows `*` on `*`, or a path that only `service:*` on `*` opens, is reported by
//! `full-wildcard` and `service-wildcard` already.

use iamkit_arn::Pattern;
use iamkit_catalog::{ActionRef, Catalog};
use iamkit_policy::Operator;

use crate::ctx::{At, Ctx, action_key};
use crate::model::{Doc, Polarity, Stmt};
use crate::{code, reach};

/// One path: the actions it needs, what it does, the service a role is passed to (for paths
/// through `iam:PassRole`), and whether granting the actions on the caller's own identity only
/// (`${aws:username}`) still opens it.
struct Path {
    actions: &'static [&'static str],
    what: &'static str,
    passed_to: Option<&'static str>,
    self_opens: bool,
}

const PATHS: &[Path] = &[
    Path {
        actions: &["iam:CreatePolicyVersion"],
        what: "write a new default version of a managed policy, with any permissions",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:SetDefaultPolicyVersion"],
        what: "make an older, broader version of a managed policy the default",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:CreateAccessKey"],
        what: "create access keys for other users and act as them",
        passed_to: None,
        self_opens: false,
    },
    Path {
        actions: &["iam:CreateLoginProfile"],
        what: "give other users a console password and sign in as them",
        passed_to: None,
        self_opens: false,
    },
    Path {
        actions: &["iam:UpdateLoginProfile"],
        what: "change other users' console passwords and sign in as them",
        passed_to: None,
        self_opens: false,
    },
    Path {
        actions: &["iam:AttachUserPolicy"],
        what: "attach any managed policy, AdministratorAccess included, to a user",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:AttachGroupPolicy"],
        what: "attach any managed policy, AdministratorAccess included, to a group",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:AttachRolePolicy"],
        what: "attach any managed policy, AdministratorAccess included, to a role",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:PutUserPolicy"],
        what: "write an inline policy with any permissions on a user",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:PutGroupPolicy"],
        what: "write an inline policy with any permissions on a group",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:PutRolePolicy"],
        what: "write an inline policy with any permissions on a role",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:AddUserToGroup"],
        what: "add a user to any group and take the group's permissions",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
        what: "rewrite a role's trust policy and assume the role",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:PassRole", "ec2:RunInstances"],
        what: "start an EC2 instance with any role and use its credentials",
        passed_to: Some("ec2.amazonaws.com"),
        self_opens: true,
    },
    Path {
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        what: "create a Lambda function with any role and invoke it",
        passed_to: Some("lambda.amazonaws.com"),
        self_opens: true,
    },
    Path {
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
        what: "create a Lambda function with any role and have an event source run it",
        passed_to: Some("lambda.amazonaws.com"),
        self_opens: true,
    },
    Path {
        actions: &["lambda:UpdateFunctionCode"],
        what: "replace the code of any function, which then runs with the function's role",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:PassRole", "glue:CreateDevEndpoint"],
        what: "create a Glue development endpoint with any role and log in to it",
        passed_to: Some("glue.amazonaws.com"),
        self_opens: true,
    },
    Path {
        actions: &["glue:UpdateDevEndpoint"],
        what: "put an SSH key on any Glue development endpoint and use its role",
        passed_to: None,
        self_opens: true,
    },
    Path {
        actions: &["iam:PassRole", "cloudformation:CreateStack"],
        what: "create a CloudFormation stack that acts with any role",
        passed_to: Some("cloudformation.amazonaws.com"),
        self_opens: true,
    },
    Path {
        actions: &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
        what: "create a Data Pipeline that runs commands with any role",
        passed_to: Some("datapipeline.amazonaws.com"),
        self_opens: true,
    },
];

/// How a statement grants an action.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    /// Only on resources it names.
    Narrow,
    /// Only on the caller's own identity (`${aws:username}`).
    OwnOnly,
    /// On every resource of the action's type.
    Broad,
}

/// Reports the paths the policy's `Allow` statements open: one finding per statement that
/// grants a path's first action, naming every path that starts there.
pub(crate) fn check(
    ctx: &mut Ctx<'_>,
    catalog: &Catalog,
    doc: &Doc<'_>,
    resolved: &[Vec<Vec<ActionRef<'_>>>],
) {
    // An administrator needs no path.
    if doc.statements.iter().any(|s| is_admin(s)) {
        return;
    }
    let mut open: Vec<(&str, Vec<&Path>)> = Vec::new();
    for path in PATHS {
        let Some(at) = opens(catalog, doc, resolved, path) else {
            continue;
        };
        match open.iter_mut().find(|(p, _)| *p == at) {
            Some((_, paths)) => paths.push(path),
            None => open.push((at, vec![path])),
        }
    }
    for (at, paths) in open {
        let described: Vec<String> = paths
            .iter()
            .map(|path| {
                let names: Vec<String> = path.actions.iter().map(|a| format!("`{a}`")).collect();
                let listed = match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} and {last}", rest.join(", "))
                    }
                    _ => names.join(""),
                };
                format!("{listed} ({})", path.what)
            })
            .collect();
        let message = match described.as_slice() {
            [one] => format!(
                "the policy allows {one} broadly: a way to gain more permissions (privilege escalation)"
            ),
            many => format!(
                "the policy allows {} ways to gain more permissions broadly (privilege escalation): {}",
                many.len(),
                many.join("; ")
            ),
        };
        ctx.add(
            code::PRIVILEGE_ESCALATION,
            At::Key(at),
            message,
            "allow these actions only on the resources that need them, or add a condition that rules the path out (`iam:PassedToService`, `iam:PolicyARN`)".to_owned(),
        );
    }
}

/// Where the path opens: the pointer of the `Action` of the first statement that grants its
/// first action broadly, when every action of the path is granted broadly. A path whose every
/// action comes from a `service:*` on `*` is already a `service-wildcard` finding (security):
/// not repeated here.
fn opens<'d>(
    catalog: &Catalog,
    doc: &'d Doc<'_>,
    resolved: &[Vec<Vec<ActionRef<'_>>>],
    path: &Path,
) -> Option<&'d str> {
    let mut first = None;
    let mut all_service_wildcards = true;
    for (n, name) in path.actions.iter().enumerate() {
        let action = catalog.action(name)?;
        let passing = (*name == "iam:PassRole")
            .then_some(path.passed_to)
            .flatten();
        let (stmt, _) = doc
            .statements
            .iter()
            .zip(resolved)
            .find(|(stmt, entries)| {
                let reach = grants(stmt, entries, &action, passing);
                reach == Reach::Broad || (path.self_opens && reach == Reach::OwnOnly)
            })?;
        all_service_wildcards &= is_service_wildcard(stmt, &action.service.prefix);
        if n == 0 {
            first = Some(
                stmt.actions
                    .as_ref()
                    .map_or(stmt.pointer.as_str(), |a| a.pointer.as_str()),
            );
        }
    }
    first.filter(|_| !all_service_wildcards)
}

/// Whether the statement allows `prefix:*` on `*`, which `service-wildcard` reports.
fn is_service_wildcard(stmt: &Stmt<'_>, prefix: &str) -> bool {
    let everything = stmt.actions.as_ref().is_some_and(|a| {
        a.polarity == Polarity::Is
            && a.items.iter().any(|i| {
                i.text.split_once(':').is_some_and(|(p, name)| {
                    p.eq_ignore_ascii_case(prefix)
                        && !name.is_empty()
                        && name.chars().all(|c| c == '*')
                })
            })
    });
    everything
        && stmt.resources.as_ref().is_some_and(|r| {
            r.polarity == Polarity::Is && r.items.iter().any(|i| reach::matches_star(i.text))
        })
}

/// `*` (or `*:*`) allowed on `*` with no condition.
fn is_admin(stmt: &Stmt<'_>) -> bool {
    stmt.allow
        && stmt.conditions.is_empty()
        && stmt.actions.as_ref().is_some_and(|a| {
            a.polarity == Polarity::Is && a.items.iter().any(|i| i.text == "*" || i.text == "*:*")
        })
        && stmt.resources.as_ref().is_some_and(|r| {
            r.polarity == Polarity::Is && r.items.iter().any(|i| reach::matches_star(i.text))
        })
}

/// How the statement grants `action`. `passing` is the service a path passes a role to: a
/// condition on `iam:PassedToService` must allow it.
fn grants(
    stmt: &Stmt<'_>,
    entries: &[Vec<ActionRef<'_>>],
    action: &ActionRef<'_>,
    passing: Option<&str>,
) -> Reach {
    if !stmt.allow || !conditions_allow(stmt, passing) {
        return Reach::Narrow;
    }
    let Some(actions) = &stmt.actions else {
        return Reach::Narrow;
    };
    let key = action_key(action);
    let listed = match actions.polarity {
        Polarity::Is => entries.iter().flatten().any(|a| action_key(a) == key),
        Polarity::Not => {
            let name = action.full_name();
            !actions
                .items
                .iter()
                .any(|i| Pattern::new_ignore_case(i.text).matches(&name))
        }
    };
    if !listed {
        return Reach::Narrow;
    }
    let Some(resources) = &stmt.resources else {
        return Reach::Narrow;
    };
    if resources.polarity == Polarity::Not {
        return Reach::Broad;
    }
    resources
        .items
        .iter()
        .map(|r| resource_reach(r.text, action))
        .max()
        .unwrap_or(Reach::Narrow)
}

/// Whether one `Resource` entry reaches every resource of the action's type, or the caller's
/// own user only.
fn resource_reach(pattern: &str, action: &ActionRef<'_>) -> Reach {
    if reach::matches_star(pattern) {
        return Reach::Broad;
    }
    if action.takes_only_star() {
        return Reach::Narrow;
    }
    let reaches = action
        .resource_types()
        .any(|(t, _)| reach::reaches(pattern, &t.arn_format));
    if !reaches {
        return Reach::Narrow;
    }
    if pattern.ends_with("${aws:username}") {
        return Reach::OwnOnly;
    }
    // Every resource of the type: after the resource type (`role/`, `function:`), only
    // wildcards. A name or path prefix (`role/service-role/*`, `role/app-*`) names some.
    let resource = pattern.splitn(6, ':').nth(5).unwrap_or_default();
    let name = resource
        .split_once(['/', ':'])
        .map_or(resource, |(_, name)| name);
    if name.contains('*') && name.chars().all(|c| matches!(c, '*' | '/' | ':')) {
        Reach::Broad
    } else {
        Reach::Narrow
    }
}

/// No condition, or only `iam:PassedToService` ones that allow `passing`.
fn conditions_allow(stmt: &Stmt<'_>, passing: Option<&str>) -> bool {
    stmt.conditions.iter().all(|cond| {
        let Some(service) = passing else { return false };
        let positive = cond
            .operator
            .parse::<Operator>()
            .is_ok_and(|op| !op.base.is_negated() && op.base.as_str().starts_with("String"));
        cond.key.eq_ignore_ascii_case("iam:PassedToService")
            && positive
            && cond
                .values
                .iter()
                .any(|v| Pattern::new_ignore_case(v).matches(service))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_far_a_resource_reaches() {
        let catalog = Catalog::get();
        let attach = catalog.action("iam:AttachRolePolicy").unwrap();
        let put_user = catalog.action("iam:PutUserPolicy").unwrap();
        let update = catalog.action("lambda:UpdateFunctionCode").unwrap();
        for (pattern, action, expected) in [
            ("*", &attach, Reach::Broad),
            ("arn:aws:iam::*:role/*", &attach, Reach::Broad),
            ("arn:aws:iam::123456789012:role/*", &attach, Reach::Broad),
            ("arn:aws:iam::*:role/service-role/*", &attach, Reach::Narrow),
            ("arn:aws:iam::*:role/app-*", &attach, Reach::Narrow),
            ("arn:aws:iam::*:role/admin", &attach, Reach::Narrow),
            ("arn:aws:iam::*:user/*", &attach, Reach::Narrow),
            (
                "arn:aws:iam::*:user/${aws:username}",
                &put_user,
                Reach::OwnOnly,
            ),
            ("arn:aws:lambda:*:*:function:*", &update, Reach::Broad),
            ("arn:aws:lambda:*:*:function:app-*", &update, Reach::Narrow),
        ] {
            assert!(resource_reach(pattern, action) == expected, "{pattern}");
        }
    }
}
