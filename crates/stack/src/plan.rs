//! From desired and observed state to the list of changes: pure, no IO.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{
    desired::{Code, Desired, name_in_arn},
    document,
    marks::not_tagged,
    observed::{Observed, tagged},
};

/// What a change does to its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Marks an existing resource as the stack's (`--adopt`, or an interrupted setup).
    Adopt,
    /// Creates a resource or relation.
    Create,
    /// Changes a resource in place.
    Update,
    /// Deletes a resource or relation.
    Delete,
}

impl Action {
    /// The sign `terraform plan` would print.
    pub fn sign(self) -> char {
        match self {
            Action::Adopt => '=',
            Action::Create => '+',
            Action::Update => '~',
            Action::Delete => '-',
        }
    }
}

/// One AWS operation (or a short fixed sequence of them) that a change performs.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)] // the variants are the AWS operations of the same names
pub enum Op {
    TagUser {
        name: String,
    },
    TagRole {
        name: String,
    },
    TagPolicy {
        arn: String,
    },
    TagBucket {
        name: String,
    },
    TagFunction {
        name: String,
        arn: String,
    },
    MoveGroup {
        name: String,
        path: String,
    },
    CreatePolicy {
        name: String,
        arn: String,
        document: String,
    },
    UpdatePolicy {
        arn: String,
        document: String,
        delete_version: Option<String>,
    },
    CreateGroup {
        name: String,
        path: String,
    },
    CreateUser {
        name: String,
    },
    CreateRole {
        name: String,
        trust: String,
    },
    UpdateTrust {
        name: String,
        trust: String,
    },
    /// `derived`: the name is the one setup derives (not the manifest's).
    CreateBucket {
        name: String,
        derived: bool,
    },
    AttachGroupPolicy {
        group: String,
        arn: String,
    },
    DetachGroupPolicy {
        group: String,
        arn: String,
    },
    AttachRolePolicy {
        role: String,
        arn: String,
    },
    DetachRolePolicy {
        role: String,
        arn: String,
    },
    DetachUserPolicy {
        user: String,
        arn: String,
    },
    AddUserToGroup {
        user: String,
        group: String,
    },
    RemoveUserFromGroup {
        user: String,
        group: String,
    },
    /// `length`: the generated password's, at least the account password policy's minimum.
    CreateLoginProfile {
        user: String,
        length: usize,
    },
    DeleteLoginProfile {
        user: String,
    },
    CreateFunction {
        name: String,
        role_arn: String,
        runtime: String,
        handler: String,
        code: Code,
    },
    UpdateFunctionCode {
        name: String,
        code: Code,
    },
    UpdateFunctionConfiguration {
        name: String,
        role_arn: String,
        runtime: String,
        handler: String,
    },
    DeleteFunction {
        name: String,
    },
    EmptyBucket {
        name: String,
    },
    DeleteBucket {
        name: String,
    },
    DeleteAccessKey {
        user: String,
        id: String,
    },
    DeactivateMfaDevice {
        user: String,
        serial: String,
    },
    DeleteVirtualMfaDevice {
        serial: String,
    },
    DeleteUserPolicy {
        user: String,
        name: String,
    },
    DeleteGroupPolicy {
        group: String,
        name: String,
    },
    DeleteRolePolicy {
        role: String,
        name: String,
    },
    RemoveRoleFromInstanceProfile {
        role: String,
        profile: String,
    },
    DeletePolicyVersion {
        arn: String,
        id: String,
    },
    DeleteUser {
        name: String,
    },
    DeleteRole {
        name: String,
    },
    DeleteGroup {
        name: String,
    },
    DeletePolicy {
        arn: String,
    },
}

impl Op {
    /// The step this operation belongs to. The steps order the operations on one resource the
    /// way AWS requires: a policy is created before it is attached, and detached before it is
    /// deleted. Operations on unrelated resources do not wait for each other (see
    /// [`Plan::waits_for`]).
    pub fn step(&self) -> u8 {
        use Op::*;
        match self {
            // Setup: mark what we take over, then create resources, then relate them (the
            // function needs its role to exist, not the role's policies), then new code for
            // a function whose configuration may change first (Lambda takes one update at
            // a time).
            TagUser { .. } | TagRole { .. } | TagPolicy { .. } | TagFunction { .. } => 0,
            MoveGroup { .. } | TagBucket { .. } => 0,
            CreatePolicy { .. } | UpdatePolicy { .. } | CreateGroup { .. } | CreateUser { .. } => 1,
            CreateRole { .. } | UpdateTrust { .. } | CreateBucket { .. } => 1,
            AttachGroupPolicy { .. } | AttachRolePolicy { .. } | AddUserToGroup { .. } => 2,
            CreateLoginProfile { .. } | CreateFunction { .. } => 2,
            UpdateFunctionConfiguration { .. } => 2,
            UpdateFunctionCode { .. } => 3,
            // Teardown (and relations setup removes): everything that hangs on a user, group,
            // role or policy goes first.
            DetachGroupPolicy { .. } | DetachRolePolicy { .. } | DetachUserPolicy { .. } => 4,
            RemoveUserFromGroup { .. } | DeleteLoginProfile { .. } | DeleteAccessKey { .. } => 4,
            DeactivateMfaDevice { .. } | DeleteUserPolicy { .. } | DeleteGroupPolicy { .. } => 4,
            DeleteRolePolicy { .. } | RemoveRoleFromInstanceProfile { .. } => 4,
            DeletePolicyVersion { .. } | DeleteFunction { .. } | EmptyBucket { .. } => 4,
            DeleteVirtualMfaDevice { .. } | DeleteBucket { .. } | DeleteUser { .. } => 5,
            DeleteRole { .. } | DeleteGroup { .. } => 5,
            DeletePolicy { .. } => 6,
        }
    }

    /// The resources this operation reads or changes, by kind and name. Two operations that
    /// share one run in the order of their steps.
    pub fn resources(&self) -> Vec<Resource<'_>> {
        use Op::*;
        use Resource as R;
        match self {
            TagUser { name } | CreateUser { name } | DeleteUser { name } => vec![R::User(name)],
            TagRole { name } | CreateRole { name, .. } | UpdateTrust { name, .. } => {
                vec![R::Role(name)]
            }
            DeleteRole { name } => vec![R::Role(name)],
            TagPolicy { arn }
            | UpdatePolicy { arn, .. }
            | DeletePolicyVersion { arn, .. }
            | DeletePolicy { arn } => vec![R::Policy(name_in_arn(arn))],
            CreatePolicy { name, .. } => vec![R::Policy(name)],
            TagBucket { name } | CreateBucket { name, .. } => vec![R::Bucket(name)],
            EmptyBucket { name } | DeleteBucket { name } => vec![R::Bucket(name)],
            TagFunction { name, .. }
            | UpdateFunctionCode { name, .. }
            | DeleteFunction { name } => vec![R::Function(name)],
            CreateFunction { name, role_arn, .. }
            | UpdateFunctionConfiguration { name, role_arn, .. } => {
                vec![R::Function(name), R::Role(name_in_arn(role_arn))]
            }
            MoveGroup { name, .. } | CreateGroup { name, .. } | DeleteGroup { name } => {
                vec![R::Group(name)]
            }
            AttachGroupPolicy { group, arn } | DetachGroupPolicy { group, arn } => {
                vec![R::Group(group), R::Policy(name_in_arn(arn))]
            }
            AttachRolePolicy { role, arn } | DetachRolePolicy { role, arn } => {
                vec![R::Role(role), R::Policy(name_in_arn(arn))]
            }
            DetachUserPolicy { user, arn } => vec![R::User(user), R::Policy(name_in_arn(arn))],
            AddUserToGroup { user, group } | RemoveUserFromGroup { user, group } => {
                vec![R::User(user), R::Group(group)]
            }
            CreateLoginProfile { user, .. } | DeleteLoginProfile { user } => vec![R::User(user)],
            DeleteAccessKey { user, .. } => vec![R::User(user)],
            DeleteUserPolicy { user, .. } => vec![R::User(user)],
            DeactivateMfaDevice { user, serial } => vec![R::User(user), R::MfaDevice(serial)],
            DeleteVirtualMfaDevice { serial } => vec![R::MfaDevice(serial)],
            DeleteGroupPolicy { group, .. } => vec![R::Group(group)],
            DeleteRolePolicy { role, .. } => vec![R::Role(role)],
            RemoveRoleFromInstanceProfile { role, .. } => vec![R::Role(role)],
        }
    }

    /// Whether this operation talks to Lambda (whose retry budget is longer).
    pub fn is_lambda(&self) -> bool {
        matches!(
            self,
            Op::CreateFunction { .. }
                | Op::UpdateFunctionCode { .. }
                | Op::UpdateFunctionConfiguration { .. }
                | Op::DeleteFunction { .. }
                | Op::TagFunction { .. }
        )
    }
}

/// A resource an operation touches: its kind and name (a policy by its name, which is unique in
/// an account whatever its path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)] // the variants are the kinds of resource
pub enum Resource<'a> {
    Policy(&'a str),
    Group(&'a str),
    User(&'a str),
    Role(&'a str),
    Bucket(&'a str),
    Function(&'a str),
    MfaDevice(&'a str),
}

/// A resource with a manifest name that the stack does not own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The resource, as the plan names it (`user dev-user`).
    pub address: String,
    /// Why it is not ours.
    pub reason: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.address, self.reason)
    }
}

/// The length of a generated console password unless the account's password policy asks for
/// more.
pub const DEFAULT_PASSWORD_LENGTH: usize = 20;

/// One change to one resource or relation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// What it does.
    pub action: Action,
    /// What it is about: `policy develop-s3`, `group developer: policy develop-s3`, ...
    pub address: String,
    /// Why, when it is not obvious (`document changed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The AWS operation.
    #[serde(skip)]
    pub op: Op,
}

impl Change {
    fn new(action: Action, address: String, op: Op) -> Change {
        Change {
            action,
            address,
            detail: None,
            op,
        }
    }

    fn because(mut self, detail: impl Into<String>) -> Change {
        self.detail = Some(detail.into());
        self
    }
}

/// Everything setup (or teardown) would do, and what stops it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    /// The stack.
    pub stack: String,
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
    /// The changes, in the order they run.
    pub changes: Vec<Change>,
    /// Resources with the manifest's names that are not ours: apply refuses while any exist.
    pub conflicts: Vec<Conflict>,
    /// Things worth knowing that change nothing.
    pub notes: Vec<String>,
}

impl Plan {
    fn new(desired: &Desired) -> Plan {
        Plan {
            stack: desired.stack.clone(),
            account: desired.account.to_string(),
            region: desired.region.clone(),
            ..Plan::default()
        }
    }

    fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    fn conflict(&mut self, address: String, reason: impl Into<String>) {
        self.conflicts.push(Conflict {
            address,
            reason: reason.into(),
        });
    }

    fn finish(mut self) -> Plan {
        // Stable: within a step, the order the plan was built in (resource by resource).
        self.changes.sort_by_key(|c| c.op.step());
        self
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes of `action`.
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// For each change (by index), the changes it waits for: every change of an earlier step
    /// that touches one of its resources. Changes that wait for nothing may run at once.
    pub fn waits_for(&self) -> Vec<Vec<usize>> {
        let ops: Vec<(u8, Vec<Resource<'_>>)> = self
            .changes
            .iter()
            .map(|c| (c.op.step(), c.op.resources()))
            .collect();
        ops.iter()
            .map(|(step, mine)| {
                ops.iter()
                    .enumerate()
                    .filter(|(_, (before, theirs))| {
                        before < step && theirs.iter().any(|r| mine.contains(r))
                    })
                    .map(|(j, _)| j)
                    .collect()
            })
            .collect()
    }

    /// The number of changes on the longest chain of changes that wait for each other: with
    /// enough parallelism, how many rounds of requests `apply` needs (0 for an empty plan).
    pub fn depth(&self) -> usize {
        // Changes are sorted by step and a change waits only for earlier steps, so one pass
        // in order sees every change after those it waits for.
        let mut level: Vec<usize> = Vec::with_capacity(self.changes.len());
        for before in self.waits_for() {
            let deepest = before.iter().filter_map(|&j| level.get(j)).max();
            level.push(1 + deepest.copied().unwrap_or(0));
        }
        level.into_iter().max().unwrap_or(0)
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The changes that bring `observed` to `desired`. Resources with a manifest name that are
/// not marked as the stack's are conflicts (or, with [`Desired::adopt`], adopted).
pub fn plan(desired: &Desired, observed: &Observed) -> Plan {
    let mut plan = Plan::new(desired);
    let stack = &desired.stack;
    let adopt = desired.adopt;

    for (name, policy) in &desired.policies {
        let address = format!("policy {name}");
        let Some(seen) = observed.policies.get(name) else {
            plan.push(Change::new(
                Action::Create,
                address,
                Op::CreatePolicy {
                    name: name.clone(),
                    arn: policy.arn.clone(),
                    document: pretty(&policy.document),
                },
            ));
            continue;
        };
        if !tagged(&seen.tags, stack) {
            if !adopt {
                plan.conflict(address, not_tagged(stack));
                continue;
            }
            plan.push(Change::new(
                Action::Adopt,
                address.clone(),
                Op::TagPolicy {
                    arn: seen.arn.clone(),
                },
            ));
        }
        let same = seen
            .document
            .as_ref()
            .is_some_and(|d| document::same(d, &policy.document));
        if !same {
            let delete_version = (seen.versions.len() >= 5)
                .then(|| seen.versions.iter().find(|v| !v.is_default))
                .flatten()
                .map(|v| v.id.clone());
            let detail = match &delete_version {
                Some(v) => format!("document changed; a new default version replaces {v}"),
                None => "document changed; a new default version".to_owned(),
            };
            plan.push(
                Change::new(
                    Action::Update,
                    address,
                    Op::UpdatePolicy {
                        arn: seen.arn.clone(),
                        document: pretty(&policy.document),
                        delete_version,
                    },
                )
                .because(detail),
            );
        }
    }

    let ours_or_adopted = |plan: &mut Plan, address: &str, is_ours: bool, tag: Op| -> bool {
        if is_ours {
            return true;
        }
        if adopt {
            plan.push(Change::new(Action::Adopt, address.to_owned(), tag));
            true
        } else {
            false
        }
    };

    for (name, group) in &desired.groups {
        let address = format!("group {name}");
        let attached = match observed.groups.get(name) {
            None => {
                plan.push(Change::new(
                    Action::Create,
                    address.clone(),
                    Op::CreateGroup {
                        name: name.clone(),
                        path: group.path.clone(),
                    },
                ));
                BTreeSet::new()
            }
            Some(seen) => {
                let move_group = Op::MoveGroup {
                    name: name.clone(),
                    path: group.path.clone(),
                };
                if !ours_or_adopted(&mut plan, &address, seen.path == group.path, move_group) {
                    plan.conflict(
                        address,
                        format!("its path is `{}`, not `{}`", seen.path, group.path),
                    );
                    continue;
                }
                seen.policies.clone()
            }
        };
        let wanted: BTreeSet<String> = group
            .policies
            .iter()
            .map(|p| desired.policy_arn(p))
            .collect();
        for arn in wanted.difference(&attached) {
            plan.push(Change::new(
                Action::Create,
                format!("{address}: policy {}", name_in_arn(arn)),
                Op::AttachGroupPolicy {
                    group: name.clone(),
                    arn: arn.clone(),
                },
            ));
        }
        for arn in attached.difference(&wanted) {
            plan.push(
                Change::new(
                    Action::Delete,
                    format!("{address}: policy {}", name_in_arn(arn)),
                    Op::DetachGroupPolicy {
                        group: name.clone(),
                        arn: arn.clone(),
                    },
                )
                .because("not in the manifest"),
            );
        }
    }

    for (name, user) in &desired.users {
        let address = format!("user {name}");
        let (groups, login_profile) = match observed.users.get(name) {
            None => {
                plan.push(Change::new(
                    Action::Create,
                    address.clone(),
                    Op::CreateUser { name: name.clone() },
                ));
                (BTreeSet::new(), false)
            }
            Some(seen) => {
                let tag = Op::TagUser { name: name.clone() };
                if !ours_or_adopted(&mut plan, &address, tagged(&seen.tags, stack), tag) {
                    plan.conflict(address, not_tagged(stack));
                    continue;
                }
                (seen.groups.clone(), seen.login_profile)
            }
        };
        for group in user.groups.difference(&groups) {
            plan.push(Change::new(
                Action::Create,
                format!("{address}: member of group {group}"),
                Op::AddUserToGroup {
                    user: name.clone(),
                    group: group.clone(),
                },
            ));
        }
        // Memberships in groups the manifest does not name are not ours to remove.
        for group in groups
            .difference(&user.groups)
            .filter(|g| desired.groups.contains_key(*g))
        {
            plan.push(
                Change::new(
                    Action::Delete,
                    format!("{address}: member of group {group}"),
                    Op::RemoveUserFromGroup {
                        user: name.clone(),
                        group: group.clone(),
                    },
                )
                .because("not in the manifest"),
            );
        }
        if user.console && !login_profile {
            plan.push(
                Change::new(
                    Action::Create,
                    format!("{address}: console password"),
                    Op::CreateLoginProfile {
                        user: name.clone(),
                        length: observed
                            .password_min_length
                            .unwrap_or(0)
                            .max(DEFAULT_PASSWORD_LENGTH),
                    },
                )
                .because("generated; to be changed at first sign-in"),
            );
        } else if !user.console && login_profile {
            plan.push(Change::new(
                Action::Delete,
                format!("{address}: console password"),
                Op::DeleteLoginProfile { user: name.clone() },
            ));
        }
    }

    for (name, role) in &desired.roles {
        let address = format!("role {name}");
        let trust = pretty(&role.trust);
        let attached = match observed.roles.get(name) {
            None => {
                plan.push(Change::new(
                    Action::Create,
                    address.clone(),
                    Op::CreateRole {
                        name: name.clone(),
                        trust,
                    },
                ));
                BTreeSet::new()
            }
            Some(seen) => {
                let tag = Op::TagRole { name: name.clone() };
                if !ours_or_adopted(&mut plan, &address, tagged(&seen.tags, stack), tag) {
                    plan.conflict(address, not_tagged(stack));
                    continue;
                }
                if !seen
                    .trust
                    .as_ref()
                    .is_some_and(|t| document::same(t, &role.trust))
                {
                    plan.push(
                        Change::new(
                            Action::Update,
                            format!("{address}: trust policy"),
                            Op::UpdateTrust {
                                name: name.clone(),
                                trust,
                            },
                        )
                        .because("trust policy changed"),
                    );
                }
                seen.policies.clone()
            }
        };
        let wanted: BTreeSet<String> = role
            .policies
            .iter()
            .map(|p| desired.policy_arn(p))
            .collect();
        for arn in wanted.difference(&attached) {
            plan.push(Change::new(
                Action::Create,
                format!("{address}: policy {}", name_in_arn(arn)),
                Op::AttachRolePolicy {
                    role: name.clone(),
                    arn: arn.clone(),
                },
            ));
        }
        for arn in attached.difference(&wanted) {
            plan.push(
                Change::new(
                    Action::Delete,
                    format!("{address}: policy {}", name_in_arn(arn)),
                    Op::DetachRolePolicy {
                        role: name.clone(),
                        arn: arn.clone(),
                    },
                )
                .because("not in the manifest"),
            );
        }
    }

    // Users and roles that carry the stack's mark but are no longer in the manifest: setup
    // leaves them (removing is teardown's), and says so.
    let dropped = observed
        .users
        .iter()
        .filter(|(name, seen)| !desired.users.contains_key(*name) && tagged(&seen.tags, stack))
        .map(|(name, _)| format!("user `{name}`"))
        .chain(
            observed
                .roles
                .iter()
                .filter(|(name, seen)| {
                    !desired.roles.contains_key(*name) && tagged(&seen.tags, stack)
                })
                .map(|(name, _)| format!("role `{name}`")),
        );
    for what in dropped.collect::<Vec<_>>() {
        plan.notes.push(format!(
            "{what} is this stack's but the manifest no longer names it: `teardown` removes it"
        ));
    }

    if let Some(bucket) = &desired.bucket {
        let address = format!("bucket {}", bucket.name);
        match &observed.bucket {
            None => plan.push(Change::new(
                Action::Create,
                address,
                Op::CreateBucket {
                    name: bucket.name.clone(),
                    derived: bucket.derived,
                },
            )),
            Some(seen) if !seen.accessible => plan.conflict(
                address,
                "the name is taken by another account; set `name` under [bucket]",
            ),
            Some(seen) if tagged(&seen.tags, stack) => {}
            Some(seen) if bucket.derived && seen.tags.is_empty() && seen.empty => {
                plan.push(
                    Change::new(
                        Action::Adopt,
                        address,
                        Op::TagBucket {
                            name: bucket.name.clone(),
                        },
                    )
                    .because("an interrupted setup created it and did not tag it"),
                );
            }
            Some(_) if adopt => plan.push(Change::new(
                Action::Adopt,
                address,
                Op::TagBucket {
                    name: bucket.name.clone(),
                },
            )),
            Some(_) => plan.conflict(address, not_tagged(stack)),
        }
    }

    for (name, function) in &desired.functions {
        let address = format!("function {name}");
        let role_arn = observed
            .roles
            .get(&function.role)
            .map(|r| r.arn.clone())
            .filter(|arn| !arn.is_empty())
            .unwrap_or_else(|| desired.role_arn(&function.role));
        match observed.functions.get(name) {
            None => match &function.code {
                Some(code) => plan.push(
                    Change::new(
                        Action::Create,
                        address,
                        Op::CreateFunction {
                            name: name.clone(),
                            role_arn,
                            runtime: function.runtime.clone(),
                            handler: function.handler.clone(),
                            code: code.clone(),
                        },
                    )
                    .because(format!("code sha256 {}", code.sha256_hex())),
                ),
                None => plan.notes.push(format!(
                    "function `{name}` is not created: no deployment package was given"
                )),
            },
            Some(seen) => {
                let tag = Op::TagFunction {
                    name: name.clone(),
                    arn: seen.arn.clone(),
                };
                if !ours_or_adopted(&mut plan, &address, tagged(&seen.tags, stack), tag) {
                    plan.conflict(address, not_tagged(stack));
                    continue;
                }
                if let Some(code) = &function.code
                    && code.sha256_base64() != seen.code_sha256
                {
                    plan.push(
                        Change::new(
                            Action::Update,
                            format!("{address}: code"),
                            Op::UpdateFunctionCode {
                                name: name.clone(),
                                code: code.clone(),
                            },
                        )
                        .because(format!("code sha256 {}", code.sha256_hex())),
                    );
                }
                if seen.role != role_arn
                    || seen.runtime != function.runtime
                    || seen.handler != function.handler
                {
                    plan.push(
                        Change::new(
                            Action::Update,
                            format!("{address}: configuration"),
                            Op::UpdateFunctionConfiguration {
                                name: name.clone(),
                                role_arn,
                                runtime: function.runtime.clone(),
                                handler: function.handler.clone(),
                            },
                        )
                        .because("role, runtime or handler changed"),
                    );
                }
            }
        }
    }
    plan.finish()
}

/// Everything teardown removes: every resource the manifest names that is the stack's (and
/// any group under the stack's path), with what hangs on it, in the order AWS requires.
/// Resources that are not ours are left alone and listed as notes.
pub fn teardown_plan(desired: &Desired, observed: &Observed) -> Plan {
    let mut plan = Plan::new(desired);
    let stack = &desired.stack;
    let group_path = desired.group_path();
    let mut seen_addresses = BTreeSet::new();
    let mut push = |plan: &mut Plan, change: Change| {
        if seen_addresses.insert(change.address.clone()) {
            plan.push(change);
        }
    };
    let not_ours = |plan: &mut Plan, address: &str| {
        plan.notes
            .push(format!("{address} is not this stack's: left as it is"));
    };

    for (name, seen) in &observed.functions {
        let address = format!("function {name}");
        if !tagged(&seen.tags, stack) {
            not_ours(&mut plan, &address);
            continue;
        }
        push(
            &mut plan,
            Change::new(
                Action::Delete,
                address,
                Op::DeleteFunction { name: name.clone() },
            ),
        );
    }

    if let (Some(bucket), Some(seen)) = (&desired.bucket, &observed.bucket) {
        let address = format!("bucket {}", seen.name);
        let unfinished = bucket.derived && seen.tags.is_empty() && seen.empty;
        if seen.accessible && (tagged(&seen.tags, stack) || unfinished) {
            if !seen.empty {
                push(
                    &mut plan,
                    Change::new(
                        Action::Delete,
                        format!("{address}: objects"),
                        Op::EmptyBucket {
                            name: seen.name.clone(),
                        },
                    ),
                );
            }
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    address,
                    Op::DeleteBucket {
                        name: seen.name.clone(),
                    },
                ),
            );
        } else {
            not_ours(&mut plan, &address);
        }
    }

    for (name, user) in &observed.users {
        let address = format!("user {name}");
        if !tagged(&user.tags, stack) {
            not_ours(&mut plan, &address);
            continue;
        }
        for group in &user.groups {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: member of group {group}"),
                    Op::RemoveUserFromGroup {
                        user: name.clone(),
                        group: group.clone(),
                    },
                ),
            );
        }
        if user.login_profile {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: console password"),
                    Op::DeleteLoginProfile { user: name.clone() },
                ),
            );
        }
        for id in &user.access_keys {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: access key {id}"),
                    Op::DeleteAccessKey {
                        user: name.clone(),
                        id: id.clone(),
                    },
                ),
            );
        }
        // Devices assigned to the user go with it (IAM refuses to delete a user with one).
        // The device `cargo xtask mfa enroll` created is recorded on the user, and goes too
        // when an interrupted enrolment left it unassigned.
        let our_device = user.tags.get(crate::marks::MFA_DEVICE_TAG).map(|device| {
            format!(
                "arn:{}:iam::{}:mfa/{device}",
                desired.partition, desired.account
            )
        });
        let mut devices: BTreeSet<String> = user
            .mfa_devices
            .iter()
            .filter(|serial| serial.contains(":mfa/"))
            .cloned()
            .collect();
        devices.extend(our_device);
        for serial in &user.mfa_devices {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: mfa device {serial}"),
                    Op::DeactivateMfaDevice {
                        user: name.clone(),
                        serial: serial.clone(),
                    },
                ),
            );
        }
        for serial in devices {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("virtual mfa device {serial}"),
                    Op::DeleteVirtualMfaDevice { serial },
                ),
            );
        }
        for arn in &user.policies {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: policy {}", name_in_arn(arn)),
                    Op::DetachUserPolicy {
                        user: name.clone(),
                        arn: arn.clone(),
                    },
                ),
            );
        }
        for policy in &user.inline {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: inline policy {policy}"),
                    Op::DeleteUserPolicy {
                        user: name.clone(),
                        name: policy.clone(),
                    },
                ),
            );
        }
        push(
            &mut plan,
            Change::new(
                Action::Delete,
                address,
                Op::DeleteUser { name: name.clone() },
            ),
        );
    }

    for (name, role) in &observed.roles {
        let address = format!("role {name}");
        if !tagged(&role.tags, stack) {
            not_ours(&mut plan, &address);
            continue;
        }
        for arn in &role.policies {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: policy {}", name_in_arn(arn)),
                    Op::DetachRolePolicy {
                        role: name.clone(),
                        arn: arn.clone(),
                    },
                ),
            );
        }
        for policy in &role.inline {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: inline policy {policy}"),
                    Op::DeleteRolePolicy {
                        role: name.clone(),
                        name: policy.clone(),
                    },
                ),
            );
        }
        for profile in &role.instance_profiles {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: instance profile {profile}"),
                    Op::RemoveRoleFromInstanceProfile {
                        role: name.clone(),
                        profile: profile.clone(),
                    },
                ),
            );
        }
        push(
            &mut plan,
            Change::new(
                Action::Delete,
                address,
                Op::DeleteRole { name: name.clone() },
            ),
        );
    }

    for (name, group) in &observed.groups {
        let address = format!("group {name}");
        if group.path != group_path {
            not_ours(&mut plan, &address);
            continue;
        }
        for member in &group.members {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("user {member}: member of group {name}"),
                    Op::RemoveUserFromGroup {
                        user: member.clone(),
                        group: name.clone(),
                    },
                ),
            );
        }
        for arn in &group.policies {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: policy {}", name_in_arn(arn)),
                    Op::DetachGroupPolicy {
                        group: name.clone(),
                        arn: arn.clone(),
                    },
                ),
            );
        }
        for policy in &group.inline {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: inline policy {policy}"),
                    Op::DeleteGroupPolicy {
                        group: name.clone(),
                        name: policy.clone(),
                    },
                ),
            );
        }
        push(
            &mut plan,
            Change::new(
                Action::Delete,
                address,
                Op::DeleteGroup { name: name.clone() },
            ),
        );
    }

    for (name, policy) in &observed.policies {
        let address = format!("policy {name}");
        if !tagged(&policy.tags, stack) {
            not_ours(&mut plan, &address);
            continue;
        }
        // AWS refuses to delete an attached policy, even from entities that are not ours.
        let attached = &policy.attached_to;
        for group in &attached.groups {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("group {group}: policy {name}"),
                    Op::DetachGroupPolicy {
                        group: group.clone(),
                        arn: policy.arn.clone(),
                    },
                ),
            );
        }
        for user in &attached.users {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("user {user}: policy {name}"),
                    Op::DetachUserPolicy {
                        user: user.clone(),
                        arn: policy.arn.clone(),
                    },
                ),
            );
        }
        for role in &attached.roles {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("role {role}: policy {name}"),
                    Op::DetachRolePolicy {
                        role: role.clone(),
                        arn: policy.arn.clone(),
                    },
                ),
            );
        }
        for version in policy.versions.iter().filter(|v| !v.is_default) {
            push(
                &mut plan,
                Change::new(
                    Action::Delete,
                    format!("{address}: version {}", version.id),
                    Op::DeletePolicyVersion {
                        arn: policy.arn.clone(),
                        id: version.id.clone(),
                    },
                ),
            );
        }
        push(
            &mut plan,
            Change::new(
                Action::Delete,
                address,
                Op::DeletePolicy {
                    arn: policy.arn.clone(),
                },
            ),
        );
    }
    plan.finish()
}

#[cfg(test)]
mod tests;
