//! The account as it is, for everything a manifest names: plain values that the provisioner
//! reads (`iamkit_provision::observe`) and the plan compares with the desired state.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::marks::STACK_TAG;

/// Tags by key.
pub type Tags = BTreeMap<String, String>;

/// What exists of the manifest's resources (absent ones are simply missing from the maps).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// Managed policies by name.
    pub policies: BTreeMap<String, ObservedPolicy>,
    /// Groups by name: the manifest's, and any others under the stack's path.
    pub groups: BTreeMap<String, ObservedGroup>,
    /// Users by name: the manifest's, and any others with the stack's mark.
    pub users: BTreeMap<String, ObservedUser>,
    /// Roles by name: the manifest's, and any others with the stack's mark.
    pub roles: BTreeMap<String, ObservedRole>,
    /// The bucket, if it exists.
    pub bucket: Option<ObservedBucket>,
    /// Lambda functions by name.
    pub functions: BTreeMap<String, ObservedFunction>,
    /// The minimum length the account's password policy sets, if it has one (read only when
    /// the manifest gives a user a console password).
    pub password_min_length: Option<usize>,
}

/// A managed policy as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedPolicy {
    /// Its ARN.
    pub arn: String,
    /// Its tags.
    pub tags: Tags,
    /// The default version's document, decoded.
    pub document: Option<Value>,
    /// Every version, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// Groups, users and roles it is attached to.
    pub attached_to: Entities,
}

/// One version of a managed policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    /// Whether it is the default version.
    pub is_default: bool,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

/// Names of groups, users and roles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entities {
    /// Group names.
    pub groups: BTreeSet<String>,
    /// User names.
    pub users: BTreeSet<String>,
    /// Role names.
    pub roles: BTreeSet<String>,
}

/// A group as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedGroup {
    /// Its path.
    pub path: String,
    /// Its members' names.
    pub members: BTreeSet<String>,
    /// ARNs of its attached managed policies.
    pub policies: BTreeSet<String>,
    /// Names of its inline policies.
    pub inline: BTreeSet<String>,
}

/// A user as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedUser {
    /// Its tags.
    pub tags: Tags,
    /// Names of its groups.
    pub groups: BTreeSet<String>,
    /// Whether it has a console password.
    pub login_profile: bool,
    /// Its access key ids.
    pub access_keys: BTreeSet<String>,
    /// Serial numbers (ARNs for virtual devices) of its MFA devices.
    pub mfa_devices: BTreeSet<String>,
    /// ARNs of its attached managed policies.
    pub policies: BTreeSet<String>,
    /// Names of its inline policies.
    pub inline: BTreeSet<String>,
}

/// A role as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedRole {
    /// Its ARN.
    pub arn: String,
    /// Its tags.
    pub tags: Tags,
    /// Its trust policy, decoded.
    pub trust: Option<Value>,
    /// ARNs of its attached managed policies.
    pub policies: BTreeSet<String>,
    /// Names of its inline policies.
    pub inline: BTreeSet<String>,
    /// Names of the instance profiles holding it.
    pub instance_profiles: BTreeSet<String>,
}

/// The bucket as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedBucket {
    /// Its name.
    pub name: String,
    /// False when the name is taken by another account (`HeadBucket` answers 403).
    pub accessible: bool,
    /// Its tags.
    pub tags: Tags,
    /// Whether it holds no objects.
    pub empty: bool,
}

/// A Lambda function as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedFunction {
    /// Its tags.
    pub tags: Tags,
    /// Its ARN.
    pub arn: String,
    /// Its execution role's ARN.
    pub role: String,
    /// Its runtime.
    pub runtime: String,
    /// Its handler.
    pub handler: String,
    /// Its code's SHA-256, base64 (`CodeSha256`).
    pub code_sha256: String,
}

/// Whether `tags` mark a resource as `stack`'s.
pub fn tagged(tags: &Tags, stack: &str) -> bool {
    tags.get(STACK_TAG).is_some_and(|v| v == stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_stacks_tag_marks_a_resource_as_ours() {
        let tags = |v: &str| Tags::from([(STACK_TAG.to_owned(), v.to_owned())]);
        assert!(tagged(&tags("iamkit"), "iamkit"));
        assert!(!tagged(&tags("other"), "iamkit"));
        assert!(!tagged(&Tags::new(), "iamkit"));
    }
}
