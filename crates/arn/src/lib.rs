#![doc = include_str!("../README.md")]

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
