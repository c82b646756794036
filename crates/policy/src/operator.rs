//! Condition operators: the 26 comparison kinds and `Null`, with their qualifiers.

use std::{fmt, str::FromStr};

/// A regular expression matching every operator name IAM accepts; used in the JSON Schema.
pub(crate) const OPERATOR_PATTERN: &str = "^(ForAllValues:|ForAnyValue:)?((String(Not)?(Equals(IgnoreCase)?|Like)|Numeric(Not)?Equals|Numeric(LessThan|GreaterThan)(Equals)?|Date(Not)?Equals|Date(LessThan|GreaterThan)(Equals)?|Bool|BinaryEquals|(Not)?IpAddress|Arn(Not)?(Equals|Like))(IfExists)?|Null)$";

/// A condition operator such as `ForAnyValue:StringLikeIfExists`.
///
/// ```
/// use iamkit_policy::{Operator, OperatorKind, SetQualifier};
///
/// let op: Operator = "ForAnyValue:StringLikeIfExists".parse().unwrap();
/// assert_eq!(op.base, OperatorKind::StringLike);
/// assert!(op.if_exists);
/// assert_eq!(op.set, Some(SetQualifier::ForAnyValue));
/// assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
/// assert!("StringEqual".parse::<Operator>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The comparison.
    pub base: OperatorKind,
    /// `...IfExists`: true when the key is absent from the request.
    pub if_exists: bool,
    /// `ForAllValues:` or `ForAnyValue:`, for multivalued keys.
    pub set: Option<SetQualifier>,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// Every value in the request matches some value in the condition (true when there are none).
    ForAllValues,
    /// At least one value in the request matches some value in the condition.
    ForAnyValue,
}

impl SetQualifier {
    /// The prefix as IAM writes it, colon included.
    pub fn prefix(self) -> &'static str {
        match self {
            SetQualifier::ForAllValues => "ForAllValues:",
            SetQualifier::ForAnyValue => "ForAnyValue:",
        }
    }
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The comparison an operator makes, without qualifiers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum OperatorKind {
            $($(#[$doc])* $name,)*
        }

        impl OperatorKind {
            /// Every kind, in IAM's documentation order.
            pub const ALL: &'static [OperatorKind] = &[$(OperatorKind::$name,)*];

            /// The name as IAM writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(OperatorKind::$name => stringify!($name),)*
                }
            }
        }
    };
}

kinds! {
    /// Exact, case-sensitive string match.
    StringEquals,
    /// Negated `StringEquals`.
    StringNotEquals,
    /// Exact string match ignoring case.
    StringEqualsIgnoreCase,
    /// Negated `StringEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match with `*` and `?` wildcards.
    StringLike,
    /// Negated `StringLike`.
    StringNotLike,
    /// Numeric equality.
    NumericEquals,
    /// Numeric inequality.
    NumericNotEquals,
    /// Numeric `<`.
    NumericLessThan,
    /// Numeric `<=`.
    NumericLessThanEquals,
    /// Numeric `>`.
    NumericGreaterThan,
    /// Numeric `>=`.
    NumericGreaterThanEquals,
    /// Date equality.
    DateEquals,
    /// Date inequality.
    DateNotEquals,
    /// Date `<`.
    DateLessThan,
    /// Date `<=`.
    DateLessThanEquals,
    /// Date `>`.
    DateGreaterThan,
    /// Date `>=`.
    DateGreaterThanEquals,
    /// Boolean match (`true` / `false`).
    Bool,
    /// Byte-for-byte match of base64 values.
    BinaryEquals,
    /// The address is in one of the CIDR ranges.
    IpAddress,
    /// The address is in none of the CIDR ranges.
    NotIpAddress,
    /// ARN match, case-sensitive per part.
    ArnEquals,
    /// ARN match with wildcards.
    ArnLike,
    /// Negated `ArnEquals`.
    ArnNotEquals,
    /// Negated `ArnLike`.
    ArnNotLike,
    /// Whether the key is absent (`true`) or present (`false`).
    Null,
}

impl OperatorKind {
    /// Whether the operator negates its match (`StringNotEquals`, `NotIpAddress`, ...).
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            OperatorKind::StringNotEquals
                | OperatorKind::StringNotEqualsIgnoreCase
                | OperatorKind::StringNotLike
                | OperatorKind::NumericNotEquals
                | OperatorKind::DateNotEquals
                | OperatorKind::NotIpAddress
                | OperatorKind::ArnNotEquals
                | OperatorKind::ArnNotLike
        )
    }
}

impl fmt::Display for OperatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an operator name was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OperatorError {
    /// Not an operator IAM knows.
    #[error("unknown condition operator `{0}`")]
    Unknown(String),
    /// `NullIfExists`: IAM does not allow `IfExists` on `Null`.
    #[error("condition operator `{0}` cannot take `IfExists`")]
    NullIfExists(String),
}

impl FromStr for Operator {
    type Err = OperatorError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (set, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let find = |name: &str| {
            OperatorKind::ALL
                .iter()
                .copied()
                .find(|k| k.as_str() == name)
        };
        if let Some(base) = find(rest) {
            return Ok(Operator {
                base,
                if_exists: false,
                set,
            });
        }
        match rest.strip_suffix("IfExists").and_then(find) {
            Some(OperatorKind::Null) => Err(OperatorError::NullIfExists(text.to_owned())),
            Some(base) => Ok(Operator {
                base,
                if_exists: true,
                set,
            }),
            None => Err(OperatorError::Unknown(text.to_owned())),
        }
    }
}

impl Operator {
    /// The correctly spelt operator when `text` differs from one only in letter case.
    pub fn suggest(text: &str) -> Option<String> {
        let lower = text.to_ascii_lowercase();
        let sets = ["", "ForAllValues:", "ForAnyValue:"];
        for set in sets {
            for kind in OperatorKind::ALL {
                for suffix in ["", "IfExists"] {
                    if *kind == OperatorKind::Null && !suffix.is_empty() {
                        continue;
                    }
                    let name = format!("{set}{kind}{suffix}");
                    if name.to_ascii_lowercase() == lower {
                        return Some(name);
                    }
                }
            }
        }
        None
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(set) = self.set {
            f.write_str(set.prefix())?;
        }
        f.write_str(self.base.as_str())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(OperatorKind, bool, Option<SetQualifier>)>) {
        let got = text
            .parse::<Operator>()
            .ok()
            .map(|op| (op.base, op.if_exists, op.set));
        assert_eq!(got, expected, "{text}");
        if got.is_some() {
            assert_eq!(text.parse::<Operator>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn operators_parse_and_display() {
        use OperatorKind::*;
        check("StringEquals", Some((StringEquals, false, None)));
        check("BoolIfExists", Some((Bool, true, None)));
        check(
            "ForAllValues:StringLike",
            Some((StringLike, false, Some(SetQualifier::ForAllValues))),
        );
        check("Null", Some((Null, false, None)));
        check("NullIfExists", None);
        check("stringequals", None);
        check("StringEqual", None);
        check("ForAnyValue:", None);
        check("IfExists", None);
        assert_eq!(OperatorKind::ALL.len(), 27);
    }

    #[test]
    fn every_qualified_name_parses_except_null_if_exists() {
        for set in ["", "ForAllValues:", "ForAnyValue:"] {
            for kind in OperatorKind::ALL {
                for suffix in ["", "IfExists"] {
                    let name = format!("{set}{kind}{suffix}");
                    let parsed = name.parse::<Operator>().is_ok();
                    assert_eq!(
                        parsed,
                        !(*kind == OperatorKind::Null && suffix == "IfExists")
                    );
                }
            }
        }
        assert_eq!(
            Operator::suggest("stringequalsifexists").as_deref(),
            Some("StringEqualsIfExists")
        );
    }
}
