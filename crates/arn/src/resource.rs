//! `ResourcePattern`: what one `Resource`/`NotResource` entry of a policy compiles to.

use std::{fmt, str::FromStr};

use crate::{
    Arn, ArnError, Pattern, Segment, Syntax, Variable,
    arn::{part, split_six},
    error::column,
    parse_variables,
    variables::parse_in,
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
    /// `arn`, then up to five more `:`-separated parts matched one by one against the
    /// request's; the last one takes the rest of the request's ARN, colons included.
    Parts {
        parts: Box<[Pattern]>,
        /// When there are six parts without wildcards or variables: the one text they
        /// match, joined with `:` (so matching is one comparison).
        exact: Option<Box<str>>,
    },
    /// A condition value with no colon: matched against the whole text.
    Whole(Pattern),
}

impl Kind {
    /// [`Kind::Parts`], with its exact text when it has one.
    fn parts(parts: Vec<Pattern>) -> Kind {
        let literal = parts.len() == 6 && parts.iter().all(|p| p.exact_text().is_some());
        let exact = literal.then(|| {
            let texts: Vec<&str> = parts.iter().filter_map(Pattern::exact_text).collect();
            texts.join(":").into()
        });
        Kind::Parts {
            parts: parts.into_boxed_slice(),
            exact,
        }
    }
}

/// The syntax of one part: wildcards, and policy variables when `variables`.
fn syntax(variables: bool) -> Syntax {
    Syntax {
        wildcards: true,
        variables,
        ignore_case: false,
    }
}

impl ResourcePattern {
    /// Compiles one `Resource`/`NotResource` entry, reading `${...}` as policy variables (as
    /// IAM does under policy version `2012-10-17`).
    pub fn parse(text: &str) -> Result<ResourcePattern, ArnError> {
        ResourcePattern::compile(text, true)
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
        ResourcePattern::compile(text, false)
    }

    /// Compiles the value of an `ArnLike`/`ArnEquals` condition (both take wildcards). It
    /// never fails: IAM does not check condition values. Policy variables (when
    /// `variables`) may stand in any part, and a malformed one is plain text. A value
    /// with colons is matched part by part as [`ResourcePattern::parse`] describes, its
    /// last part taking the rest of the request's ARN (so `arn:aws:iam:*:role/x`, which
    /// `parse` rejects, matches nothing but ARNs whose region-and-after is `role/x`); a value
    /// without a colon is matched against the whole text.
    ///
    /// ```
    /// use iamkit_arn::ResourcePattern;
    /// let source = ResourcePattern::parse_condition("arn:aws:sns:*:${aws:PrincipalAccount}:*", true);
    /// let account = |_: &iamkit_arn::Variable| Some("123456789012");
    /// assert!(source.matches_with("arn:aws:sns:us-east-1:123456789012:topic", account));
    /// assert!(!source.matches_with("arn:aws:sns:us-east-1:210987654321:topic", account));
    /// ```
    pub fn parse_condition(text: &str, variables: bool) -> ResourcePattern {
        if text == "*" {
            return ResourcePattern::any();
        }
        let segments = if variables {
            parse_variables(text).ok()
        } else {
            None
        };
        let segments = segments.unwrap_or_else(|| vec![Segment::Literal(text.to_owned())]);
        let mut parts = split_parts(&segments, variables);
        let kind = match parts.pop() {
            Some(whole) if parts.is_empty() => Kind::Whole(whole),
            Some(last) => {
                parts.push(last);
                Kind::parts(parts)
            }
            None => Kind::Whole(Pattern::new("")),
        };
        ResourcePattern {
            source: text.into(),
            kind,
        }
    }

    /// The pattern matching every resource, `*`.
    pub fn any() -> ResourcePattern {
        ResourcePattern {
            source: "*".into(),
            kind: Kind::Any,
        }
    }

    fn compile(text: &str, variables: bool) -> Result<ResourcePattern, ArnError> {
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
        if variables && let Some(at) = text.get(..head_end).and_then(|head| head.find("${")) {
            return Err(error(
                at,
                "policy variables are allowed only in the resource part, after the fifth colon",
            ));
        }
        if let Some(starts) = starts {
            if part(text, &starts, 2).is_empty() {
                return Err(error(starts[2], "the service part is empty"));
            }
            if part(text, &starts, 5).is_empty() {
                return Err(error(starts[5], "the resource part is empty"));
            }
        }
        let segments = if variables {
            parse_in(text, text, 0)?
        } else {
            vec![Segment::Literal(text.to_owned())]
        };
        Ok(ResourcePattern {
            source: text.into(),
            kind: Kind::parts(split_parts(&segments, variables)),
        })
    }

    /// The entry as written (after [`resolve`](ResourcePattern::resolve): with the values
    /// in place, and literal `*`, `?` from them written `${*}`, `${?}`).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether this is `*`, matching every resource.
    pub fn is_any(&self) -> bool {
        matches!(self.kind, Kind::Any)
    }

    fn patterns(&self) -> &[Pattern] {
        match &self.kind {
            Kind::Any => &[],
            Kind::Parts { parts, .. } => parts,
            Kind::Whole(whole) => std::slice::from_ref(whole),
        }
    }

    /// Whether the pattern still has policy variables to replace.
    pub fn has_variables(&self) -> bool {
        self.patterns().iter().any(Pattern::has_variables)
    }

    /// The policy variables still in the pattern, in order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.patterns().iter().flat_map(Pattern::variables)
    }

    /// The service part as written (`s3` in `arn:aws:s3:::*`), when the pattern has one
    /// before its last part.
    pub fn service(&self) -> Option<&str> {
        match &self.kind {
            Kind::Parts { parts, .. } if parts.len() > 3 => parts.get(2).map(Pattern::as_str),
            _ => None,
        }
    }

    /// The resource part as written (`*/*` in `arn:aws:s3:::*/*`), when the pattern has all
    /// six parts.
    pub fn resource(&self) -> Option<&str> {
        match &self.kind {
            Kind::Parts { parts, .. } if parts.len() == 6 => split_six(&self.source)
                .ok()
                .map(|starts| part(&self.source, &starts, 5)),
            _ => None,
        }
    }

    /// Replaces the policy variables with the request's values (`lookup`) or their
    /// defaults. Returns `None` when a variable has neither; IAM then treats the entry as
    /// matching nothing.
    ///
    /// The values are matched as they are: a `*` in a user name is not a wildcard. To match
    /// without building a new pattern, use [`matches_with`](ResourcePattern::matches_with).
    pub fn resolve(
        &self,
        lookup: &mut dyn FnMut(&Variable) -> Option<String>,
    ) -> Option<ResourcePattern> {
        if !self.has_variables() {
            return Some(self.clone());
        }
        let resolve_all =
            |patterns: &[Pattern], lookup: &mut dyn FnMut(&Variable) -> Option<String>| {
                patterns
                    .iter()
                    .map(|p| p.resolve(lookup))
                    .collect::<Option<Vec<Pattern>>>()
            };
        let (source, kind) = match &self.kind {
            Kind::Any => return Some(self.clone()),
            Kind::Whole(whole) => {
                let whole = whole.resolve(lookup)?;
                (whole.as_str().into(), Kind::Whole(whole))
            }
            Kind::Parts { parts, .. } => {
                let parts = resolve_all(parts, lookup)?;
                let source: Vec<&str> = parts.iter().map(Pattern::as_str).collect();
                (source.join(":").into(), Kind::parts(parts))
            }
        };
        Some(ResourcePattern { source, kind })
    }

    /// Whether `arn` matches: the same as [`matches`](ResourcePattern::matches) on its text.
    pub fn matches_arn(&self, arn: &Arn) -> bool {
        self.matches(arn.as_str())
    }

    /// Whether `resource` (a request's resource, usually an ARN) matches. A pattern that
    /// still has policy variables matches nothing. Never allocates.
    pub fn matches(&self, resource: &str) -> bool {
        !self.has_variables() && self.matches_with(resource, |_| None)
    }

    /// Whether `resource` matches, each policy variable taking the value `lookup` gives (or
    /// else its default) as literal text; a variable with neither makes the pattern match
    /// nothing. Never allocates (for fewer than nine variables in a part).
    ///
    /// ```
    /// use iamkit_arn::{ResourcePattern, Variable};
    /// let home = ResourcePattern::parse("arn:aws:s3:::home/${aws:username}/*")?;
    /// let user = |v: &Variable| v.key.eq_ignore_ascii_case("aws:username").then_some("dev");
    /// assert!(home.matches_with("arn:aws:s3:::home/dev/notes.txt", user));
    /// assert!(!home.matches_with("arn:aws:s3:::home/ops/notes.txt", user));
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn matches_with<'v>(
        &self,
        resource: &str,
        mut lookup: impl FnMut(&Variable) -> Option<&'v str>,
    ) -> bool {
        let parts = match &self.kind {
            Kind::Any => return true,
            Kind::Whole(whole) => return whole.matches_with(resource, lookup),
            Kind::Parts {
                exact: Some(exact), ..
            } => return resource == &**exact,
            Kind::Parts { parts, .. } => parts,
        };
        let Some((last, head)) = parts.split_last() else {
            return false;
        };
        let mut pieces = resource.splitn(parts.len(), ':');
        for pattern in head {
            match pieces.next() {
                Some(piece) if pattern.matches_with(piece, &mut lookup) => {}
                _ => return false,
            }
        }
        let Some(rest) = pieces.next() else {
            return false;
        };
        // Only an ARN-shaped resource (six parts) matches: what the last part takes must
        // hold the colons of the parts the pattern leaves out.
        let missing = 6usize.saturating_sub(parts.len());
        (missing == 0
            || rest
                .bytes()
                .filter(|b| *b == b':')
                .nth(missing - 1)
                .is_some())
            && last.matches_with(rest, lookup)
    }
}

/// Splits segments at their first five literal colons (a colon in a variable or its
/// default does not count) and compiles each part.
fn split_parts(segments: &[Segment], variables: bool) -> Vec<Pattern> {
    let mut parts: Vec<Vec<Segment>> = vec![Vec::new()];
    for segment in segments {
        let Segment::Literal(text) = segment else {
            if let Some(current) = parts.last_mut() {
                current.push(segment.clone());
            }
            continue;
        };
        let mut rest = text.as_str();
        while parts.len() < 6
            && let Some((before, after)) = rest.split_once(':')
        {
            if let Some(current) = parts.last_mut()
                && !before.is_empty()
            {
                current.push(Segment::Literal(before.to_owned()));
            }
            parts.push(Vec::new());
            rest = after;
        }
        if let Some(current) = parts.last_mut()
            && !rest.is_empty()
        {
            current.push(Segment::Literal(rest.to_owned()));
        }
    }
    parts
        .iter()
        .map(|segments| {
            let source: String = segments.iter().map(ToString::to_string).collect();
            Pattern::compile(segments, source.into(), syntax(variables))
        })
        .collect()
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
    fn a_star_in_the_resource_part_crosses_its_colons() {
        check(
            "arn:aws:logs:us-east-1:123456789012:log-*:x",
            &[
                ("arn:aws:logs:us-east-1:123456789012:log-group:a:x", true),
                ("arn:aws:logs:us-east-1:123456789012:log-group:a:y", false),
            ],
        );
    }

    #[test]
    fn accessors_say_no_when_they_should() {
        assert!(!ResourcePattern::parse("arn:aws:s3:::b").unwrap().is_any());
        let pattern = ResourcePattern::parse("arn:aws:s3:::b/*").unwrap();
        let role = Arn::from_str("arn:aws:iam::123456789012:role/admin").unwrap();
        assert!(!pattern.matches_arn(&role));
        // A condition value whose colons sit in a variable's default has fewer than six
        // parts, so no resource part, however many colons its text holds.
        let short = ResourcePattern::parse_condition("arn:aws:iam::${aws:x, 'a:b'}", true);
        assert_eq!(short.resource(), None);
        assert_eq!(short.service(), Some("iam"));
    }

    /// Six literal parts are compared as one text; anything else part by part.
    #[test]
    fn literal_patterns_are_one_comparison() {
        let exact = |text: &str| match ResourcePattern::parse(text).unwrap().kind {
            Kind::Parts { exact, .. } => exact.map(String::from),
            _ => None,
        };
        let role = "arn:aws:iam::123456789012:role/admin";
        assert_eq!(exact(role).as_deref(), Some(role));
        assert_eq!(exact("arn:aws:s3:::b"), Some("arn:aws:s3:::b".to_owned()));
        assert_eq!(exact("arn:aws:iam::*:role/admin"), None);
        assert_eq!(exact("arn:aws:s3:::b/${aws:username}"), None);
        assert_eq!(exact("arn:aws:s3:*"), None);
        let literal = ResourcePattern::parse_literal("arn:aws:s3:::b/${x}").unwrap();
        assert!(matches!(literal.kind, Kind::Parts { exact: Some(_), .. }));
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

    #[test]
    fn variables_resolve_at_match_time() {
        let pattern = ResourcePattern::parse(
            "arn:aws:iam::123456789012:user/${aws:PrincipalTag/team, 'none'}/${aws:username}",
        )
        .unwrap();
        let lookup = |v: &Variable| (v.key == "aws:username").then_some("dev*");
        assert!(pattern.matches_with("arn:aws:iam::123456789012:user/none/dev*", lookup));
        assert!(!pattern.matches_with("arn:aws:iam::123456789012:user/none/dev-user", lookup));
        assert!(!pattern.matches_with("arn:aws:iam::123456789012:user/none/dev*", |_| None));
        assert!(!pattern.matches("arn:aws:iam::123456789012:user/none/dev*"));
    }

    /// IAM's docs: "If the `*` wildcard is the last character of a resource ARN segment, it
    /// can expand to match beyond the colon boundaries". So a `Resource` that stops early
    /// must end in `*` (else it is rejected); an `ArnLike` value, which IAM does not check,
    /// is read with the same rules: part by part, its last part against the rest of the
    /// ARN, and only ARN-shaped values match.
    #[test]
    fn condition_values_follow_the_resource_rules() {
        let role = "arn:aws:iam::111122223333:role/admin";
        let check = |value: &str, subject: &str, expected: bool| {
            let pattern = ResourcePattern::parse_condition(value, true);
            let lookup = |v: &Variable| (v.key == "aws:PrincipalAccount").then_some("111122223333");
            assert_eq!(
                pattern.matches_with(subject, lookup),
                expected,
                "`{value}` against `{subject}`"
            );
        };
        check("*", "not an arn", true);
        check("arn:aws:*", role, true);
        check("arn:*:iam:*", role, true);
        check("arn:*:s3:*", role, false);
        check("arn:aws:iam::1111*:admin", role, false);
        check("arn:aws:iam::*2223333:role/*", role, true);
        check("arn:aws:iam::${aws:PrincipalAccount}:role/*", role, true);
        check(
            "arn:aws:iam::${aws:PrincipalAccount}:role/*",
            "arn:aws:iam::444455556666:role/x",
            false,
        );
        // Fewer than six parts and no trailing `*`: the last part takes the rest.
        check("arn:aws:iam:*:role/admin", role, false);
        check("arn:aws:iam:*:*role/admin", role, true);
        assert!(ResourcePattern::parse("arn:aws:iam:*:role/admin").is_err());
        // Only ARN-shaped subjects match a value with colons.
        check("arn:aws:*", "arn:aws:x", false);
        check("arn:aws:iam::*:role/admin", "not-an-arn", false);
        // A value without a colon is one glob over the whole text.
        check("not-*", "not-an-arn", true);
        check("x-${oops", "x-${oops", true);
        let old = ResourcePattern::parse_condition("arn:aws:s3:::b/${aws:username}", false);
        assert!(old.matches("arn:aws:s3:::b/${aws:username}"));
        // Without wildcards: six parts match only the same text, fewer never match.
        check(role, role, true);
        check(role, "arn:aws:iam::111122223333:role/admin2", false);
        check(
            "arn:aws:iam::111122223333",
            "arn:aws:iam::111122223333",
            false,
        );
        check("arn:aws:iam", "arn:aws:iam", false);
    }
}
