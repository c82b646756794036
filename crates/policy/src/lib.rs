//! Typed IAM policy documents.
//!
//! ```
//! assert!(iamkit_policy::is_known_version("2012-10-17"));
//! ```

pub mod catalog;
pub mod lint;

/// Whether `version` is one of the two policy language versions IAM accepts.
pub fn is_known_version(version: &str) -> bool {
    matches!(version, "2012-10-17" | "2008-10-17")
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions() {
        assert!(super::is_known_version("2008-10-17"));
        assert!(!super::is_known_version("2012-10-18"));
    }
}
