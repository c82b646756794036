//! Typed IAM policy documents: wire types that mirror IAM's JSON (with a JSON Schema),
//! a validated domain type with compiled actions and resources, and a parser that reports
//! every problem in a document with its line, column and JSON pointer.
//!
//! ```
//! use iamkit_policy::{ActionMatch, Effect, parse};
//!
//! let policy = parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [{
//!         "Effect": "Allow",
//!         "Action": ["s3:GetObject", "s3:Put*"],
//!         "Resource": "arn:aws:s3:::*/*"
//!     }]
//! }"#).unwrap();
//! let statement = &policy.statements[0];
//! assert_eq!(statement.effect, Effect::Allow);
//! assert!(statement.actions.covers("s3:PutObjectAcl"));
//! let resources = statement.resources.as_ref().unwrap();
//! assert!(resources.patterns()[0].matches("arn:aws:s3:::bucket/hello.txt"));
//! assert!(!resources.patterns()[0].matches("arn:aws:s3:::bucket"));
//!
//! // Serialising keeps the author's shape: the single Resource stays a string.
//! assert!(policy.to_json().contains(r#""Resource":"arn:aws:s3:::*/*""#));
//!
//! let errors = parse(r#"{"Version": "2012-10-17", "Statement": {"Effects": "Allow"}}"#).unwrap_err();
//! assert_eq!(errors.len(), 3);
//! assert_eq!(errors.errors[0].pointer, "/Statement");
//! ```

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
    ErrorKind, ParseError, ParseErrors, parse, parse_for_account, parse_value, syntax_errors,
    validate,
};
pub use wire::{Effect, Version};

/// Whether `version` is one of the two policy language versions IAM accepts.
pub fn is_known_version(version: &str) -> bool {
    Version::from_text(version).is_some()
}
