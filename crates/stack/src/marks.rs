//! How a resource is known to be a stack's: the marks every create carries.
//!
//! Users, roles, customer-managed policies, the bucket and the function carry the tag
//! [`STACK_TAG`]` = <stack>`; groups, which IAM cannot tag, live under [`group_path`]. A user
//! whose virtual MFA device `cargo xtask mfa enroll` created also carries [`MFA_DEVICE_TAG`],
//! the device's name, so that teardown finds a device an interrupted enrolment left unassigned.

/// The tag key that marks a resource as created (or adopted) by a stack.
pub const STACK_TAG: &str = "iamkit:stack";

/// The tag key, on a user, naming the virtual MFA device that enrolment created for it.
pub const MFA_DEVICE_TAG: &str = "iamkit:mfa-device";

/// The path of a stack's groups: `/iamkit/<stack>/`.
pub fn group_path(stack: &str) -> String {
    format!("/iamkit/{stack}/")
}

/// Why a resource with a manifest name is not the stack's, in the plan's words.
pub fn not_tagged(stack: &str) -> String {
    format!("not tagged `{STACK_TAG}={stack}`")
}
