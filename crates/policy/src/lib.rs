#![doc = include_str!("../README.md")]

mod domain;
pub mod locate;
mod operator;
mod parse;
pub mod wire;

pub use domain::{
    ActionError, ActionMatch, ActionPattern, Condition, Policy, Principal, PrincipalMatch,
    ResourceMatch, Statement,
};
pub use locate::{Position, SourceMap};
pub use operator::{Operator, OperatorError, OperatorKind, SetQualifier};
pub use parse::{
    ErrorKind, ParseError, ParseErrors, parse, parse_for_account, parse_value, render_error,
    split_resource, syntax_errors, validate,
};
pub use wire::{Effect, Version};

/// Whether `version` is one of the two policy language versions IAM accepts.
pub fn is_known_version(version: &str) -> bool {
    Version::from_text(version).is_some()
}

/// The actions a role trust policy governs: AssumeRole in its three forms, and the session
/// actions IAM also reads from the trust policy (`sts:TagSession`, `sts:SetSourceIdentity`,
/// `sts:SetContext`). A role's trust policy must allow them ("Policy evaluation logic"), and it
/// may allow nothing else.
pub const TRUST_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// Whether `action` (`service:Name`, in any case) is one of [`TRUST_ACTIONS`].
///
/// ```
/// assert!(iamkit_policy::is_trust_action("sts:assumerole"));
/// assert!(!iamkit_policy::is_trust_action("sts:GetCallerIdentity"));
/// ```
pub fn is_trust_action(action: &str) -> bool {
    TRUST_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
}
