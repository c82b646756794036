//! Account ids and partitions.

use std::{fmt, str::FromStr};

use crate::ArnError;

/// An account id: exactly twelve ASCII digits.
///
/// ```
/// use iamkit_arn::AccountId;
/// let id: AccountId = "123456789012".parse()?;
/// assert_eq!(id.as_str(), "123456789012");
/// assert!("1234-5678-9012".parse::<AccountId>().is_err());
/// # Ok::<(), iamkit_arn::ArnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId([u8; 12]);

impl AccountId {
    /// The twelve digits as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this never takes the fallback.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for AccountId {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ArnError::AccountId {
            input: s.to_owned(),
        };
        let bytes: [u8; 12] = s.as_bytes().try_into().map_err(|_| error())?;
        if bytes.iter().all(u8::is_ascii_digit) {
            Ok(AccountId(bytes))
        } else {
            Err(error())
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// The partition of an ARN: a group of regions with its own accounts.
///
/// The three public partitions have their own variants; any other well-formed name (such as
/// `aws-iso`) is kept as data in [`Partition::Other`]. Parsing always picks the named variant
/// for the three public names, so `Other` never holds `aws`, `aws-cn` or `aws-us-gov`.
///
/// ```
/// use iamkit_arn::Partition;
/// assert_eq!("aws-cn".parse::<Partition>()?, Partition::AwsCn);
/// assert_eq!("aws-iso".parse::<Partition>()?.as_str(), "aws-iso");
/// # Ok::<(), iamkit_arn::ArnError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Partition {
    /// `aws`: the commercial regions.
    #[default]
    Aws,
    /// `aws-cn`: the China regions.
    AwsCn,
    /// `aws-us-gov`: the AWS GovCloud (US) regions.
    AwsUsGov,
    /// Any other partition name (lowercase letters, digits and `-`).
    Other(String),
}

impl Partition {
    /// The partition's name as it appears in ARNs.
    pub fn as_str(&self) -> &str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::Other(name) => name,
        }
    }
}

/// Whether `s` is a well-formed partition name.
pub(crate) fn is_partition_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl FromStr for Partition {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "aws" => Partition::Aws,
            "aws-cn" => Partition::AwsCn,
            "aws-us-gov" => Partition::AwsUsGov,
            other if is_partition_name(other) => Partition::Other(other.to_owned()),
            other => {
                return Err(ArnError::Partition {
                    input: other.to_owned(),
                });
            }
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, &str>) {
        let got = input.parse::<AccountId>();
        match expected {
            Ok(display) => assert_eq!(got.unwrap().to_string(), display, "{input}"),
            Err(message) => assert_eq!(got.unwrap_err().to_string(), message, "{input}"),
        }
    }

    #[test]
    fn account_ids() {
        check("123456789012", Ok("123456789012"));
        check("000000000000", Ok("000000000000"));
        check(
            "12345678901",
            Err("invalid account id `12345678901`: expected 12 digits"),
        );
        check(
            "1234567890123",
            Err("invalid account id `1234567890123`: expected 12 digits"),
        );
        check(
            "12345678901a",
            Err("invalid account id `12345678901a`: expected 12 digits"),
        );
        check("", Err("invalid account id ``: expected 12 digits"));
        check(
            "１２３４５６７８９０１２",
            Err("invalid account id `１２３４５６７８９０１２`: expected 12 digits"),
        );
    }

    #[test]
    fn partitions() {
        for (text, expected) in [
            ("aws", Partition::Aws),
            ("aws-cn", Partition::AwsCn),
            ("aws-us-gov", Partition::AwsUsGov),
            ("aws-iso-b", Partition::Other("aws-iso-b".to_owned())),
        ] {
            let got: Partition = text.parse().unwrap();
            assert_eq!(got, expected);
            assert_eq!(got.to_string(), text);
        }
        for bad in ["", "AWS", "aws cn", "aws:cn"] {
            assert_eq!(
                bad.parse::<Partition>().unwrap_err().to_string(),
                format!("invalid partition `{bad}`: expected lowercase letters, digits and `-`")
            );
        }
    }
}
