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
    ErrorKind, ParseError, ParseErrors, parse, parse_for_account, parse_value, split_resource,
    syntax_errors, validate,
};
pub use wire::{Effect, Version};

/// Whether `version` is one of the two policy language versions IAM accepts.
pub fn is_known_version(version: &str) -> bool {
    Version::from_text(version).is_some()
}
