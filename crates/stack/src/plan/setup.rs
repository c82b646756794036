//! Setup's plan: what brings the account as it is to the manifest, one resource kind at a time.

use std::collections::BTreeSet;

use super::{Action, Change, DEFAULT_PASSWORD_LENGTH, Diff, Op, Plan};
use crate::{
    desired::{Desired, DesiredFunction, name_in_arn},
    document,
    marks::{STACK_TAG, not_tagged},
    observed::{Observed, ObservedFunction, Tags, tagged},
};

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The changes that bring `observed` to `desired`. Resources with a manifest name that are
/// not marked as the stack's are conflicts (or, with [`Desired::adopt`], adopted).
pub fn plan(desired: &Desired, observed: &Observed) -> Plan {
    let mut plan = Plan::new(desired);
    policies(&mut plan, desired, observed);
    groups(&mut plan, desired, observed);
    users(&mut plan, desired, observed);
    roles(&mut plan, desired, observed);
    dropped(&mut plan, desired, observed);
    bucket(&mut plan, desired, observed);
    functions(&mut plan, desired, observed);
    plan.finish()
}

/// Whether an existing resource may be changed: it is the stack's, or `--adopt` takes it
/// over with `mark` (showing `diff`). Otherwise it is a conflict, and the plan leaves it alone.
fn ours_or_adopted(
    plan: &mut Plan,
    desired: &Desired,
    address: &str,
    ours: bool,
    (mark, diff): (Op, Diff),
) -> bool {
    if ours {
        return true;
    }
    if desired.adopt {
        plan.push(Change::new(Action::Adopt, address.to_owned(), mark).showing(diff));
        return true;
    }
    plan.conflict(address.to_owned(), not_tagged(&desired.stack));
    false
}

/// Tags as a person reads them: `key=value, ...`, or `(none)`.
fn shown(tags: &Tags) -> String {
    if tags.is_empty() {
        return "(none)".to_owned();
    }
    let pairs: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(", ")
}

/// Marking with the stack's tag: the tags before and after.
fn tagging(tags: &Tags, stack: &str) -> Diff {
    let mut after = tags.clone();
    after.insert(STACK_TAG.to_owned(), stack.to_owned());
    Diff::Value {
        before: shown(tags),
        after: shown(&after),
    }
}

/// Attaches what is wanted and not attached, detaches what is attached and not wanted.
fn attachments(
    plan: &mut Plan,
    address: &str,
    wanted: &BTreeSet<String>,
    attached: &BTreeSet<String>,
    op: impl Fn(bool, &str) -> Op,
) {
    for arn in wanted.difference(attached) {
        let what = format!("{address}: policy {}", name_in_arn(arn));
        plan.push(Change::new(Action::Create, what, op(true, arn)));
    }
    for arn in attached.difference(wanted) {
        let what = format!("{address}: policy {}", name_in_arn(arn));
        plan.push(Change::new(Action::Delete, what, op(false, arn)).because("not in the manifest"));
    }
}

fn policies(plan: &mut Plan, desired: &Desired, observed: &Observed) {
    for (name, policy) in &desired.policies {
        let address = format!("policy {name}");
        let Some(seen) = observed.policies.get(name) else {
            let op = Op::CreatePolicy {
                name: name.clone(),
                arn: policy.arn.clone(),
                document: pretty(&policy.document),
            };
            plan.push(Change::new(Action::Create, address, op));
            continue;
        };
        let mark = Op::TagPolicy {
            arn: seen.arn.clone(),
        };
        let mark = (mark, tagging(&seen.tags, &desired.stack));
        if !ours_or_adopted(
            plan,
            desired,
            &address,
            tagged(&seen.tags, &desired.stack),
            mark,
        ) {
            continue;
        }
        let same = seen
            .document
            .as_ref()
            .is_some_and(|d| document::same(d, &policy.document));
        if same {
            continue;
        }
        // IAM keeps five versions: the oldest that is not the default makes room.
        let delete_version = (seen.versions.len() >= 5)
            .then(|| seen.versions.iter().find(|v| !v.is_default))
            .flatten()
            .map(|v| v.id.clone());
        let detail = match &delete_version {
            Some(v) => format!("document changed; a new default version replaces {v}"),
            None => "document changed; a new default version".to_owned(),
        };
        let op = Op::UpdatePolicy {
            arn: seen.arn.clone(),
            document: pretty(&policy.document),
            delete_version,
        };
        let diff = Diff::Document {
            before: seen.document.clone().unwrap_or_default(),
            after: policy.document.clone(),
        };
        plan.push(
            Change::new(Action::Update, address, op)
                .because(detail)
                .showing(diff),
        );
    }
}

fn groups(plan: &mut Plan, desired: &Desired, observed: &Observed) {
    for (name, group) in &desired.groups {
        let address = format!("group {name}");
        let attached = match observed.groups.get(name) {
            None => {
                let op = Op::CreateGroup {
                    name: name.clone(),
                    path: group.path.clone(),
                };
                plan.push(Change::new(Action::Create, address.clone(), op));
                BTreeSet::new()
            }
            Some(seen) => {
                // Groups cannot be tagged: the stack's path is their mark.
                let mark = Op::MoveGroup {
                    name: name.clone(),
                    path: group.path.clone(),
                };
                let path = Diff::Value {
                    before: seen.path.clone(),
                    after: group.path.clone(),
                };
                let mark = (mark, path);
                if seen.path != group.path && !desired.adopt {
                    let reason = format!("its path is `{}`, not `{}`", seen.path, group.path);
                    plan.conflict(address, reason);
                    continue;
                }
                ours_or_adopted(plan, desired, &address, seen.path == group.path, mark);
                seen.policies.clone()
            }
        };
        let wanted = group
            .policies
            .iter()
            .filter_map(|p| desired.policy_arn(p))
            .collect();
        attachments(plan, &address, &wanted, &attached, |attach, arn| {
            let (group, arn) = (name.clone(), arn.to_owned());
            if attach {
                Op::AttachGroupPolicy { group, arn }
            } else {
                Op::DetachGroupPolicy { group, arn }
            }
        });
    }
}

fn users(plan: &mut Plan, desired: &Desired, observed: &Observed) {
    for (name, user) in &desired.users {
        let address = format!("user {name}");
        let (groups, login_profile) = match observed.users.get(name) {
            None => {
                let op = Op::CreateUser { name: name.clone() };
                plan.push(Change::new(Action::Create, address.clone(), op));
                (BTreeSet::new(), false)
            }
            Some(seen) => {
                let mark = Op::TagUser { name: name.clone() };
                let mark = (mark, tagging(&seen.tags, &desired.stack));
                let ours = tagged(&seen.tags, &desired.stack);
                if !ours_or_adopted(plan, desired, &address, ours, mark) {
                    continue;
                }
                (seen.groups.clone(), seen.login_profile)
            }
        };
        memberships(plan, desired, &address, name, &groups, &user.groups);
        console_password(plan, observed, &address, name, user.console, login_profile);
    }
}

/// The user joins the manifest's groups it is not in, and leaves the manifest's groups the
/// manifest does not put it in; each change shows the groups before and after.
fn memberships(
    plan: &mut Plan,
    desired: &Desired,
    address: &str,
    user: &str,
    now: &BTreeSet<String>,
    wanted: &BTreeSet<String>,
) {
    // Memberships in groups the manifest does not name are not ours to remove.
    let leave: BTreeSet<&String> = now
        .difference(wanted)
        .filter(|g| desired.groups.contains_key(*g))
        .collect();
    let join: BTreeSet<&String> = wanted.difference(now).collect();
    let after: BTreeSet<&String> = now
        .iter()
        .filter(|g| !leave.contains(g))
        .chain(join.iter().copied())
        .collect();
    let list = |groups: Vec<&String>| match groups.is_empty() {
        true => "(no group)".to_owned(),
        false => groups
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let diff = Diff::Value {
        before: list(now.iter().collect()),
        after: list(after.into_iter().collect()),
    };
    for (joins, group) in join
        .iter()
        .map(|g| (true, g))
        .chain(leave.iter().map(|g| (false, g)))
    {
        let (user, group) = (user.to_owned(), (*group).clone());
        let what = format!("{address}: member of group {group}");
        let change = if joins {
            Change::new(Action::Create, what, Op::AddUserToGroup { user, group })
        } else {
            Change::new(
                Action::Delete,
                what,
                Op::RemoveUserFromGroup { user, group },
            )
            .because("not in the manifest")
        };
        plan.push(change.showing(diff.clone()));
    }
}

fn console_password(
    plan: &mut Plan,
    observed: &Observed,
    address: &str,
    user: &str,
    wanted: bool,
    present: bool,
) {
    let what = format!("{address}: console password");
    if wanted && !present {
        let length = observed
            .password_min_length
            .unwrap_or(0)
            .max(DEFAULT_PASSWORD_LENGTH);
        let op = Op::CreateLoginProfile {
            user: user.to_owned(),
            length,
        };
        let why = "generated; to be changed at first sign-in";
        plan.push(Change::new(Action::Create, what, op).because(why));
    } else if !wanted && present {
        let op = Op::DeleteLoginProfile {
            user: user.to_owned(),
        };
        plan.push(Change::new(Action::Delete, what, op));
    }
}

fn roles(plan: &mut Plan, desired: &Desired, observed: &Observed) {
    for (name, role) in &desired.roles {
        let address = format!("role {name}");
        let trust = pretty(&role.trust);
        let attached = match observed.roles.get(name) {
            None => {
                let op = Op::CreateRole {
                    name: name.clone(),
                    trust,
                };
                plan.push(Change::new(Action::Create, address.clone(), op));
                BTreeSet::new()
            }
            Some(seen) => {
                let mark = Op::TagRole { name: name.clone() };
                let mark = (mark, tagging(&seen.tags, &desired.stack));
                let ours = tagged(&seen.tags, &desired.stack);
                if !ours_or_adopted(plan, desired, &address, ours, mark) {
                    continue;
                }
                let same = seen
                    .trust
                    .as_ref()
                    .is_some_and(|t| document::same(t, &role.trust));
                if !same {
                    let op = Op::UpdateTrust {
                        name: name.clone(),
                        trust,
                    };
                    let what = format!("{address}: trust policy");
                    let diff = Diff::Document {
                        before: seen.trust.clone().unwrap_or_default(),
                        after: role.trust.clone(),
                    };
                    let change = Change::new(Action::Update, what, op);
                    plan.push(change.because("trust policy changed").showing(diff));
                }
                seen.policies.clone()
            }
        };
        let wanted = role
            .policies
            .iter()
            .filter_map(|p| desired.policy_arn(p))
            .collect();
        attachments(plan, &address, &wanted, &attached, |attach, arn| {
            let (role, arn) = (name.clone(), arn.to_owned());
            if attach {
                Op::AttachRolePolicy { role, arn }
            } else {
                Op::DetachRolePolicy { role, arn }
            }
        });
    }
}

/// Users and roles that carry the stack's mark but are no longer in the manifest: setup
/// leaves them (removing is teardown's), and says so.
fn dropped(plan: &mut Plan, desired: &Desired, observed: &Observed) {
    let ours = |tags| tagged(tags, &desired.stack);
    let users = observed
        .users
        .iter()
        .filter(|(name, seen)| !desired.users.contains_key(*name) && ours(&seen.tags))
        .map(|(name, _)| format!("user `{name}`"));
    let roles = observed
        .roles
        .iter()
        .filter(|(name, seen)| !desired.roles.contains_key(*name) && ours(&seen.tags))
        .map(|(name, _)| format!("role `{name}`"));
    for what in users.chain(roles) {
        plan.notes.push(format!(
            "{what} is this stack's but the manifest no longer names it: `teardown` removes it"
        ));
    }
}

fn bucket(plan: &mut Plan, desired: &Desired, observed: &Observed) {
    let Some(bucket) = &desired.bucket else {
        return;
    };
    let address = format!("bucket {}", bucket.name);
    let mark = Op::TagBucket {
        name: bucket.name.clone(),
    };
    let tags = observed
        .bucket
        .as_ref()
        .map(|b| b.tags.clone())
        .unwrap_or_default();
    let diff = tagging(&tags, &desired.stack);
    match &observed.bucket {
        None => {
            let op = Op::CreateBucket {
                name: bucket.name.clone(),
                derived: bucket.derived,
            };
            plan.push(Change::new(Action::Create, address, op));
        }
        Some(seen) if !seen.accessible => plan.conflict(
            address,
            "the name is taken by another account; set `name` under [bucket]",
        ),
        Some(seen) if tagged(&seen.tags, &desired.stack) => {}
        Some(seen) if bucket.derived && seen.tags.is_empty() && seen.empty => {
            let why = "an interrupted setup created it and did not tag it";
            plan.push(
                Change::new(Action::Adopt, address, mark)
                    .because(why)
                    .showing(diff),
            );
        }
        Some(_) => {
            ours_or_adopted(plan, desired, &address, false, (mark, diff));
        }
    }
}

fn functions(plan: &mut Plan, desired: &Desired, observed: &Observed) {
    for (name, function) in &desired.functions {
        let address = format!("function {name}");
        // The manifest checks that a function's role is one of its roles.
        let role_arn = observed
            .roles
            .get(&function.role)
            .map(|r| r.arn.clone())
            .filter(|arn| !arn.is_empty())
            .or_else(|| desired.role_arn(&function.role))
            .unwrap_or_default();
        match observed.functions.get(name) {
            None => match &function.code {
                Some(code) => {
                    let op = Op::CreateFunction {
                        name: name.clone(),
                        role_arn,
                        runtime: function.runtime.clone(),
                        handler: function.handler.clone(),
                        code: code.clone(),
                    };
                    let why = format!("code sha256 {}", code.sha256_hex());
                    plan.push(Change::new(Action::Create, address, op).because(why));
                }
                None => plan.notes.push(format!(
                    "function `{name}` is not created: no deployment package was given"
                )),
            },
            Some(seen) => {
                let mark = Op::TagFunction {
                    name: name.clone(),
                    arn: seen.arn.clone(),
                };
                let mark = (mark, tagging(&seen.tags, &desired.stack));
                let ours = tagged(&seen.tags, &desired.stack);
                if ours_or_adopted(plan, desired, &address, ours, mark) {
                    update_function(plan, &address, name, function, seen, role_arn);
                }
            }
        }
    }
}

/// New code when the package differs; new configuration when the role, runtime or handler do.
fn update_function(
    plan: &mut Plan,
    address: &str,
    name: &str,
    function: &DesiredFunction,
    seen: &ObservedFunction,
    role_arn: String,
) {
    if let Some(code) = &function.code
        && code.sha256_base64() != seen.code_sha256
    {
        let op = Op::UpdateFunctionCode {
            name: name.to_owned(),
            code: code.clone(),
        };
        let why = format!("code sha256 {}", code.sha256_hex());
        let diff = Diff::Value {
            before: format!("CodeSha256 {}", seen.code_sha256),
            after: format!("CodeSha256 {}", code.sha256_base64()),
        };
        let change = Change::new(Action::Update, format!("{address}: code"), op);
        plan.push(change.because(why).showing(diff));
    }
    if seen.role != role_arn || seen.runtime != function.runtime || seen.handler != function.handler
    {
        let config = |role: &str, runtime: &str, handler: &str| {
            format!("role {role}, runtime {runtime}, handler {handler}")
        };
        let diff = Diff::Value {
            before: config(&seen.role, &seen.runtime, &seen.handler),
            after: config(&role_arn, &function.runtime, &function.handler),
        };
        let op = Op::UpdateFunctionConfiguration {
            name: name.to_owned(),
            role_arn,
            runtime: function.runtime.clone(),
            handler: function.handler.clone(),
        };
        let what = format!("{address}: configuration");
        let change = Change::new(Action::Update, what, op);
        plan.push(
            change
                .because("role, runtime or handler changed")
                .showing(diff),
        );
    }
}
