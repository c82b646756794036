//! IAM's rules for names and paths, and the rules of the other names the baseline builds ARNs
//! from (S3 buckets and keys, Lambda functions, regions).

use crate::{ArnError, NameKind};

/// Whether `c` is one of IAM's name characters, `[\w+=,.@-]`.
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

fn name_error(kind: NameKind, name: &str, reason: String) -> ArnError {
    ArnError::Name {
        kind,
        name: name.to_owned(),
        reason,
    }
}

/// Checks length (in characters) and that every character passes `allowed`.
fn check_name(
    kind: NameKind,
    name: &str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
    allowed_text: &str,
) -> Result<(), ArnError> {
    let len = name.chars().count();
    if len < min || len > max {
        let range = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(name_error(
            kind,
            name,
            format!("must be {range} characters long, found {len}"),
        ));
    }
    if let Some((index, bad)) = name.chars().enumerate().find(|&(_, c)| !allowed(c)) {
        return Err(name_error(
            kind,
            name,
            format!(
                "character `{bad}` at column {} is not allowed; use only {allowed_text}",
                index + 1
            ),
        ));
    }
    Ok(())
}

const IAM_CHARS: &str = "letters, digits and `_+=,.@-`";

/// Checks an IAM user name: 1-64 characters of `[\w+=,.@-]`.
///
/// ```
/// assert!(iamkit_arn::validate_user_name("dev-user").is_ok());
/// let error = iamkit_arn::validate_user_name("dev user").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid user name `dev user`: character ` ` at column 4 is not allowed; \
///      use only letters, digits and `_+=,.@-`"
/// );
/// ```
pub fn validate_user_name(name: &str) -> Result<(), ArnError> {
    check_name(NameKind::User, name, 1, 64, is_iam_name_char, IAM_CHARS)
}

/// Checks an IAM role name: 1-64 characters of `[\w+=,.@-]`.
pub fn validate_role_name(name: &str) -> Result<(), ArnError> {
    check_name(NameKind::Role, name, 1, 64, is_iam_name_char, IAM_CHARS)
}

/// Checks an IAM group name: 1-128 characters of `[\w+=,.@-]`.
pub fn validate_group_name(name: &str) -> Result<(), ArnError> {
    check_name(NameKind::Group, name, 1, 128, is_iam_name_char, IAM_CHARS)
}

/// Checks an IAM managed policy name: 1-128 characters of `[\w+=,.@-]`.
pub fn validate_policy_name(name: &str) -> Result<(), ArnError> {
    check_name(NameKind::Policy, name, 1, 128, is_iam_name_char, IAM_CHARS)
}

/// Checks a virtual MFA device name: 1-226 characters of `[\w+=,.@-]`.
pub fn validate_mfa_device_name(name: &str) -> Result<(), ArnError> {
    check_name(
        NameKind::MfaDevice,
        name,
        1,
        226,
        is_iam_name_char,
        IAM_CHARS,
    )
}

/// Checks an STS role session name: 2-64 characters of `[\w+=,.@-]`.
pub fn validate_role_session_name(name: &str) -> Result<(), ArnError> {
    check_name(
        NameKind::RoleSession,
        name,
        2,
        64,
        is_iam_name_char,
        IAM_CHARS,
    )
}

/// Checks an IAM path: 1-512 characters, starting and ending with `/`, made of printable
/// ASCII characters from `!` (U+0021) to DEL (U+007F): no spaces, tabs or newlines.
/// `/` alone is the default path.
///
/// ```
/// assert!(iamkit_arn::validate_path("/").is_ok());
/// assert!(iamkit_arn::validate_path("/team/dev/").is_ok());
/// assert_eq!(
///     iamkit_arn::validate_path("/team").unwrap_err().to_string(),
///     "invalid path `/team`: must end with `/`"
/// );
/// ```
pub fn validate_path(path: &str) -> Result<(), ArnError> {
    let error = |reason: String| ArnError::Path {
        path: path.to_owned(),
        reason,
    };
    let len = path.chars().count();
    if len == 0 || len > 512 {
        return Err(error(format!(
            "must be 1 to 512 characters long, found {len}"
        )));
    }
    if !path.starts_with('/') {
        return Err(error("must start with `/`".to_owned()));
    }
    if !path.ends_with('/') {
        return Err(error("must end with `/`".to_owned()));
    }
    if let Some((index, bad)) = path
        .chars()
        .enumerate()
        .find(|&(_, c)| !('!'..='\u{7f}').contains(&c))
    {
        return Err(error(format!(
            "character `{bad}` at column {} is not allowed; use ASCII from `!` to DEL, no spaces",
            index + 1
        )));
    }
    Ok(())
}

/// Checks an S3 bucket name with today's rules: 3-63 characters of lowercase letters,
/// digits, `.` and `-`, starting and ending with a letter or digit, no `..`.
pub fn validate_bucket_name(name: &str) -> Result<(), ArnError> {
    check_name(
        NameKind::Bucket,
        name,
        3,
        63,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-',
        "lowercase letters, digits, `.` and `-`",
    )?;
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Err(name_error(
            NameKind::Bucket,
            name,
            "must start and end with a letter or digit".to_owned(),
        ));
    }
    if name.contains("..") {
        return Err(name_error(
            NameKind::Bucket,
            name,
            "must not contain `..`".to_owned(),
        ));
    }
    Ok(())
}

/// Checks an S3 object key: 1 to 1024 bytes of UTF-8.
pub fn validate_object_key(key: &str) -> Result<(), ArnError> {
    if key.is_empty() || key.len() > 1024 {
        return Err(name_error(
            NameKind::ObjectKey,
            key,
            format!("must be 1 to 1024 bytes long, found {}", key.len()),
        ));
    }
    Ok(())
}

/// Checks a Lambda function name: 1-64 characters of letters, digits, `_` and `-`.
pub fn validate_function_name(name: &str) -> Result<(), ArnError> {
    check_name(
        NameKind::Function,
        name,
        1,
        64,
        |c| c.is_ascii_alphanumeric() || c == '_' || c == '-',
        "letters, digits, `_` and `-`",
    )
}

/// Checks a region code such as `us-east-1`: lowercase words and a number, joined by `-`, at
/// least an area, a name and the number (`ap-northeast-1`, `us-gov-west-1`).
pub fn validate_region(region: &str) -> Result<(), ArnError> {
    check_name(
        NameKind::Region,
        region,
        1,
        64,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        "lowercase letters, digits and `-`",
    )?;
    let parts: Vec<&str> = region.split('-').collect();
    let words = parts.len().saturating_sub(1);
    let shaped = parts.len() >= 3
        && parts
            .iter()
            .take(words)
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if shaped {
        Ok(())
    } else {
        Err(name_error(
            NameKind::Region,
            region,
            "a region code is an area, a name and a number, such as `ap-northeast-1`".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(result: Result<(), ArnError>, expected: Result<(), &str>) {
        match expected {
            Ok(()) => assert_eq!(result, Ok(())),
            Err(message) => assert_eq!(result.unwrap_err().to_string(), message),
        }
    }

    #[test]
    fn user_and_role_names_are_1_to_64_iam_characters() {
        check(validate_user_name("dev-user"), Ok(()));
        check(validate_user_name("a.b+c=d,e@f_g-h"), Ok(()));
        check(validate_user_name(&"u".repeat(64)), Ok(()));
        check(
            validate_user_name(&"u".repeat(65)),
            Err(&format!(
                "invalid user name `{}`: must be 1 to 64 characters long, found 65",
                "u".repeat(65)
            )),
        );
        check(
            validate_user_name(""),
            Err("invalid user name ``: must be 1 to 64 characters long, found 0"),
        );
        check(
            validate_role_name("admin/x"),
            Err(
                "invalid role name `admin/x`: character `/` at column 6 is not allowed; \
                 use only letters, digits and `_+=,.@-`",
            ),
        );
        check(
            validate_role_name("rôle"),
            Err(
                "invalid role name `rôle`: character `ô` at column 2 is not allowed; \
                 use only letters, digits and `_+=,.@-`",
            ),
        );
        check(validate_role_name(&"r".repeat(64)), Ok(()));
        assert!(validate_role_name(&"r".repeat(65)).is_err());
    }

    #[test]
    fn group_and_policy_names_are_1_to_128_iam_characters() {
        check(validate_group_name("developer-base"), Ok(()));
        check(validate_group_name(&"g".repeat(128)), Ok(()));
        assert!(validate_group_name(&"g".repeat(129)).is_err());
        check(validate_policy_name("enable-pass-role"), Ok(()));
        check(validate_policy_name(&"p".repeat(128)), Ok(()));
        check(
            validate_policy_name("enable:mfa"),
            Err(
                "invalid policy name `enable:mfa`: character `:` at column 7 is not allowed; \
                 use only letters, digits and `_+=,.@-`",
            ),
        );
    }

    #[test]
    fn other_names() {
        check(validate_mfa_device_name("dev-user"), Ok(()));
        assert!(validate_mfa_device_name(&"m".repeat(227)).is_err());
        check(
            validate_role_session_name("a"),
            Err("invalid role session name `a`: must be 2 to 64 characters long, found 1"),
        );
        check(validate_bucket_name("iamkit-hello.1"), Ok(()));
        check(
            validate_bucket_name("Bucket"),
            Err(
                "invalid bucket name `Bucket`: character `B` at column 1 is not allowed; \
                 use only lowercase letters, digits, `.` and `-`",
            ),
        );
        check(
            validate_bucket_name("-ab"),
            Err("invalid bucket name `-ab`: must start and end with a letter or digit"),
        );
        check(
            validate_bucket_name("a..b"),
            Err("invalid bucket name `a..b`: must not contain `..`"),
        );
        check(validate_object_key("hello.txt"), Ok(()));
        check(
            validate_object_key(""),
            Err("invalid object key ``: must be 1 to 1024 bytes long, found 0"),
        );
        check(validate_function_name("hello_world-1"), Ok(()));
        assert!(validate_function_name("hello.world").is_err());
        check(validate_region("ap-northeast-1"), Ok(()));
        check(validate_region("us-gov-west-1"), Ok(()));
        check(validate_region("eu-isoe-west-1"), Ok(()));
        assert!(validate_region("US-EAST-1").is_err());
        for bad in [
            "nowhere-1",
            "us-east",
            "us--1",
            "-us-east-1",
            "us-east-1a",
            "1-east-1",
        ] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        check(validate_path("/"), Ok(()));
        check(validate_path("/team/dev/"), Ok(()));
        check(
            validate_path(""),
            Err("invalid path ``: must be 1 to 512 characters long, found 0"),
        );
        check(
            validate_path("team/"),
            Err("invalid path `team/`: must start with `/`"),
        );
        check(
            validate_path("/a b/"),
            Err(
                "invalid path `/a b/`: character ` ` at column 3 is not allowed; \
                 use ASCII from `!` to DEL, no spaces",
            ),
        );
        check(validate_path("/~\u{7f}!/"), Ok(()));
        assert!(validate_path("/tab\t/").is_err());
        let long = format!("/{}/", "p".repeat(510));
        check(validate_path(&long), Ok(()));
        assert!(validate_path(&format!("/{}/", "p".repeat(511))).is_err());
    }
}
