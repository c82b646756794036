//! The one error type of the crate, and the names it uses for ARN parts and IAM names.

use std::fmt;

/// What is wrong with an ARN, one of its parts, an IAM name, a template or a pattern.
///
/// Every variant carries the offending text; those about a longer input also carry the
/// 1-based column (in characters) where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArnError {
    /// Text with fewer than six colon-separated parts.
    #[error("invalid ARN `{input}`: expected 6 colon-separated parts, found {found}")]
    PartCount {
        /// The whole text.
        input: String,
        /// How many parts it has.
        found: usize,
    },
    /// One part of an ARN is malformed.
    #[error("invalid ARN `{input}`: {part} `{value}` at column {column}: {reason}")]
    Part {
        /// The whole text.
        input: String,
        /// Which part is wrong.
        part: ArnPart,
        /// The text of that part.
        value: String,
        /// 1-based column of the part in `input`.
        column: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// An account id that is not exactly twelve ASCII digits.
    #[error("invalid account id `{input}`: expected 12 digits")]
    AccountId {
        /// The text given as an account id.
        input: String,
    },
    /// A partition name that is empty or has characters other than `a-z`, `0-9` and `-`.
    #[error("invalid partition `{input}`: expected lowercase letters, digits and `-`")]
    Partition {
        /// The text given as a partition.
        input: String,
    },
    /// An IAM name (user, role, group, policy, MFA device, ...) that breaks IAM's rules.
    #[error("invalid {kind} `{name}`: {reason}")]
    Name {
        /// What kind of name it is.
        kind: NameKind,
        /// The name as given.
        name: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// An IAM path that breaks IAM's rules.
    #[error("invalid path `{path}`: {reason}")]
    Path {
        /// The path as given.
        path: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// A malformed policy variable (`${...}`).
    #[error("invalid policy variable in `{input}` at column {column}: {reason}")]
    Variable {
        /// The whole text.
        input: String,
        /// 1-based column of the `$` that starts the variable.
        column: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A misspelt `<account-id>` placeholder in a template.
    #[error("invalid placeholder `{found}` at line {line}, column {column}: {reason}")]
    Placeholder {
        /// The placeholder as written.
        found: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters) on that line.
        column: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A `Resource`/`NotResource` entry that is neither `*` nor ARN-shaped.
    #[error("invalid resource `{input}` at column {column}: {reason}")]
    ResourcePattern {
        /// The whole entry.
        input: String,
        /// 1-based column where the problem starts.
        column: usize,
        /// What is wrong with it.
        reason: String,
    },
}

impl ArnError {
    /// Advice for the user, when there is more to say than the message.
    ///
    /// ```
    /// let error = "arn:aws:s3::bucket".parse::<iamkit_arn::Arn>().unwrap_err();
    /// assert_eq!(
    ///     error.help(),
    ///     Some(
    ///         "an ARN reads `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`; region and \
    ///          account may be empty, as in `arn:aws:s3:::bucket`"
    ///     )
    /// );
    /// ```
    pub fn help(&self) -> Option<&'static str> {
        match self {
            ArnError::PartCount { .. } => Some(
                "an ARN reads `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`; region and \
                 account may be empty, as in `arn:aws:s3:::bucket`",
            ),
            ArnError::Part {
                part: ArnPart::Account,
                value,
                ..
            } if value.contains('<') => {
                Some("replace the `<account-id>` placeholder with the account's 12 digits")
            }
            ArnError::ResourcePattern { reason, .. } if reason.starts_with("policy variables") => {
                Some("use `*` in that part, or move the variable after the fifth colon")
            }
            ArnError::ResourcePattern { reason, .. } if reason.starts_with("expected 6") => Some(
                "a resource reads `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, as in \
                 `arn:aws:s3:::bucket/*`",
            ),
            ArnError::Path { .. } => {
                Some("the default path is `/`; a longer one looks like `/team/`")
            }
            _ => None,
        }
    }
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArnPart {
    /// The leading `arn`.
    Prefix,
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    Partition,
    /// The service namespace, such as `iam` or `s3`.
    Service,
    /// The region, empty for global services.
    Region,
    /// The account, empty for S3 buckets and objects.
    Account,
    /// Everything after the fifth colon.
    Resource,
}

impl ArnPart {
    /// The six parts in order.
    pub const ALL: [ArnPart; 6] = [
        ArnPart::Prefix,
        ArnPart::Partition,
        ArnPart::Service,
        ArnPart::Region,
        ArnPart::Account,
        ArnPart::Resource,
    ];

    /// The lowercase name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ArnPart::Prefix => "prefix",
            ArnPart::Partition => "partition",
            ArnPart::Service => "service",
            ArnPart::Region => "region",
            ArnPart::Account => "account",
            ArnPart::Resource => "resource",
        }
    }
}

impl fmt::Display for ArnPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of names IAM and the other baseline services check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameKind {
    /// An IAM user name: 1-64 characters of `[\w+=,.@-]`.
    User,
    /// An IAM role name: 1-64 characters of `[\w+=,.@-]`.
    Role,
    /// An IAM group name: 1-128 characters of `[\w+=,.@-]`.
    Group,
    /// An IAM managed policy name: 1-128 characters of `[\w+=,.@-]`.
    Policy,
    /// A virtual MFA device name: 1-226 characters of `[\w+=,.@-]`.
    MfaDevice,
    /// An STS role session name: 2-64 characters of `[\w+=,.@-]`.
    RoleSession,
    /// An S3 bucket name: 3-63 characters of `[a-z0-9.-]`.
    Bucket,
    /// An S3 object key: 1-1024 bytes.
    ObjectKey,
    /// A Lambda function name: 1-64 characters of `[A-Za-z0-9_-]`.
    Function,
    /// A region code such as `us-east-1`.
    Region,
}

impl NameKind {
    /// The lowercase words used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::User => "user name",
            NameKind::Role => "role name",
            NameKind::Group => "group name",
            NameKind::Policy => "policy name",
            NameKind::MfaDevice => "MFA device name",
            NameKind::RoleSession => "role session name",
            NameKind::Bucket => "bucket name",
            NameKind::ObjectKey => "object key",
            NameKind::Function => "function name",
            NameKind::Region => "region",
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 1-based column, counted in characters, of byte offset `offset` in `text`.
pub(crate) fn column(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |head| head.chars().count()) + 1
}

#[cfg(test)]
mod tests {
    use crate::{Arn, ResourcePattern, validate_path, validate_user_name};

    fn check(error: super::ArnError, expected: Option<&str>) {
        assert_eq!(error.help(), expected, "{error}");
    }

    #[test]
    fn help_lines() {
        check(
            "arn:aws:iam::<account-id>:root".parse::<Arn>().unwrap_err(),
            Some("replace the `<account-id>` placeholder with the account's 12 digits"),
        );
        check(
            ResourcePattern::parse("arn:aws:iam::${aws:PrincipalAccount}:root").unwrap_err(),
            Some("use `*` in that part, or move the variable after the fifth colon"),
        );
        check(
            ResourcePattern::parse("arn:aws:s3::b").unwrap_err(),
            Some(
                "a resource reads `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, as in \
                 `arn:aws:s3:::bucket/*`",
            ),
        );
        check(
            validate_path("team").unwrap_err(),
            Some("the default path is `/`; a longer one looks like `/team/`"),
        );
        check(validate_user_name("").unwrap_err(), None);
        check("arn:aws:s3:::".parse::<Arn>().unwrap_err(), None);
    }
}
