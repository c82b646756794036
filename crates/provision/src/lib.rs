//! Sets up, verifies and tears down the iamkit baseline. The only crate that talks to AWS.
//!
//! The flow is manifest -> desired -> observed -> plan -> apply:
//!
//! 1. [`load_manifest`] reads `policies/baseline.toml` and every policy file it names, and
//!    reports every problem with its file, line and column, before any call to AWS.
//! 2. [`whoami`] asks STS for the account; [`Desired::new`] fills the manifest in for it.
//! 3. [`observe`] reads what exists of it (reads only): one `GetAccountAuthorizationDetails`
//!    for IAM, then what that call leaves out, for what exists.
//! 4. [`plan`] compares the two: a pure function, tested on plain values. [`teardown_plan`]
//!    lists what teardown removes, in the order AWS requires.
//! 5. [`apply`] makes the changes, each as soon as the changes to its resources it waits for
//!    ([`Plan::waits_for`]) are done, retrying only the named transient errors until a
//!    deadline.
//! 6. [`verify::verify`] proves the account does what the manifest and the article intend:
//!    drift (the plan is empty), the expectations of `policies/expectations.toml` decided by
//!    iamkit-eval over the policies read back, live calls with the principals' own
//!    credentials, and the baseline account controls; one [`verify::Check`] per line.
//!
//! Everything the stack creates is marked: the tag `iamkit:stack=<stack>` on users, roles,
//! policies, the bucket and the function, and the path `/iamkit/<stack>/` on groups, which
//! IAM cannot tag. A resource with a manifest name but without the mark is never changed or
//! deleted: it is a [`Conflict`] (unless [`Desired::adopt`] is set).
//!
//! Every AWS client is built here, once, by [`connect`].
//!
//! ```
//! use std::{collections::BTreeMap, path::Path};
//! use iamkit_provision::{Action, Desired, Identity, Observed, load_manifest, plan};
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

mod apply;
mod clients;
mod desired;
pub mod document;
mod error;
mod manifest;
pub mod mfa;
mod observe;
pub mod password;
mod plan;
mod preflight;
pub mod review;
pub mod verify;

pub use apply::{ApplyOptions, ApplyReport, DEFAULT_PARALLELISM, apply};
pub use clients::{Clients, DEFAULT_REGION, MAX_ATTEMPTS, Target, connect, from_config};
pub use desired::{
    Code, Desired, DesiredBucket, DesiredFunction, DesiredGroup, DesiredPolicy, DesiredRole,
    DesiredUser, GITHUB_OIDC_HOST, Identity, STACK_TAG, trust_policy,
};
pub use error::{Conflict, Error, Failure};
pub use manifest::{
    BucketSpec, FunctionSpec, GroupSpec, Manifest, ManifestError, ManifestErrors, PolicySource,
    RoleSpec, Trust, UserSpec, load_manifest, parse_manifest, read_manifest,
};
pub use observe::{
    Entities, Observed, ObservedBucket, ObservedFunction, ObservedGroup, ObservedPolicy,
    ObservedRole, ObservedUser, PolicyVersion, READ_PARALLELISM, Tags, observe,
    observe_for_teardown, tagged, whoami,
};
pub use plan::{Action, Change, Op, Plan, Resource, plan, teardown_plan};
pub use preflight::{
    Missing, Permission, PermissionCheck, Principal, check_permissions, confirm,
    required_permissions,
};

/// Reads the account and removes everything of the stack's that `desired` names, any group
/// under the stack's path, and any user, role or customer-managed policy with the stack's mark
/// that `desired` no longer names ([`observe_for_teardown`]), in the order AWS requires. Works
/// from any partial state and is idempotent. Returns the plan it carried out.
pub async fn teardown(
    clients: &Clients,
    desired: &Desired,
    options: &ApplyOptions,
    progress: &mut (dyn FnMut(&Change) + Send),
) -> Result<(Plan, ApplyReport), Error> {
    let observed = observe_for_teardown(clients, desired).await?;
    let plan = teardown_plan(desired, &observed);
    let report = apply(clients, &plan, options, progress).await?;
    Ok((plan, report))
}
