//! Concrete resources to ask the engine about.
//!
//! The engine decides requests, and a request names one resource. To ask "may this principal
//! create a function?" we need a function ARN the principal's policies might allow; to say
//! "`s3:*` on `arn:aws:s3:::*/*`" we need an object ARN that pattern matches. A witness is
//! such an ARN: built from the catalog's ARN format for the action's resource type, guided by
//! the pattern, and kept only when the pattern matches it and it has the format's shape (so
//! `arn:aws:s3:::*/*` has a witness among objects and none among buckets).

use iamkit_arn::ResourcePattern;

/// Where witnesses live: the account's partition and id, and a region.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub region: &'a str,
}

/// One step of a catalog ARN format part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Lit(&'a str),
    /// `${Name}`: one or more characters; `slash` says whether a `/` may be among them.
    Var {
        name: &'a str,
        slash: bool,
    },
}

/// Splits text into the six ARN parts (the last keeps its colons); `None` when fewer.
fn six(text: &str) -> Option<[&str; 6]> {
    let mut it = text.splitn(6, ':');
    Some([
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ])
}

/// Tokens of one part of a format. A variable may hold a `/` when its name says `Path`, or
/// when it ends the resource part right after a `/` (`${ObjectName}`).
fn tokens(part: &str, last_part: bool) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = part;
    while let Some(start) = rest.find("${") {
        if let Some(lit) = rest.get(..start).filter(|l| !l.is_empty()) {
            out.push(Token::Lit(lit));
        }
        let after = rest.get(start + 2..).unwrap_or_default();
        let Some(end) = after.find('}') else {
            out.push(Token::Lit(rest.get(start..).unwrap_or_default()));
            return out;
        };
        let name = after.get(..end).unwrap_or_default();
        out.push(Token::Var {
            name,
            slash: name.contains("Path"),
        });
        rest = after.get(end + 1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        out.push(Token::Lit(rest));
    }
    if last_part
        && out.len() >= 2
        && let [.., Token::Lit(before), Token::Var { slash, .. }] = out.as_mut_slice()
        && before.ends_with('/')
    {
        *slash = true;
    }
    out
}

/// Whether `text` matches the tokens.
fn matches_tokens(tokens: &[Token<'_>], text: &str) -> bool {
    match tokens.split_first() {
        None => text.is_empty(),
        Some((Token::Lit(lit), rest)) => text
            .strip_prefix(lit)
            .is_some_and(|after| matches_tokens(rest, after)),
        Some((Token::Var { slash, .. }, rest)) => {
            let mut ends = text.char_indices().map(|(i, c)| (i + c.len_utf8(), c));
            for (end, c) in &mut ends {
                if c == '/' && !slash {
                    return false;
                }
                if matches_tokens(rest, text.get(end..).unwrap_or_default()) {
                    return true;
                }
            }
            false
        }
    }
}

/// Whether `arn` has the shape of `format` (`arn:${Partition}:s3:::${BucketName}`).
pub(crate) fn has_format(format: &str, arn: &str) -> bool {
    let (Some(f), Some(a)) = (six(format), six(arn)) else {
        return false;
    };
    f.iter()
        .zip(a.iter())
        .enumerate()
        .all(|(i, (f, a))| matches_tokens(&tokens(f, i == 5), a))
}

/// The format filled with the place and `x` for every other variable.
pub(crate) fn fill(format: &str, place: Place<'_>) -> String {
    let Some(parts) = six(format) else {
        return format.to_owned();
    };
    let filled: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            tokens(part, i == 5)
                .iter()
                .map(|t| match t {
                    Token::Lit(l) => (*l).to_owned(),
                    Token::Var { name, .. } => match *name {
                        "Partition" => place.partition.to_owned(),
                        "Region" => place.region.to_owned(),
                        "Account" => place.account.to_owned(),
                        _ => "x".to_owned(),
                    },
                })
                .collect()
        })
        .collect();
    filled.join(":")
}

/// The pattern's text with its wildcards filled in: a whole-part `*` region or account takes
/// the place's; every other `*` or `?` becomes `x`.
fn instantiate(pattern: &str, place: Place<'_>) -> Option<String> {
    let parts = six(pattern)?;
    let filled: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| match (i, *part) {
            (1, "*") => place.partition.to_owned(),
            (3, "*") => place.region.to_owned(),
            (4, "*") => place.account.to_owned(),
            (_, part) => part.replace(['*', '?'], "x"),
        })
        .collect();
    Some(filled.join(":"))
}

/// A concrete ARN of one of `formats` that `pattern` (its variables already resolved)
/// matches, if an easy one exists.
pub(crate) fn witness(
    pattern: &ResourcePattern,
    formats: &[&str],
    place: Place<'_>,
) -> Option<String> {
    let guided = instantiate(pattern.as_str(), place);
    for format in formats {
        if let Some(candidate) = &guided
            && has_format(format, candidate)
            && pattern.matches(candidate)
        {
            return Some(candidate.clone());
        }
        let filled = fill(format, place);
        if pattern.matches(&filled) {
            return Some(filled);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACE: Place<'static> = Place {
        partition: "aws",
        account: "111122223333",
        region: "us-east-1",
    };
    const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";
    const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    const FUNCTION: &str = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";
    const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";

    fn check(pattern: &str, format: &str, expected: Option<&str>) {
        let p = ResourcePattern::parse(pattern).unwrap();
        assert_eq!(
            witness(&p, &[format], PLACE).as_deref(),
            expected,
            "{pattern} in {format}"
        );
    }

    #[test]
    fn witnesses_respect_the_shape_of_the_resource_type() {
        check("arn:aws:s3:::*/*", OBJECT, Some("arn:aws:s3:::x/x"));
        check("arn:aws:s3:::*/*", BUCKET, None);
        check("arn:aws:s3:::*", BUCKET, Some("arn:aws:s3:::x"));
        check("*", BUCKET, Some("arn:aws:s3:::x"));
        check(
            "arn:aws:lambda:*:*:function:dev-*",
            FUNCTION,
            Some("arn:aws:lambda:us-east-1:111122223333:function:dev-x"),
        );
        check(
            "arn:aws:iam::111122223333:role/team/*",
            ROLE,
            Some("arn:aws:iam::111122223333:role/team/x"),
        );
        check("arn:aws:iam::111122223333:user/*", ROLE, None);
    }

    #[test]
    fn formats_know_where_a_slash_may_go() {
        assert!(has_format(OBJECT, "arn:aws:s3:::b/a/b/c"));
        assert!(!has_format(BUCKET, "arn:aws:s3:::b/a"));
        assert!(has_format(ROLE, "arn:aws:iam::111122223333:role/p/q/r"));
        assert!(!has_format(
            FUNCTION,
            "arn:aws:lambda:us-east-1:1:function:"
        ));
    }
}
