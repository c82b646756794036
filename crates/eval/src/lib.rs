//! IAM policy evaluation.
//!
//! ```
//! use iamkit_eval::Decision;
//! assert_eq!(Decision::ImplicitDeny.to_string(), "ImplicitDeny");
//! ```

use std::fmt;

/// The outcome of evaluating a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    /// Some policy allowed the request and none denied it.
    Allow,
    /// A statement with `"Effect": "Deny"` matched the request.
    ExplicitDeny,
    /// No statement allowed the request.
    ImplicitDeny,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Decision;

    #[test]
    fn decisions_display_as_aws_names_them() {
        assert_eq!(Decision::ExplicitDeny.to_string(), "ExplicitDeny");
    }
}
