//! Typed AWS ARNs: parse, build, display, and match them as IAM matches resources.
//!
//! - [`Arn`], [`Partition`], [`AccountId`]: `FromStr` and `Display` round-trip exactly, and
//!   errors say which part is wrong and where.
//! - Builders for the ARNs the iamkit baseline uses ([`Arn::iam_user`], [`Arn::iam_role`],
//!   [`Arn::mfa_device`], [`Arn::s3_object`], [`Arn::lambda_function`], ...), checking names
//!   and paths with IAM's rules ([`validate_user_name`], [`validate_path`], ...).
//! - [`Template`]: text with the article's `<account-id>` placeholder.
//! - Policy variables ([`parse_variables`], [`Variable`], [`Segment`]).
//! - [`Pattern`]: a glob with policy variables ([`Syntax`] says which are read, and whether
//!   case matters), compiled once and matched without allocating, the variables' values
//!   looked up at match time ([`Pattern::matches_with`]); and [`ResourcePattern`]: a
//!   policy's `Resource`/`NotResource` entry or `ArnLike` value with IAM's matching rules.
//!
//! No IO, no async: this crate only computes. The `serde` feature adds `Serialize` and
//! `Deserialize` for [`AccountId`], [`Partition`] and [`Arn`], each as its text.
//!
//! ```
//! use iamkit_arn::{AccountId, Arn, Partition, ResourcePattern, Template};
//!
//! let account: AccountId = "123456789012".parse()?;
//! let admin = Arn::iam_role(&Partition::Aws, account, "/", "admin")?;
//! assert_eq!(admin.to_string(), "arn:aws:iam::123456789012:role/admin");
//!
//! // The article writes its policies with a placeholder for the account.
//! let text = Template::parse("arn:aws:iam::<account-id>:role/admin")?.fill(&account);
//! let pattern = ResourcePattern::parse(&text)?;
//! assert!(pattern.matches(admin.as_str()));
//!
//! // develop-s3 grants `s3:*` on objects only: a bucket does not match.
//! let objects = ResourcePattern::parse("arn:aws:s3:::*/*")?;
//! let bucket = Arn::s3_bucket(&Partition::Aws, "iamkit-hello")?;
//! let object = Arn::s3_object(&Partition::Aws, "iamkit-hello", "hello.txt")?;
//! assert!(objects.matches(object.as_str()));
//! assert!(!objects.matches(bucket.as_str()));
//! # Ok::<(), iamkit_arn::ArnError>(())
//! ```

mod account;
mod arn;
mod error;
mod names;
mod pattern;
mod resource;
#[cfg(feature = "serde")]
mod serde_impls;
mod template;
mod variables;

pub use account::{AccountId, Partition};
pub use arn::{Arn, IamResource};
pub use error::{ArnError, ArnPart, NameKind};
pub use names::{
    validate_bucket_name, validate_function_name, validate_group_name, validate_mfa_device_name,
    validate_object_key, validate_path, validate_policy_name, validate_region, validate_role_name,
    validate_role_session_name, validate_user_name,
};
pub use pattern::{Pattern, Syntax};
pub use resource::ResourcePattern;
pub use template::{Placeholder, Template};
pub use variables::{Segment, Variable, has_variables, parse_variables, substitute};
