//! The iamkit stack as data: the manifest, the desired state in an account, the account as it
//! is, and the plan between them. Pure: no AWS SDK, no async runtime; the only IO is reading
//! the manifest's own files ([`load_manifest`]). `iamkit-provision` reads the account and
//! carries plans out; `iamkit-verify` proves the result.
//!
//! The flow is manifest -> review -> desired -> plan:
//!
//! 1. [`load_manifest`] reads `policies/baseline.toml`, every policy file it names and the
//!    `lint.toml` beside it, and reports every problem with its file, line and column.
//! 2. [`review::review`] is the one decision "may this be written": every finding of the linter
//!    about the manifest; [`review::Review::gate`] refuses an error or a security finding that
//!    `lint.toml` does not accept. `load_manifest` and the provisioner's setup flow both ask it.
//! 3. [`Desired::new`] fills the manifest in for the caller's account ([`Identity`]).
//! 4. [`plan`] compares it with the account as it is ([`Observed`]); [`teardown_plan`] lists
//!    what teardown removes, in the order AWS requires. Both are pure functions.
//! 5. [`required_permissions`] maps a plan to the IAM actions its calls need.
//!
//! Everything the stack creates is marked ([`marks`]): the tag `iamkit:stack=<stack>` on users,
//! roles, policies, the bucket and the function, and the path `/iamkit/<stack>/` on groups,
//! which IAM cannot tag. A resource with a manifest name but without the mark is never changed
//! or deleted: it is a [`Conflict`] (unless [`Desired::adopt`] is set).
//!
//! ```
//! use std::{collections::BTreeMap, path::Path};
//! use iamkit_stack::{Action, Desired, Identity, Observed, load_manifest, plan};
//!
//! let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/baseline.toml");
//! let manifest = load_manifest(&file)?;
//! let me = Identity::new("123456789012".parse()?, "arn:aws:iam::123456789012:user/me");
//! let desired = Desired::new(&manifest, &me, "ap-northeast-1", &BTreeMap::new())?;
//!
//! // In an empty account, everything is created.
//! let plan = plan(&desired, &Observed::default());
//! assert!(plan.conflicts.is_empty());
//! assert_eq!(plan.count(Action::Create), plan.changes.len());
//! assert!(plan.changes.iter().any(|c| c.address == "policy develop-s3"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod acceptances;
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
    Action, Change, Conflict, DEFAULT_PASSWORD_LENGTH, Op, Plan, Resource, plan, teardown_plan,
};
pub use policy_file::{ACCOUNT_PLACEHOLDER, lint_policy_file};
pub use review::load_manifest;
pub use snapshot::{
    InlinePolicy, Snapshot, SnapshotGroup, SnapshotPolicy, SnapshotRole, SnapshotUser,
    SnapshotVersion,
};
