//! Policy variables: `${aws:username}`, `${aws:username, 'default'}`, and the special forms
//! `${*}`, `${?}`, `${$}` that stand for a literal `*`, `?` and `$`.

use std::fmt;

use crate::{ArnError, error::column};

/// A policy variable such as `${aws:username}` or `${aws:PrincipalTag/team, 'none'}`.
///
/// The key is kept as written; IAM compares condition keys without regard to case, so a
/// lookup should too.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Variable {
    /// The condition key, such as `aws:username`.
    pub key: String,
    /// The value to use when the request has no value for the key.
    pub default: Option<String>,
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.default {
            Some(default) => write!(f, "${{{}, '{}'}}", self.key, default),
            None => write!(f, "${{{}}}", self.key),
        }
    }
}

/// One piece of a text with policy variables.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Text as written. In a pattern, `*` and `?` in it are wildcards.
    Literal(String),
    /// A policy variable, replaced by the request's value when the policy is evaluated.
    Variable(Variable),
    /// A character written as `${*}`, `${?}` or `${$}`: always that character, never a
    /// wildcard.
    Escaped(char),
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Literal(text) => f.write_str(text),
            Segment::Variable(variable) => variable.fmt(f),
            Segment::Escaped(c) => write!(f, "${{{c}}}"),
        }
    }
}

/// Splits `text` into literal text, policy variables and escaped characters.
///
/// A `$` not followed by `{` is plain text. Writing the segments back one after another
/// gives text that parses to the same segments.
///
/// ```
/// use iamkit_arn::{parse_variables, Segment, Variable};
/// let segments = parse_variables("home/${aws:username, 'guest'}/${*}")?;
/// assert_eq!(
///     segments,
///     [
///         Segment::Literal("home/".to_owned()),
///         Segment::Variable(Variable {
///             key: "aws:username".to_owned(),
///             default: Some("guest".to_owned()),
///         }),
///         Segment::Literal("/".to_owned()),
///         Segment::Escaped('*'),
///     ]
/// );
/// # Ok::<(), iamkit_arn::ArnError>(())
/// ```
pub fn parse_variables(text: &str) -> Result<Vec<Segment>, ArnError> {
    parse_in(text, text, 0)
}

/// Parses `text`, which starts at byte `base` of `origin`; errors point into `origin`.
pub(crate) fn parse_in(text: &str, origin: &str, base: usize) -> Result<Vec<Segment>, ArnError> {
    let mut segments = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let mut consumed = 0;
    while let Some(at) = rest.find("${") {
        literal.push_str(rest.get(..at).unwrap_or_default());
        let dollar = base + consumed + at;
        let error = |reason: String| ArnError::Variable {
            input: origin.to_owned(),
            column: column(origin, dollar),
            reason,
        };
        let after = rest.get(at + 2..).unwrap_or_default();
        let Some(end) = after.find('}') else {
            return Err(error("`${` is not closed by `}`".to_owned()));
        };
        let inner = after.get(..end).unwrap_or_default();
        let segment = match inner {
            "*" => Segment::Escaped('*'),
            "?" => Segment::Escaped('?'),
            "$" => Segment::Escaped('$'),
            _ => Segment::Variable(parse_variable(inner).map_err(error)?),
        };
        if !literal.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut literal)));
        }
        segments.push(segment);
        let skip = at + 2 + end + 1;
        consumed += skip;
        rest = rest.get(skip..).unwrap_or_default();
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal));
    }
    Ok(segments)
}

/// Parses what is between `${` and `}`: `key` or `key, 'default'`.
fn parse_variable(inner: &str) -> Result<Variable, String> {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => (key, Some(default)),
        None => (inner, None),
    };
    if key.is_empty() {
        return Err("the variable has no name".to_owned());
    }
    if key.trim() != key {
        return Err(format!("the variable name `{key}` has spaces around it"));
    }
    if let Some(bad) = key.chars().find(|c| matches!(c, '$' | '{' | '\'')) {
        return Err(format!(
            "`{bad}` is not allowed in the variable name `{key}`"
        ));
    }
    let default = match default {
        None => None,
        Some(raw) => {
            let quoted = raw.trim();
            let value = quoted
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .filter(|v| !v.contains('\''));
            match value {
                Some(value) => Some(value.to_owned()),
                None => {
                    return Err(format!(
                        "the default value `{}` must be written in single quotes, as in \
                         `${{{key}, 'value'}}`",
                        quoted
                    ));
                }
            }
        }
    };
    Ok(Variable {
        key: key.to_owned(),
        default,
    })
}

/// Whether `segments` hold at least one variable.
pub fn has_variables(segments: &[Segment]) -> bool {
    segments
        .iter()
        .any(|segment| matches!(segment, Segment::Variable(_)))
}

/// Replaces every variable with the request's value (`lookup`) or its default, and every
/// escaped character with itself; literal text stays as it is.
///
/// Returns `None` when a variable has neither a value nor a default: IAM then treats the
/// text as matching nothing.
///
/// ```
/// use iamkit_arn::{parse_variables, substitute};
/// let segments = parse_variables("${aws:username}-${aws:PrincipalTag/team, 'none'}")?;
/// let mut lookup = |variable: &iamkit_arn::Variable| {
///     (variable.key == "aws:username").then(|| "dev-user".to_owned())
/// };
/// assert_eq!(substitute(&segments, &mut lookup).as_deref(), Some("dev-user-none"));
/// # Ok::<(), iamkit_arn::ArnError>(())
/// ```
pub fn substitute(
    segments: &[Segment],
    lookup: &mut dyn FnMut(&Variable) -> Option<String>,
) -> Option<String> {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Literal(text) => out.push_str(text),
            Segment::Escaped(c) => out.push(*c),
            Segment::Variable(variable) => {
                out.push_str(&lookup(variable).or_else(|| variable.default.clone())?);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> Segment {
        Segment::Literal(text.to_owned())
    }

    fn var(key: &str, default: Option<&str>) -> Segment {
        Segment::Variable(Variable {
            key: key.to_owned(),
            default: default.map(str::to_owned),
        })
    }

    fn check(input: &str, expected: Result<Vec<Segment>, &str>) {
        let got = parse_variables(input);
        match expected {
            Ok(segments) => {
                let got = got.unwrap();
                assert_eq!(got, segments, "{input}");
                let written: String = got.iter().map(ToString::to_string).collect();
                assert_eq!(parse_variables(&written).unwrap(), got, "{written}");
            }
            Err(message) => assert_eq!(got.unwrap_err().to_string(), message, "{input}"),
        }
    }

    #[test]
    fn plain_text_and_variables() {
        check("", Ok(vec![]));
        check("plain/text*", Ok(vec![lit("plain/text*")]));
        check("a$b{c}", Ok(vec![lit("a$b{c}")]));
        check(
            "home/${aws:username}/*",
            Ok(vec![lit("home/"), var("aws:username", None), lit("/*")]),
        );
        check(
            "${aws:username}${aws:userid}",
            Ok(vec![var("aws:username", None), var("aws:userid", None)]),
        );
        check(
            "${aws:PrincipalTag/team name, 'no team'}",
            Ok(vec![var("aws:PrincipalTag/team name", Some("no team"))]),
        );
        check(
            "${aws:username,'x'}",
            Ok(vec![var("aws:username", Some("x"))]),
        );
        check(
            "${aws:username, ''}",
            Ok(vec![var("aws:username", Some(""))]),
        );
    }

    #[test]
    fn special_forms_are_escaped_characters() {
        check(
            "a${*}b${?}c${$}",
            Ok(vec![
                lit("a"),
                Segment::Escaped('*'),
                lit("b"),
                Segment::Escaped('?'),
                lit("c"),
                Segment::Escaped('$'),
            ]),
        );
        check("${$}{x}", Ok(vec![Segment::Escaped('$'), lit("{x}")]));
    }

    #[test]
    fn malformed_variables_point_at_the_dollar() {
        check(
            "bucket/${aws:username",
            Err(
                "invalid policy variable in `bucket/${aws:username` at column 8: `${` is not closed by `}`",
            ),
        );
        check(
            "x${}",
            Err("invalid policy variable in `x${}` at column 2: the variable has no name"),
        );
        check(
            "${ aws:username}",
            Err(
                "invalid policy variable in `${ aws:username}` at column 1: \
                 the variable name ` aws:username` has spaces around it",
            ),
        );
        check(
            "${aws:username, guest}",
            Err(
                "invalid policy variable in `${aws:username, guest}` at column 1: the default \
                 value `guest` must be written in single quotes, as in `${aws:username, 'value'}`",
            ),
        );
        check(
            "é${a${b}}",
            Err(
                "invalid policy variable in `é${a${b}}` at column 2: `$` is not allowed in the variable name `a${b`",
            ),
        );
    }

    #[test]
    fn substitution() {
        let segments = parse_variables("${a}/${b, 'dflt'}/${*}").unwrap();
        let mut both = |v: &Variable| Some(format!("<{}>", v.key));
        assert_eq!(
            substitute(&segments, &mut both).as_deref(),
            Some("<a>/<b>/*")
        );
        let mut only_a = |v: &Variable| (v.key == "a").then(|| "A".to_owned());
        assert_eq!(
            substitute(&segments, &mut only_a).as_deref(),
            Some("A/dflt/*")
        );
        let mut none = |_: &Variable| None;
        assert_eq!(substitute(&segments, &mut none), None);
        assert!(has_variables(&segments));
        assert!(!has_variables(&parse_variables("${*}").unwrap()));
    }
}
