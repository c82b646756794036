//! Access analysis over an account: what each principal can do, who can do a thing, and
//! every path to admin, each answer decided by the evaluation engine (`iamkit-eval`) and
//! carrying the statements that decided it.
//!
//! - [`Account`] and its parts ([`User`], [`Group`], [`Role`], [`ManagedPolicy`] with every
//!   version, [`Function`]) are plain values; [`load_details`] and [`load_functions`] read
//!   them from what the AWS CLI prints.
//! - [`Analysis`] compiles an account once; then [`Analysis::permissions`] (effective
//!   permissions over the service catalog), [`Analysis::who_can`], [`Analysis::paths`] (paths
//!   to admin-equivalence, one entry per user and role) and [`Analysis::escalations`] (the
//!   principals not meant to be administrators that get there without MFA).
//!
//! No IO, no async runtime, no AWS SDK.
//!
//! ```
//! use iamkit_access::{Analysis, load_details};
//!
//! // The article's account, in short: dev-user may assume admin, whose trust policy trusts
//! // the whole account without MFA; admin holds iam:* on *.
//! let details = r#"{
//!   "UserDetailList": [{"UserName": "dev-user", "Arn": "arn:aws:iam::111122223333:user/dev-user",
//!     "GroupList": [], "UserPolicyList": [{"PolicyName": "assume", "PolicyDocument": {
//!       "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
//!       "Resource": "arn:aws:iam::111122223333:role/admin"}]}}],
//!     "AttachedManagedPolicies": []}],
//!   "RoleDetailList": [{"RoleName": "admin", "Arn": "arn:aws:iam::111122223333:role/admin",
//!     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!       "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]},
//!     "RolePolicyList": [{"PolicyName": "manage-iam", "PolicyDocument": {
//!       "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}}],
//!     "AttachedManagedPolicies": [], "InstanceProfileList": []}]
//! }"#;
//! let account = load_details(details)?;
//! let analysis = Analysis::new(&account);
//! let report = analysis.paths();
//! let dev = &report.principals[0];
//! assert!(!dev.admin && dev.reaches_admin && dev.without_mfa);
//! assert_eq!(dev.via, ["arn:aws:iam::111122223333:role/admin"]);
//! let step = &dev.paths[0].steps[0];
//! assert_eq!(step.technique.name(), "assume-role");
//! assert_eq!(step.statements[0].policy, "inline assume of user dev-user");
//!
//! // The verify check: who, not meant to be an administrator, gets there without MFA.
//! let found = analysis.escalations(&["arn:aws:iam::111122223333:role/admin"]);
//! assert_eq!(found.len(), 1);
//! assert!(found[0].fix.to_string().contains("`require_mfa = true` on role admin"));
//! # Ok::<(), iamkit_access::LoadErrors>(())
//! ```

mod admin;
mod analysis;
mod effective;
mod escalation;
mod graph;
mod load;
mod model;
mod paths;
mod report;
mod steps;
mod subject;
pub mod synthetic;
mod technique;
mod who_can;
mod witness;

pub use admin::AdminProof;
pub use analysis::{AccessError, Analysis, Options};
pub use effective::{ActionPermission, Grant, Permissions, ServicePermissions};
pub use escalation::{Escalation, Fix};
pub use load::{DecodeError, LoadError, LoadErrors, decode_document, load_details, load_functions};
pub use model::{
    Account, Function, Group, InlinePolicy, ManagedPolicy, MfaDevices, ModelError, PolicyVersion,
    Role, User, document,
};
pub use paths::{Path, PathsReport, PrincipalPaths, Step};
pub use subject::StatementRef;
pub use technique::Technique;
pub use who_can::{Allowance, WhoCan};
