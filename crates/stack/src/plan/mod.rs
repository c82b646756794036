//! From desired and observed state to the list of changes: pure, no IO. An [`Op`] is one AWS
//! operation; [`Plan::waits_for`] orders them; [`plan`] (setup) and [`teardown_plan`] build
//! them, one resource kind at a time.

mod diff;
mod setup;
mod teardown;

use serde::Serialize;

use crate::desired::{Code, Desired, name_in_arn};

pub use diff::Diff;
pub use setup::plan;
pub use teardown::teardown_plan;

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
    /// What it changes: before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<Diff>,
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
            diff: None,
            op,
        }
    }

    fn because(mut self, detail: impl Into<String>) -> Change {
        self.detail = Some(detail.into());
        self
    }

    fn showing(mut self, diff: Diff) -> Change {
        self.diff = Some(diff);
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

#[cfg(test)]
mod tests;
