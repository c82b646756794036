//! Teardown's plan: everything of the stack's with what hangs on it, in the order AWS
//! requires (detach, then delete), one resource kind at a time.

use std::collections::BTreeSet;

use iamkit_arn::Arn;

use super::{Action, Change, Op, Plan};
use crate::{
    desired::{Desired, name_in_arn},
    marks::MFA_DEVICE_TAG,
    observed::{Observed, ObservedGroup, ObservedPolicy, ObservedRole, ObservedUser, tagged},
};

/// Everything teardown removes: every resource the manifest names that is the stack's (and
/// any group under the stack's path, and any user, role or policy with the stack's mark),
/// with what hangs on it, in the order AWS requires. Resources that are not ours are left
/// alone and listed as notes.
pub fn teardown_plan(desired: &Desired, observed: &Observed) -> Plan {
    let mut removal = Removal {
        plan: Plan::new(desired),
        seen: BTreeSet::new(),
    };
    let stack = &desired.stack;
    for (name, seen) in &observed.functions {
        let address = format!("function {name}");
        if removal.ours(&address, tagged(&seen.tags, stack)) {
            removal.delete(address, Op::DeleteFunction { name: name.clone() });
        }
    }
    bucket(&mut removal, desired, observed);
    for (name, user) in &observed.users {
        if removal.ours(&format!("user {name}"), tagged(&user.tags, stack)) {
            remove_user(&mut removal, desired, name, user);
        }
    }
    for (name, role) in &observed.roles {
        if removal.ours(&format!("role {name}"), tagged(&role.tags, stack)) {
            remove_role(&mut removal, name, role);
        }
    }
    let group_path = desired.group_path();
    for (name, group) in &observed.groups {
        if removal.ours(&format!("group {name}"), group.path == group_path) {
            remove_group(&mut removal, name, group);
        }
    }
    for (name, policy) in &observed.policies {
        if removal.ours(&format!("policy {name}"), tagged(&policy.tags, stack)) {
            remove_policy(&mut removal, name, policy);
        }
    }
    removal.plan.finish()
}

/// The plan being built, and the addresses it holds (a relation reached from both its ends
/// is removed once).
struct Removal {
    plan: Plan,
    seen: BTreeSet<String>,
}

impl Removal {
    fn delete(&mut self, address: String, op: Op) {
        if self.seen.insert(address.clone()) {
            self.plan.push(Change::new(Action::Delete, address, op));
        }
    }

    /// Whether the resource at `address` is ours; if not, a note says it is left alone.
    fn ours(&mut self, address: &str, ours: bool) -> bool {
        if !ours {
            self.plan
                .notes
                .push(format!("{address} is not this stack's: left as it is"));
        }
        ours
    }
}

fn bucket(removal: &mut Removal, desired: &Desired, observed: &Observed) {
    let (Some(bucket), Some(seen)) = (&desired.bucket, &observed.bucket) else {
        return;
    };
    let address = format!("bucket {}", seen.name);
    // What an interrupted setup leaves: the derived name, created and not yet tagged.
    let unfinished = bucket.derived && seen.tags.is_empty() && seen.empty;
    let ours = seen.accessible && (tagged(&seen.tags, &desired.stack) || unfinished);
    if !removal.ours(&address, ours) {
        return;
    }
    let name = seen.name.clone();
    if !seen.empty {
        let op = Op::EmptyBucket { name: name.clone() };
        removal.delete(format!("{address}: objects"), op);
    }
    removal.delete(address, Op::DeleteBucket { name });
}

fn remove_user(removal: &mut Removal, desired: &Desired, name: &str, user: &ObservedUser) {
    let address = format!("user {name}");
    let u = || name.to_owned();
    for group in &user.groups {
        let op = Op::RemoveUserFromGroup {
            user: u(),
            group: group.clone(),
        };
        removal.delete(format!("{address}: member of group {group}"), op);
    }
    if user.login_profile {
        let op = Op::DeleteLoginProfile { user: u() };
        removal.delete(format!("{address}: console password"), op);
    }
    for id in &user.access_keys {
        let op = Op::DeleteAccessKey {
            user: u(),
            id: id.clone(),
        };
        removal.delete(format!("{address}: access key {id}"), op);
    }
    mfa_devices(removal, desired, name, user);
    for arn in &user.policies {
        let op = Op::DetachUserPolicy {
            user: u(),
            arn: arn.clone(),
        };
        removal.delete(format!("{address}: policy {}", name_in_arn(arn)), op);
    }
    for policy in &user.inline {
        let op = Op::DeleteUserPolicy {
            user: u(),
            name: policy.clone(),
        };
        removal.delete(format!("{address}: inline policy {policy}"), op);
    }
    removal.delete(address, Op::DeleteUser { name: u() });
}

/// Devices assigned to the user go with it (IAM refuses to delete a user with one). The
/// device `cargo xtask mfa enroll` created is recorded on the user, and goes too when an
/// interrupted enrolment left it unassigned.
fn mfa_devices(removal: &mut Removal, desired: &Desired, name: &str, user: &ObservedUser) {
    let our_device = user
        .tags
        .get(MFA_DEVICE_TAG)
        .and_then(|device| Arn::mfa_device(&desired.partition, desired.account, "/", device).ok())
        .map(|arn| arn.as_str().to_owned());
    let mut virtual_devices: BTreeSet<String> = user
        .mfa_devices
        .iter()
        .filter(|serial| serial.contains(":mfa/"))
        .cloned()
        .collect();
    virtual_devices.extend(our_device);
    for serial in &user.mfa_devices {
        let op = Op::DeactivateMfaDevice {
            user: name.to_owned(),
            serial: serial.clone(),
        };
        removal.delete(format!("user {name}: mfa device {serial}"), op);
    }
    for serial in virtual_devices {
        let address = format!("virtual mfa device {serial}");
        removal.delete(address, Op::DeleteVirtualMfaDevice { serial });
    }
}

fn remove_role(removal: &mut Removal, name: &str, role: &ObservedRole) {
    let address = format!("role {name}");
    let r = || name.to_owned();
    for arn in &role.policies {
        let op = Op::DetachRolePolicy {
            role: r(),
            arn: arn.clone(),
        };
        removal.delete(format!("{address}: policy {}", name_in_arn(arn)), op);
    }
    for policy in &role.inline {
        let op = Op::DeleteRolePolicy {
            role: r(),
            name: policy.clone(),
        };
        removal.delete(format!("{address}: inline policy {policy}"), op);
    }
    for profile in &role.instance_profiles {
        let op = Op::RemoveRoleFromInstanceProfile {
            role: r(),
            profile: profile.clone(),
        };
        removal.delete(format!("{address}: instance profile {profile}"), op);
    }
    removal.delete(address, Op::DeleteRole { name: r() });
}

fn remove_group(removal: &mut Removal, name: &str, group: &ObservedGroup) {
    let address = format!("group {name}");
    let g = || name.to_owned();
    for member in &group.members {
        let op = Op::RemoveUserFromGroup {
            user: member.clone(),
            group: g(),
        };
        removal.delete(format!("user {member}: member of group {name}"), op);
    }
    for arn in &group.policies {
        let op = Op::DetachGroupPolicy {
            group: g(),
            arn: arn.clone(),
        };
        removal.delete(format!("{address}: policy {}", name_in_arn(arn)), op);
    }
    for policy in &group.inline {
        let op = Op::DeleteGroupPolicy {
            group: g(),
            name: policy.clone(),
        };
        removal.delete(format!("{address}: inline policy {policy}"), op);
    }
    removal.delete(address, Op::DeleteGroup { name: g() });
}

fn remove_policy(removal: &mut Removal, name: &str, policy: &ObservedPolicy) {
    let arn = || policy.arn.clone();
    // AWS refuses to delete an attached policy, even from entities that are not ours.
    let attached = &policy.attached_to;
    for group in &attached.groups {
        let op = Op::DetachGroupPolicy {
            group: group.clone(),
            arn: arn(),
        };
        removal.delete(format!("group {group}: policy {name}"), op);
    }
    for user in &attached.users {
        let op = Op::DetachUserPolicy {
            user: user.clone(),
            arn: arn(),
        };
        removal.delete(format!("user {user}: policy {name}"), op);
    }
    for role in &attached.roles {
        let op = Op::DetachRolePolicy {
            role: role.clone(),
            arn: arn(),
        };
        removal.delete(format!("role {role}: policy {name}"), op);
    }
    let address = format!("policy {name}");
    for version in policy.versions.iter().filter(|v| !v.is_default) {
        let op = Op::DeletePolicyVersion {
            arn: arn(),
            id: version.id.clone(),
        };
        removal.delete(format!("{address}: version {}", version.id), op);
    }
    removal.delete(address, Op::DeletePolicy { arn: arn() });
}
