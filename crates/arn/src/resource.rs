//! `ResourcePattern`: what one `Resource`/`NotResource` entry of a policy compiles to.

use std::{fmt, str::FromStr, sync::Arc};

use crate::{
    Arn, ArnError, Pattern, Segment, Variable,
    arn::{part, split_six},
    error::column,
    variables::{has_variables, parse_in},
};

/// One entry of a statement's `Resource` or `NotResource`, compiled for matching.
///
/// It is either `*`, which matches every resource, or ARN-shaped text with wildcards
/// (`*` any run of characters, `?` one character) and, in the resource part, policy
/// variables. Matching follows IAM's documented rules:
///
/// - The pattern and the request's ARN are split at their first five colons. Partition,
///   service, region and account are matched part by part, so a wildcard there never
///   reaches into the next part: `arn:aws:s3:*:*:x` does not match `arn:aws:s3:::a:b:x`.
/// - The resource part (everything after the fifth colon) is matched as one text: colons and
///   slashes in it are ordinary characters, so `log-group:*` covers
///   `log-group:app:log-stream:1`, and `*/*` covers every S3 object but no bucket.
/// - A pattern that stops before the resource part and ends with `*` (`arn:aws:s3:*`) lets
///   that last `*` run past the colons to the end of the request's ARN.
/// - Everything is compared case-sensitively.
/// - `*` and `?` in the request's resource are ordinary characters.
/// - A text that is not ARN-shaped matches only the pattern `*`.
///
/// Policy variables stay in the pattern until [`ResourcePattern::resolve`] replaces them;
/// a pattern that still has variables matches nothing.
///
/// ```
/// use iamkit_arn::ResourcePattern;
/// let objects = ResourcePattern::parse("arn:aws:s3:::*/*")?;
/// assert!(objects.matches("arn:aws:s3:::iamkit-hello/hello.txt"));
/// assert!(!objects.matches("arn:aws:s3:::iamkit-hello"));
/// assert!(!objects.matches("*"));
///
/// let home = ResourcePattern::parse("arn:aws:s3:::home/${aws:username}/*")?;
/// assert!(home.has_variables());
/// assert!(!home.matches("arn:aws:s3:::home/dev-user/notes.txt"));
/// let mine = home.resolve(&mut |_| Some("dev-user".to_owned())).unwrap();
/// assert!(mine.matches("arn:aws:s3:::home/dev-user/notes.txt"));
/// assert!(!mine.matches("arn:aws:s3:::home/other/notes.txt"));
/// # Ok::<(), iamkit_arn::ArnError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourcePattern {
    source: Box<str>,
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// `*`.
    Any,
    /// A pattern with all six parts: partition, service, region and account, then the
    /// resource part.
    Full {
        head: Arc<[Pattern; 4]>,
        resource: Body,
    },
    /// A pattern that ends before the resource part with a `*`: `head` matches the request's
    /// parts one by one, `rest` matches the remainder of the request's ARN.
    Short { head: Box<[Pattern]>, rest: Pattern },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Body {
    Compiled(Pattern),
    Unresolved(Vec<Segment>),
}

/// How `${...}` in the resource part is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variables {
    Recognised,
    Literal,
}

impl ResourcePattern {
    /// Compiles one `Resource`/`NotResource` entry, reading `${...}` as policy variables (as
    /// IAM does under policy version `2012-10-17`).
    pub fn parse(text: &str) -> Result<ResourcePattern, ArnError> {
        ResourcePattern::compile(text, Variables::Recognised)
    }

    /// Compiles one entry reading `${...}` as plain text, as IAM does under policy version
    /// `2008-10-17` (or with no `Version`).
    ///
    /// ```
    /// use iamkit_arn::ResourcePattern;
    /// let old = ResourcePattern::parse_literal("arn:aws:s3:::b/${aws:username}")?;
    /// assert!(!old.has_variables());
    /// assert!(old.matches("arn:aws:s3:::b/${aws:username}"));
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn parse_literal(text: &str) -> Result<ResourcePattern, ArnError> {
        ResourcePattern::compile(text, Variables::Literal)
    }

    /// The pattern matching every resource, `*`.
    pub fn any() -> ResourcePattern {
        ResourcePattern {
            source: "*".into(),
            kind: Kind::Any,
        }
    }

    fn compile(text: &str, variables: Variables) -> Result<ResourcePattern, ArnError> {
        let error = |at: usize, reason: &str| ArnError::ResourcePattern {
            input: text.to_owned(),
            column: column(text, at),
            reason: reason.to_owned(),
        };
        if text == "*" {
            return Ok(ResourcePattern::any());
        }
        if !text.starts_with("arn:") {
            return Err(error(0, "expected `*` or an ARN starting with `arn:`"));
        }
        let starts = match split_six(text) {
            Ok(starts) => Some(starts),
            Err(_) if text.ends_with('*') => None,
            Err(found) => {
                return Err(error(
                    text.len(),
                    &format!(
                        "expected 6 colon-separated parts, found {found}; only a pattern \
                         ending in `*` may stop early"
                    ),
                ));
            }
        };
        let head_end = starts.map_or(text.len(), |s| s[5]);
        if variables == Variables::Recognised
            && let Some(at) = text.get(..head_end).and_then(|head| head.find("${"))
        {
            return Err(error(
                at,
                "policy variables are allowed only in the resource part, after the fifth colon",
            ));
        }
        let kind = match starts {
            Some(starts) => {
                if part(text, &starts, 2).is_empty() {
                    return Err(error(starts[2], "the service part is empty"));
                }
                let resource_text = part(text, &starts, 5);
                if resource_text.is_empty() {
                    return Err(error(starts[5], "the resource part is empty"));
                }
                let head = Arc::new([1, 2, 3, 4].map(|i| Pattern::new(part(text, &starts, i))));
                let resource = match variables {
                    Variables::Literal => Body::Compiled(Pattern::new(resource_text)),
                    Variables::Recognised => {
                        let segments = parse_in(resource_text, text, starts[5])?;
                        if has_variables(&segments) {
                            Body::Unresolved(segments)
                        } else {
                            let mut no_lookup = |_: &Variable| None;
                            match Pattern::from_segments(&segments, &mut no_lookup) {
                                Some(pattern) => Body::Compiled(pattern),
                                None => Body::Unresolved(segments),
                            }
                        }
                    }
                };
                Kind::Full { head, resource }
            }
            None => {
                // `arn:` plus one to four parts, the last ending in `*`.
                let mut parts: Vec<&str> = text.split(':').skip(1).collect();
                let last = parts.pop().unwrap_or_default();
                Kind::Short {
                    head: parts.into_iter().map(Pattern::new).collect(),
                    rest: Pattern::new(last),
                }
            }
        };
        Ok(ResourcePattern {
            source: text.into(),
            kind,
        })
    }

    /// The entry as written (after [`resolve`](ResourcePattern::resolve): with the values
    /// in place, and literal `*`, `?`, `$` from them written `${*}`, `${?}`, `${$}`).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether this is `*`, matching every resource.
    pub fn is_any(&self) -> bool {
        matches!(self.kind, Kind::Any)
    }

    /// Whether the pattern still has policy variables to replace.
    pub fn has_variables(&self) -> bool {
        matches!(
            self.kind,
            Kind::Full {
                resource: Body::Unresolved(_),
                ..
            }
        )
    }

    /// The policy variables still in the pattern, in order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        let segments: &[Segment] = match &self.kind {
            Kind::Full {
                resource: Body::Unresolved(segments),
                ..
            } => segments,
            _ => &[],
        };
        segments.iter().filter_map(|segment| match segment {
            Segment::Variable(variable) => Some(variable),
            _ => None,
        })
    }

    /// The service part as written (`s3` in `arn:aws:s3:::*`), when the pattern has one.
    pub fn service(&self) -> Option<&str> {
        match &self.kind {
            Kind::Any => None,
            Kind::Full { head, .. } => Some(head[1].as_str()),
            Kind::Short { head, .. } => head.get(1).map(Pattern::as_str),
        }
    }

    /// The resource part as written (`*/*` in `arn:aws:s3:::*/*`), when the pattern has all
    /// six parts.
    pub fn resource(&self) -> Option<&str> {
        match &self.kind {
            Kind::Full { .. } => split_six(&self.source)
                .ok()
                .map(|starts| part(&self.source, &starts, 5)),
            _ => None,
        }
    }

    /// Replaces the policy variables with the request's values (`lookup`) or their
    /// defaults. Returns `None` when a variable has neither; IAM then treats the entry as
    /// matching nothing.
    ///
    /// The values are matched as they are: a `*` in a user name is not a wildcard.
    pub fn resolve(
        &self,
        lookup: &mut dyn FnMut(&Variable) -> Option<String>,
    ) -> Option<ResourcePattern> {
        let Kind::Full {
            head,
            resource: Body::Unresolved(segments),
        } = &self.kind
        else {
            return Some(self.clone());
        };
        let pattern = Pattern::from_segments(segments, lookup)?;
        let head_text = split_six(&self.source)
            .ok()
            .and_then(|starts| self.source.get(..starts[5]))
            .unwrap_or_default();
        Some(ResourcePattern {
            source: format!("{head_text}{pattern}").into(),
            kind: Kind::Full {
                head: head.clone(),
                resource: Body::Compiled(pattern),
            },
        })
    }

    /// Whether `arn` matches: the same as [`matches`](ResourcePattern::matches) on its text.
    pub fn matches_arn(&self, arn: &Arn) -> bool {
        self.matches(arn.as_str())
    }

    /// Whether `resource` (a request's resource, usually an ARN) matches. Never allocates.
    pub fn matches(&self, resource: &str) -> bool {
        match &self.kind {
            Kind::Any => true,
            Kind::Full {
                resource: Body::Unresolved(_),
                ..
            } => false,
            Kind::Full {
                head,
                resource: Body::Compiled(pattern),
            } => {
                let mut parts = resource.splitn(6, ':');
                parts.next() == Some("arn")
                    && head
                        .iter()
                        .all(|p| parts.next().is_some_and(|part| p.matches(part)))
                    && parts.next().is_some_and(|rest| pattern.matches(rest))
            }
            Kind::Short { head, rest } => {
                let Ok(starts) = split_six(resource) else {
                    return false;
                };
                let rest_start = starts.get(head.len() + 1).copied().unwrap_or_default();
                part(resource, &starts, 0) == "arn"
                    && head
                        .iter()
                        .enumerate()
                        .all(|(i, p)| p.matches(part(resource, &starts, i + 1)))
                    && rest.matches(resource.get(rest_start..).unwrap_or_default())
            }
        }
    }
}

impl FromStr for ResourcePattern {
    type Err = ArnError;

    /// The same as [`ResourcePattern::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourcePattern::parse(s)
    }
}

impl fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pattern` must parse; each `(resource, expected)` is one match.
    fn check(pattern: &str, cases: &[(&str, bool)]) {
        let compiled = ResourcePattern::parse(pattern).unwrap();
        assert_eq!(compiled.as_str(), pattern);
        for &(resource, expected) in cases {
            assert_eq!(
                compiled.matches(resource),
                expected,
                "`{pattern}` against `{resource}`"
            );
        }
    }

    fn check_error(pattern: &str, message: &str) {
        assert_eq!(
            ResourcePattern::parse(pattern).unwrap_err().to_string(),
            message
        );
    }

    #[test]
    fn star_alone_matches_everything() {
        check(
            "*",
            &[
                ("*", true),
                ("arn:aws:s3:::b", true),
                ("not an arn", true),
                ("", true),
            ],
        );
        assert!(ResourcePattern::parse("*").unwrap().is_any());
    }

    #[test]
    fn the_articles_patterns() {
        check(
            "arn:aws:s3:::*/*",
            &[
                ("arn:aws:s3:::iamkit-hello/hello.txt", true),
                ("arn:aws:s3:::iamkit-hello/dir/", true),
                ("arn:aws:s3:::iamkit-hello", false),
                ("arn:aws-cn:s3:::b/k", false),
                ("*", false),
            ],
        );
        check(
            "arn:aws:iam::123456789012:role/admin",
            &[
                ("arn:aws:iam::123456789012:role/admin", true),
                ("arn:aws:iam::123456789012:role/Admin", false),
                ("arn:aws:iam::123456789012:role/admin2", false),
                ("arn:aws:iam::210987654321:role/admin", false),
                ("arn:aws:iam::123456789012:role/team/admin", false),
            ],
        );
        check(
            "arn:aws:iam::123456789012:mfa/${aws:username}",
            &[("arn:aws:iam::123456789012:mfa/dev-user", false)],
        );
    }

    #[test]
    fn wildcards_stay_inside_their_part() {
        check(
            "arn:aws:s3:*:*:x",
            &[
                ("arn:aws:s3:::x", true),
                ("arn:aws:s3:r:a:x", true),
                ("arn:aws:s3:::a:b:x", false),
            ],
        );
        check(
            "arn:aws:lambda:us-*-?:123456789012:function:*",
            &[
                ("arn:aws:lambda:us-east-1:123456789012:function:hello", true),
                (
                    "arn:aws:lambda:us-east-1:123456789012:function:hello:$LATEST",
                    true,
                ),
                (
                    "arn:aws:lambda:eu-west-1:123456789012:function:hello",
                    false,
                ),
                (
                    "arn:aws:lambda:us-east-10:123456789012:function:hello",
                    false,
                ),
            ],
        );
        check(
            "arn:*:iam::*:user/*",
            &[
                ("arn:aws-cn:iam::123456789012:user/a", true),
                ("arn:aws:iam::123456789012:user/team/a", true),
                ("arn:aws:iam::123456789012:group/a", false),
                ("arn:aws:sts::123456789012:user/a", false),
            ],
        );
    }

    #[test]
    fn the_resource_part_spans_colons_and_slashes() {
        check(
            "arn:aws:logs:us-east-1:123456789012:log-group:x:*",
            &[
                (
                    "arn:aws:logs:us-east-1:123456789012:log-group:x:log-stream:y",
                    true,
                ),
                ("arn:aws:logs:us-east-1:123456789012:log-group:x:", true),
                ("arn:aws:logs:us-east-1:123456789012:log-group:xy:z", false),
            ],
        );
        check(
            "arn:aws:s3:::bucket/*/test/*",
            &[
                ("arn:aws:s3:::bucket/1/test/object.jpg", true),
                ("arn:aws:s3:::bucket/1/2/test/3/object.jpg", true),
                ("arn:aws:s3:::bucket//test/object.jpg", true),
                ("arn:aws:s3:::bucket/1/test/", true),
                ("arn:aws:s3:::bucket/a:b/test/c", true),
                ("arn:aws:s3:::bucket/1-test/object.jpg", false),
                ("arn:aws:s3:::bucket/test/object.jpg", false),
            ],
        );
        check(
            "arn:aws:s3:::example?bucket/*",
            &[
                ("arn:aws:s3:::example1bucket/k", true),
                ("arn:aws:s3:::examplebucket/k", false),
            ],
        );
    }

    #[test]
    fn a_short_pattern_ending_in_star_runs_to_the_end() {
        check(
            "arn:aws:s3:*",
            &[
                ("arn:aws:s3:::bucket", true),
                ("arn:aws:s3:::bucket/a:b", true),
                ("arn:aws:s3:us-east-1:123456789012:accesspoint/x", true),
                ("arn:aws:iam::123456789012:root", false),
                ("arn:aws:s3", false),
            ],
        );
        check(
            "arn:*",
            &[("arn:aws:iam::123456789012:root", true), ("arn:x", false)],
        );
        check(
            "arn:aws:iam::12345*",
            &[
                ("arn:aws:iam::123456789012:root", true),
                ("arn:aws:iam::223456789012:root", false),
            ],
        );
    }

    #[test]
    fn wildcards_in_the_request_are_plain_characters() {
        check(
            "arn:aws:s3:::b/key",
            &[("arn:aws:s3:::b/k*", false), ("arn:aws:s3:::b/ke?", false)],
        );
        check(
            "arn:aws:s3:::b/k${*}",
            &[("arn:aws:s3:::b/k*", true), ("arn:aws:s3:::b/key", false)],
        );
    }

    #[test]
    fn not_arn_shaped_requests_match_only_star() {
        let pattern = ResourcePattern::parse("arn:aws:s3:::*").unwrap();
        for resource in ["*", "", "bucket", "arn:aws:s3", "urn:aws:s3:::b"] {
            assert!(!pattern.matches(resource), "{resource}");
        }
    }

    #[test]
    fn variables_resolve() {
        let pattern = ResourcePattern::parse(
            "arn:aws:iam::123456789012:user/${aws:PrincipalTag/team, 'none'}/${aws:username}",
        )
        .unwrap();
        assert!(pattern.has_variables());
        let keys: Vec<_> = pattern.variables().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["aws:PrincipalTag/team", "aws:username"]);
        let mut lookup = |v: &Variable| (v.key == "aws:username").then(|| "dev*".to_owned());
        let resolved = pattern.resolve(&mut lookup).unwrap();
        assert!(!resolved.has_variables());
        assert_eq!(
            resolved.as_str(),
            "arn:aws:iam::123456789012:user/none/dev${*}"
        );
        assert!(resolved.matches("arn:aws:iam::123456789012:user/none/dev*"));
        assert!(!resolved.matches("arn:aws:iam::123456789012:user/none/dev-user"));
        // The resolved text compiles back to the same pattern.
        assert_eq!(ResourcePattern::parse(resolved.as_str()).unwrap(), resolved);
        let mut nothing = |_: &Variable| None;
        assert_eq!(pattern.resolve(&mut nothing), None);
        let plain = ResourcePattern::parse("arn:aws:s3:::b").unwrap();
        assert_eq!(plain.resolve(&mut nothing), Some(plain.clone()));
    }

    #[test]
    fn accessors() {
        let pattern = ResourcePattern::parse("arn:aws:s3:::*/*").unwrap();
        let object = Arn::s3_object(&crate::Partition::Aws, "bucket", "k").unwrap();
        assert!(pattern.matches_arn(&object));
        assert_eq!(pattern.service(), Some("s3"));
        assert_eq!(pattern.resource(), Some("*/*"));
        assert_eq!(pattern.to_string(), "arn:aws:s3:::*/*");
        let short = ResourcePattern::parse("arn:aws:s3*").unwrap();
        assert_eq!(short.service(), None);
        assert_eq!(short.resource(), None);
        assert_eq!(ResourcePattern::any().service(), None);
    }

    #[test]
    fn errors() {
        check_error(
            "iamkit-hello",
            "invalid resource `iamkit-hello` at column 1: expected `*` or an ARN starting with `arn:`",
        );
        check_error(
            "",
            "invalid resource `` at column 1: expected `*` or an ARN starting with `arn:`",
        );
        check_error(
            "**",
            "invalid resource `**` at column 1: expected `*` or an ARN starting with `arn:`",
        );
        check_error(
            "arn:aws:s3::bucket",
            "invalid resource `arn:aws:s3::bucket` at column 19: expected 6 colon-separated \
             parts, found 5; only a pattern ending in `*` may stop early",
        );
        check_error(
            "arn:aws:iam::${aws:PrincipalAccount}:root",
            "invalid resource `arn:aws:iam::${aws:PrincipalAccount}:root` at column 14: \
             policy variables are allowed only in the resource part, after the fifth colon",
        );
        check_error(
            "arn:aws:s3:::",
            "invalid resource `arn:aws:s3:::` at column 14: the resource part is empty",
        );
        check_error(
            "arn:aws::::x",
            "invalid resource `arn:aws::::x` at column 9: the service part is empty",
        );
        check_error(
            "arn:aws:s3:::b/${aws:username",
            "invalid policy variable in `arn:aws:s3:::b/${aws:username` at column 16: \
             `${` is not closed by `}`",
        );
    }
}
