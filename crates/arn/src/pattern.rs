//! `Pattern`: a glob compiled once and matched many times without allocating.

use std::fmt;

use crate::{Segment, Variable, variables::value_of};

/// One step of a compiled glob.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Token {
    /// Characters that must appear as they are.
    Literal(Box<str>),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Any,
}

/// A compiled glob: `*` matches any run of characters (including none), `?` exactly one
/// character, everything else itself. `*` and `?` in the text being matched are ordinary
/// characters.
///
/// [`Pattern::new`] compares case-sensitively, as IAM compares resources;
/// [`Pattern::new_ignore_case`] ignores case, as IAM compares actions.
///
/// ```
/// use iamkit_arn::Pattern;
/// let objects = Pattern::new("iamkit-*/hello.???");
/// assert!(objects.matches("iamkit-hello/hello.txt"));
/// assert!(!objects.matches("iamkit-hello/Hello.txt"));
///
/// let actions = Pattern::new_ignore_case("s3:Get*");
/// assert!(actions.matches("s3:getobject"));
/// assert!(!actions.matches("s3:PutObject"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pattern {
    source: Box<str>,
    tokens: Box<[Token]>,
    ignore_case: bool,
}

/// Collects tokens, merging neighbouring literals and runs of `*`.
#[derive(Default)]
struct Builder {
    tokens: Vec<Token>,
    literal: String,
}

impl Builder {
    fn literal_char(&mut self, c: char) {
        self.literal.push(c);
    }

    fn literal_str(&mut self, s: &str) {
        self.literal.push_str(s);
    }

    fn flush(&mut self) {
        if !self.literal.is_empty() {
            let text = std::mem::take(&mut self.literal);
            self.tokens.push(Token::Literal(text.into_boxed_str()));
        }
    }

    fn wildcard(&mut self, c: char) {
        self.flush();
        match c {
            '*' if self.tokens.last() == Some(&Token::Any) => {}
            '*' => self.tokens.push(Token::Any),
            _ => self.tokens.push(Token::One),
        }
    }

    /// Text in which `*` and `?` are wildcards.
    fn glob(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '*' | '?' => self.wildcard(c),
                _ => self.literal_char(c),
            }
        }
    }

    fn finish(mut self) -> Box<[Token]> {
        self.flush();
        self.tokens.into_boxed_slice()
    }
}

impl Pattern {
    /// Compiles `glob`, comparing case-sensitively.
    pub fn new(glob: &str) -> Pattern {
        Pattern::compile(glob, false)
    }

    /// Compiles `glob`, ignoring case (Unicode simple lowercase, character by character).
    pub fn new_ignore_case(glob: &str) -> Pattern {
        Pattern::compile(glob, true)
    }

    fn compile(glob: &str, ignore_case: bool) -> Pattern {
        let mut builder = Builder::default();
        builder.glob(glob);
        Pattern {
            source: glob.into(),
            tokens: builder.finish(),
            ignore_case,
        }
    }

    /// Compiles text with policy variables, case-sensitively: literal text is a glob,
    /// escaped characters (`${*}`) and variable values are matched as they are. `lookup`
    /// gives a variable's value; without one its default is used.
    ///
    /// Returns `None` when a variable has neither: IAM then treats the text as matching
    /// nothing.
    ///
    /// ```
    /// use iamkit_arn::{parse_variables, Pattern, Variable};
    /// let segments = parse_variables("home/${aws:username}/*")?;
    /// let mut lookup = |_: &Variable| Some("a*b".to_owned());
    /// let pattern = Pattern::from_segments(&segments, &mut lookup).unwrap();
    /// assert!(pattern.matches("home/a*b/notes.txt"));
    /// // The value's `*` is a literal character, not a wildcard.
    /// assert!(!pattern.matches("home/axxb/notes.txt"));
    /// assert_eq!(pattern.as_str(), "home/a${*}b/*");
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn from_segments(
        segments: &[Segment],
        lookup: &mut dyn FnMut(&Variable) -> Option<String>,
    ) -> Option<Pattern> {
        let mut builder = Builder::default();
        let mut source = String::new();
        for segment in segments {
            match segment {
                Segment::Literal(text) => {
                    builder.glob(text);
                    source.push_str(text);
                }
                Segment::Escaped(c) => {
                    builder.literal_char(*c);
                    push_escaped(&mut source, *c);
                }
                Segment::Variable(variable) => {
                    let value = value_of(variable, lookup)?;
                    builder.literal_str(&value);
                    value.chars().for_each(|c| push_escaped(&mut source, c));
                }
            }
        }
        Some(Pattern {
            source: source.into_boxed_str(),
            tokens: builder.finish(),
            ignore_case: false,
        })
    }

    /// The pattern as text. For a pattern made by [`Pattern::from_segments`], literal
    /// characters that would otherwise read as wildcards are written `${*}`, `${?}`, `${$}`.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether this pattern ignores case.
    pub fn ignores_case(&self) -> bool {
        self.ignore_case
    }

    /// Whether this pattern matches every text (it is only `*`).
    pub fn matches_everything(&self) -> bool {
        matches!(*self.tokens, [Token::Any])
    }

    /// Whether this pattern has no wildcards, so it matches only its own text.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }

    /// Whether `subject` matches the whole pattern. Never allocates.
    pub fn matches(&self, subject: &str) -> bool {
        glob_match(&self.tokens, subject, self.ignore_case)
    }
}

/// Writes `c` so that the text reads back as the literal character.
fn push_escaped(out: &mut String, c: char) {
    match c {
        // A literal `$` just before would otherwise start a variable: `$` + `{` reads `${`.
        '{' if out.ends_with('$') => {
            out.pop();
            out.push_str("${$}{");
        }
        '*' => out.push_str("${*}"),
        '?' => out.push_str("${?}"),
        '$' => out.push_str("${$}"),
        _ => out.push(c),
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// If `subject` starts with `literal`, how many bytes of `subject` it covers.
fn eat(literal: &str, subject: &str, ignore_case: bool) -> Option<usize> {
    if !ignore_case {
        return subject.starts_with(literal).then_some(literal.len());
    }
    if literal.is_ascii() {
        let bytes = subject.as_bytes();
        for (at, want) in literal.bytes().enumerate() {
            let got = *bytes.get(at)?;
            if got.eq_ignore_ascii_case(&want) {
                continue;
            }
            if got.is_ascii() {
                // Everything before matched ASCII for ASCII, so this is a real mismatch.
                return None;
            }
            // A non-ASCII character may still fold to ours (the Kelvin sign to `k`).
            return eat_folded(literal, subject);
        }
        return Some(literal.len());
    }
    eat_folded(literal, subject)
}

/// [`eat`] ignoring case, character by character with Unicode simple lowercase.
fn eat_folded(literal: &str, subject: &str) -> Option<usize> {
    let mut used = 0;
    let mut rest = subject.chars();
    for want in literal.chars() {
        let got = rest.next()?;
        if got != want && !got.to_lowercase().eq(want.to_lowercase()) {
            return None;
        }
        used += got.len_utf8();
    }
    Some(used)
}

/// The classic greedy glob match with one backtracking point (the latest `*`): linear for
/// patterns with one `*`, at worst proportional to pattern length times subject length.
fn glob_match(mut tokens: &[Token], mut subject: &str, ignore_case: bool) -> bool {
    // A literal at either end must sit exactly there: check it first and match the rest.
    if let [Token::Literal(literal), rest @ ..] = tokens {
        let Some(len) = eat(literal, subject, ignore_case) else {
            return false;
        };
        tokens = rest;
        subject = subject.get(len..).unwrap_or_default();
    }
    if !ignore_case && let [rest @ .., Token::Literal(literal)] = tokens {
        let Some(head) = subject.strip_suffix(&**literal) else {
            return false;
        };
        tokens = rest;
        subject = head;
    }
    match tokens {
        [] => return subject.is_empty(),
        [Token::Any] => return true,
        _ => {}
    }
    let mut t = 0;
    let mut s = 0;
    // Token index after the latest `*`, and where in the subject that `*`'s run ends.
    let mut retry: Option<(usize, usize)> = None;
    loop {
        let rest = subject.get(s..).unwrap_or_default();
        let advanced = match tokens.get(t) {
            Some(Token::Any) => {
                t += 1;
                if t == tokens.len() {
                    return true;
                }
                retry = Some((t, s));
                continue;
            }
            Some(Token::One) => rest.chars().next().map(char::len_utf8),
            Some(Token::Literal(literal)) => eat(literal, rest, ignore_case),
            None if rest.is_empty() => return true,
            None => None,
        };
        if let Some(len) = advanced {
            s += len;
            t += 1;
            continue;
        }
        // Mismatch: let the latest `*` swallow one more character and try again.
        let Some((after_star, run_end)) = retry else {
            return false;
        };
        let Some(next) = subject.get(run_end..).and_then(|r| r.chars().next()) else {
            return false;
        };
        let mut from = run_end + next.len_utf8();
        if !ignore_case && let Some(Token::Literal(literal)) = tokens.get(after_star) {
            // Jump straight to the next place the literal after the `*` occurs.
            match subject.get(from..).and_then(|r| r.find(&**literal)) {
                Some(at) => from += at,
                None => return false,
            }
        }
        retry = Some((after_star, from));
        t = after_star;
        s = from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(glob: &str, subject: &str, expected: bool) {
        assert_eq!(
            Pattern::new(glob).matches(subject),
            expected,
            "`{glob}` against `{subject}`"
        );
    }

    #[test]
    fn literals_and_wildcards() {
        check("", "", true);
        check("", "a", false);
        check("abc", "abc", true);
        check("abc", "abcd", false);
        check("abc", "ab", false);
        check("*", "", true);
        check("*", "anything at all", true);
        check("a*", "a", true);
        check("a*", "ba", false);
        check("*a", "ba", true);
        check("*a", "ab", false);
        check("a*b*c", "abc", true);
        check("a*b*c", "axxbyyc", true);
        check("a*b*c", "axxbyycd", false);
        check("a*b*c", "acb", false);
        check("*ab*ab*", "xabyab", true);
        check("*aab", "aaab", true);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("a?c", "abbc", false);
        check("???", "日本語", true);
        check("??", "日本語", false);
        check("*?", "", false);
        check("*?", "x", true);
        check("**", "x", true);
        check("a**?*b", "axb", true);
        check("*/*", "bucket/key", true);
        check("*/*", "bucket", false);
        check("arn:aws:s3:::*/*", "arn:aws:s3:::b/k", true);
    }

    #[test]
    fn wildcards_in_the_subject_are_plain_characters() {
        check("a*", "a*", true);
        check("a", "*", false);
        check("?", "*", true);
        check("a*c", "a?c", true);
        check("abc", "a?c", false);
        check("ab*", "a*", false);
    }

    #[test]
    fn backtracking_finds_later_literal() {
        check("*needle", "needleneedle", true);
        check("*needle*end", "needlXneedleYend", true);
        check("*ab*cd", "abxabycd", true);
        check("*ab*cd", "abxabycx", false);
        let long = "a".repeat(200);
        check(&format!("{}b", "*a".repeat(20)), &long, false);
    }

    #[test]
    fn ignoring_case() {
        let p = Pattern::new_ignore_case("iam:*MFADevice");
        assert!(p.matches("iam:EnableMFADevice"));
        assert!(p.matches("IAM:enablemfadevice"));
        assert!(!p.matches("iam:EnableMFADevices"));
        let p = Pattern::new_ignore_case("straße");
        assert!(p.matches("STRAßE"));
        assert!(
            Pattern::new_ignore_case("k").matches("\u{212A}"),
            "Kelvin sign folds to k"
        );
        assert!(p.ignores_case());
        assert!(!Pattern::new("x").ignores_case());
        assert!(!Pattern::new("Get*").matches("getObject"));
    }

    #[test]
    fn properties() {
        assert!(Pattern::new("*").matches_everything());
        assert!(Pattern::new("**").matches_everything());
        assert!(!Pattern::new("*a").matches_everything());
        assert!(Pattern::new("abc").is_literal());
        assert!(!Pattern::new("a?c").is_literal());
        assert_eq!(Pattern::new("a*?").to_string(), "a*?");
    }

    #[test]
    fn from_segments_keeps_values_literal() {
        let segments = crate::parse_variables("${x}/${*}/*").unwrap();
        let mut lookup = |_: &Variable| Some("?".to_owned());
        let p = Pattern::from_segments(&segments, &mut lookup).unwrap();
        assert_eq!(p.as_str(), "${?}/${*}/*");
        assert!(p.matches("?/*/anything"));
        assert!(!p.matches("x/*/anything"));
        assert!(!p.matches("?/x/anything"));
        let mut none = |_: &Variable| None;
        assert_eq!(Pattern::from_segments(&segments, &mut none), None);

        // `$` then a value starting with `{` must not read back as a variable.
        let segments = crate::parse_variables("a$${x}").unwrap();
        let mut brace = |_: &Variable| Some("{b}".to_owned());
        let p = Pattern::from_segments(&segments, &mut brace).unwrap();
        assert_eq!(p.as_str(), "a${$}{b}");
        assert!(p.matches("a${b}"));
    }
}
