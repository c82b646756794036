//! Typed AWS ARNs.
//!
//! ```
//! use iamkit_arn::AccountId;
//! let id: AccountId = "123456789012".parse().unwrap();
//! assert_eq!(id.to_string(), "123456789012");
//! ```

use std::{fmt, str::FromStr};

/// What is wrong with an ARN or one of its parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// An account id that is not exactly twelve ASCII digits.
    #[error("invalid account id `{0}`: expected 12 digits")]
    AccountId(String),
}

/// An account id: exactly twelve ASCII digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountId([u8; 12]);

impl FromStr for AccountId {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; 12] = s
            .as_bytes()
            .try_into()
            .map_err(|_| ArnError::AccountId(s.to_owned()))?;
        if bytes.iter().all(u8::is_ascii_digit) {
            Ok(AccountId(bytes))
        } else {
            Err(ArnError::AccountId(s.to_owned()))
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{}", char::from(b))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_round_trips_and_rejects_bad_input() {
        let id: AccountId = "123456789012".parse().unwrap();
        assert_eq!(id.to_string(), "123456789012");
        assert!("12345678901".parse::<AccountId>().is_err());
        assert!("12345678901a".parse::<AccountId>().is_err());
    }
}
