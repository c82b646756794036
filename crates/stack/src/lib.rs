#![doc = include_str!("../README.md")]

mod acceptances;
pub mod access;
mod desired;
pub mod document;
mod located;
mod manifest;
pub mod marks;
mod observed;
mod permissions;
mod plan;
mod policy_file;
pub mod review;
mod snapshot;

pub use acceptances::{ACCEPTANCES, parse_acceptances};
pub use desired::{
    Code, Desired, DesiredBucket, DesiredFunction, DesiredGroup, DesiredPolicy, DesiredRole,
    DesiredUser, GITHUB_OIDC_HOST, Identity, name_in_arn, trust_policy,
};
pub use located::{ManifestError, ManifestErrors, line_column};
pub use manifest::{
    BucketSpec, FunctionSpec, GroupSpec, Manifest, PolicySource, RoleSpec, Trust, UserSpec,
    parse_manifest, read_manifest,
};
pub use marks::STACK_TAG;
pub use observed::{
    Entities, Observed, ObservedBucket, ObservedFunction, ObservedGroup, ObservedPolicy,
    ObservedRole, ObservedUser, PolicyVersion, Tags, tagged,
};
pub use permissions::{Missing, Permission, required_permissions};
pub use plan::{
    Action, Change, Conflict, DEFAULT_PASSWORD_LENGTH, Diff, Op, Plan, Resource, plan,
    teardown_plan,
};
pub use policy_file::{ACCOUNT_PLACEHOLDER, lint_policy_file};
pub use review::load_manifest;
pub use snapshot::{
    InlinePolicy, Snapshot, SnapshotGroup, SnapshotPolicy, SnapshotRole, SnapshotUser,
    SnapshotVersion,
};
