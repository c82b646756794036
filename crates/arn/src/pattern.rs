//! `Pattern`: a glob with policy variables, compiled once and matched many times without
//! allocating.

use std::fmt;

use crate::{ArnError, Segment, Variable, variables::parse_in};

/// One step of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Token {
    /// Characters that must appear as they are.
    Literal(Box<str>),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Any,
    /// A policy variable (an index into the pattern's variables): its value, matched as
    /// literal text.
    Variable(usize),
}

/// How [`Pattern::parse`] reads its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Syntax {
    /// `*` and `?` are wildcards (else ordinary characters, as in `StringEquals`).
    pub wildcards: bool,
    /// `${...}` is a policy variable or `${*}`, `${?}`, `${$}` (else plain text, as in a
    /// `2008-10-17` policy).
    pub variables: bool,
    /// Compare ignoring case (Unicode simple lowercase, character by character), as IAM
    /// compares actions and `StringEqualsIgnoreCase` values.
    pub ignore_case: bool,
}

/// A compiled pattern: `*` matches any run of characters (including none), `?` exactly one
/// character, a policy variable its value as literal text, everything else itself. `*` and
/// `?` in the text being matched are ordinary characters.
///
/// [`Pattern::new`] compares case-sensitively, as IAM compares resources;
/// [`Pattern::new_ignore_case`] ignores case, as IAM compares actions. [`Pattern::parse`]
/// also reads policy variables, which [`Pattern::matches_with`] resolves at match time.
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
    variables: Box<[Variable]>,
    ignore_case: bool,
    /// Whether every literal token is ASCII.
    ascii: bool,
}

/// Collects tokens, merging neighbouring literals and runs of `*`.
#[derive(Default)]
struct Builder {
    tokens: Vec<Token>,
    variables: Vec<Variable>,
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

    fn wildcard(&mut self, token: Token) {
        self.flush();
        if token == Token::Any && self.tokens.last() == Some(&Token::Any) {
            return;
        }
        self.tokens.push(token);
    }

    fn variable(&mut self, variable: &Variable) {
        self.flush();
        self.tokens.push(Token::Variable(self.variables.len()));
        self.variables.push(variable.clone());
    }

    /// Text in which `*` and `?` are wildcards when `wildcards` is set.
    fn text(&mut self, text: &str, wildcards: bool) {
        if !wildcards {
            return self.literal_str(text);
        }
        for c in text.chars() {
            match c {
                '*' => self.wildcard(Token::Any),
                '?' => self.wildcard(Token::One),
                _ => self.literal_char(c),
            }
        }
    }

    fn finish(mut self, source: Box<str>, ignore_case: bool) -> Pattern {
        self.flush();
        let ascii = self.tokens.iter().all(|token| match token {
            Token::Literal(text) => text.is_ascii(),
            Token::One | Token::Any | Token::Variable(_) => true,
        });
        Pattern {
            source,
            tokens: self.tokens.into_boxed_slice(),
            variables: self.variables.into_boxed_slice(),
            ignore_case,
            ascii,
        }
    }
}

impl Pattern {
    /// Compiles `glob`, comparing case-sensitively. `${...}` is plain text.
    pub fn new(glob: &str) -> Pattern {
        Pattern::literal_syntax(glob, true, false)
    }

    /// Compiles `glob`, ignoring case (Unicode simple lowercase, character by character).
    /// `${...}` is plain text.
    pub fn new_ignore_case(glob: &str) -> Pattern {
        Pattern::literal_syntax(glob, true, true)
    }

    fn literal_syntax(text: &str, wildcards: bool, ignore_case: bool) -> Pattern {
        let mut builder = Builder::default();
        builder.text(text, wildcards);
        builder.finish(text.into(), ignore_case)
    }

    /// Compiles `text` as `syntax` says. Fails only on a malformed policy variable.
    ///
    /// ```
    /// use iamkit_arn::{Pattern, Syntax, Variable};
    /// let syntax = Syntax { wildcards: true, variables: true, ignore_case: false };
    /// let home = Pattern::parse("home/${aws:username}/*", syntax)?;
    /// let lookup = |v: &Variable| (v.key == "aws:username").then_some("a*b");
    /// assert!(home.matches_with("home/a*b/notes.txt", lookup));
    /// // The value's `*` is a literal character, not a wildcard.
    /// assert!(!home.matches_with("home/axxb/notes.txt", lookup));
    /// // Without a value (and no default) the pattern matches nothing.
    /// assert!(!home.matches("home/a*b/notes.txt"));
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn parse(text: &str, syntax: Syntax) -> Result<Pattern, ArnError> {
        if !syntax.variables {
            return Ok(Pattern::literal_syntax(
                text,
                syntax.wildcards,
                syntax.ignore_case,
            ));
        }
        let segments = parse_in(text, text, 0)?;
        Ok(Pattern::compile(&segments, text.into(), syntax))
    }

    /// Like [`Pattern::parse`], but a malformed policy variable does not fail: the text is
    /// then read with `${...}` as plain text. For condition values, which IAM does not
    /// check for well-formed variables.
    pub fn parse_or_plain(text: &str, syntax: Syntax) -> Pattern {
        Pattern::parse(text, syntax)
            .unwrap_or_else(|_| Pattern::literal_syntax(text, syntax.wildcards, syntax.ignore_case))
    }

    /// Compiles segments: literal text is a glob, escaped characters are literal, variables
    /// stay to be resolved when matching. `source` is what [`Pattern::as_str`] gives.
    pub(crate) fn compile(segments: &[Segment], source: Box<str>, syntax: Syntax) -> Pattern {
        let mut builder = Builder::default();
        for segment in segments {
            match segment {
                Segment::Literal(text) => builder.text(text, syntax.wildcards),
                Segment::Escaped(c) => builder.literal_char(*c),
                Segment::Variable(variable) => builder.variable(variable),
            }
        }
        builder.finish(source, syntax.ignore_case)
    }

    /// Compiles text with policy variables, case-sensitively, with the variables' values
    /// from `lookup` (or their defaults) in place: the same as [`Pattern::resolve`] on the
    /// compiled segments.
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
        let source: String = segments.iter().map(ToString::to_string).collect();
        let syntax = Syntax {
            wildcards: true,
            variables: true,
            ignore_case: false,
        };
        Pattern::compile(segments, source.into(), syntax).resolve(lookup)
    }

    /// The pattern with its policy variables replaced by the request's values (`lookup`) or
    /// their defaults, matched as literal text. In [`as_str`](Pattern::as_str), literal
    /// characters that would otherwise read as wildcards are written `${*}`, `${?}`, `${$}`.
    ///
    /// Returns `None` when a variable has neither a value nor a default.
    pub fn resolve(&self, lookup: &mut dyn FnMut(&Variable) -> Option<String>) -> Option<Pattern> {
        if self.variables.is_empty() {
            return Some(self.clone());
        }
        let mut builder = Builder::default();
        let mut source = String::new();
        for token in &self.tokens {
            match token {
                Token::Literal(text) => {
                    builder.literal_str(text);
                    text.chars().for_each(|c| push_escaped(&mut source, c));
                }
                Token::Any => {
                    builder.wildcard(Token::Any);
                    source.push('*');
                }
                Token::One => {
                    builder.wildcard(Token::One);
                    source.push('?');
                }
                Token::Variable(index) => {
                    let variable = self.variables.get(*index)?;
                    let value = lookup(variable).or_else(|| variable.default.clone())?;
                    builder.literal_str(&value);
                    value.chars().for_each(|c| push_escaped(&mut source, c));
                }
            }
        }
        Some(builder.finish(source.into(), self.ignore_case))
    }

    /// The pattern as text.
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

    /// Whether this pattern has no wildcards and no variables, so it matches only its own
    /// literal text.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }

    /// The text this pattern matches, when it has no wildcards and no variables and
    /// compares case-sensitively: it then matches that text alone.
    pub(crate) fn exact_text(&self) -> Option<&str> {
        match &*self.tokens {
            _ if self.ignore_case => None,
            [] => Some(""),
            [Token::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether the pattern holds policy variables.
    pub fn has_variables(&self) -> bool {
        !self.variables.is_empty()
    }

    /// The policy variables in the pattern, in order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables.iter()
    }

    /// Whether `subject` matches the whole pattern, every variable taking its default. A
    /// variable without a default makes the pattern match nothing. Never allocates.
    pub fn matches(&self, subject: &str) -> bool {
        self.matches_with(subject, |_| None)
    }

    /// Whether `subject` matches the whole pattern, each variable taking the value `lookup`
    /// gives (or else its default) as literal text. A variable with neither makes the
    /// pattern match nothing, as in IAM. Allocates only for a pattern with more than eight
    /// variables.
    pub fn matches_with<'v>(
        &self,
        subject: &str,
        mut lookup: impl FnMut(&Variable) -> Option<&'v str>,
    ) -> bool {
        const INLINE: usize = 8;
        if self.variables.is_empty() {
            if let [Token::Literal(literal)] = &*self.tokens {
                return self.equals(literal, subject);
            }
            return glob_match(&self.tokens, &[], subject, self.ignore_case);
        }
        let mut inline = [""; INLINE];
        let mut spilled = Vec::new();
        for (index, variable) in self.variables.iter().enumerate() {
            let Some(value) = lookup(variable).or(variable.default.as_deref()) else {
                return false;
            };
            match inline.get_mut(index) {
                Some(slot) => *slot = value,
                None => spilled.push(value),
            }
        }
        let values: &[&str] = if spilled.is_empty() {
            inline.get(..self.variables.len()).unwrap_or_default()
        } else {
            spilled.splice(0..0, inline);
            &spilled
        };
        glob_match(&self.tokens, values, subject, self.ignore_case)
    }

    /// Whether `subject` is `literal`, this pattern's only token: one comparison for an
    /// exact action or most parts of an ARN.
    fn equals(&self, literal: &str, subject: &str) -> bool {
        if !self.ignore_case {
            return subject == literal;
        }
        if self.ascii && subject.len() <= literal.len() {
            // Each character of `subject` must stand for one of `literal`'s one-byte
            // characters: in no more bytes than those, it can only be ASCII itself.
            return subject.eq_ignore_ascii_case(literal);
        }
        eat(literal, subject, true) == Some(subject.len())
    }
}

/// Writes `c` so that the text reads back as the literal character.
fn push_escaped(out: &mut String, c: char) {
    match c {
        // A `$` just before would otherwise start a variable: `$` + `{` reads `${`.
        '{' if out.ends_with('$') => {
            out.pop();
            out.push_str("${$}{");
        }
        '*' => out.push_str("${*}"),
        '?' => out.push_str("${?}"),
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

/// The literal text a token stands for: its own, or its variable's value.
fn literal_text<'a>(token: &'a Token, values: &[&'a str]) -> Option<&'a str> {
    match token {
        Token::Literal(literal) => Some(literal),
        Token::Variable(index) => Some(values.get(*index).copied().unwrap_or_default()),
        Token::One | Token::Any => None,
    }
}

/// The classic greedy glob match with one backtracking point (the latest `*`): linear for
/// patterns with one `*`, at worst proportional to pattern length times subject length.
fn glob_match<'a>(
    mut tokens: &'a [Token],
    values: &[&'a str],
    mut subject: &str,
    ignore_case: bool,
) -> bool {
    let text = |token| literal_text(token, values);
    // A literal at either end must sit exactly there: check it first and match the rest.
    if let [first, rest @ ..] = tokens
        && let Some(literal) = text(first)
    {
        let Some(len) = eat(literal, subject, ignore_case) else {
            return false;
        };
        tokens = rest;
        subject = subject.get(len..).unwrap_or_default();
    }
    if !ignore_case
        && let [rest @ .., last] = tokens
        && let Some(literal) = text(last)
    {
        let Some(head) = subject.strip_suffix(literal) else {
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
            Some(token @ (Token::Literal(_) | Token::Variable(_))) => {
                eat(text(token).unwrap_or_default(), rest, ignore_case)
            }
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
        if !ignore_case && let Some(literal) = tokens.get(after_star).and_then(text) {
            // Jump straight to the next place the literal after the `*` occurs.
            match subject.get(from..).and_then(|r| r.find(literal)) {
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
        // A pattern that is one literal is compared whole.
        let exact = Pattern::new_ignore_case("s3:GetObject");
        assert!(exact.matches("S3:GETOBJECT"));
        assert!(!exact.matches("s3:GetObjec"));
        assert!(!exact.matches("s3:GetObjects"));
        assert!(!exact.matches("s3:GetObjecß"));
        let kb = Pattern::new_ignore_case("kb");
        assert!(kb.matches("\u{212A}B"), "longer in bytes, still a match");
        assert!(!kb.matches("k"));
        assert!(!kb.matches("\u{212A}"));
        assert!(!kb.matches("kbc"));
        assert!(Pattern::new_ignore_case("\u{212A}").matches("k"));
        assert!(Pattern::new_ignore_case("").matches(""));
        assert!(!Pattern::new_ignore_case("").matches("a"));
    }

    #[test]
    fn exact_text_only_for_case_sensitive_literals() {
        assert_eq!(Pattern::new("abc").exact_text(), Some("abc"));
        assert_eq!(Pattern::new("").exact_text(), Some(""));
        assert_eq!(Pattern::new("a*").exact_text(), None);
        assert_eq!(Pattern::new("a?c").exact_text(), None);
        assert_eq!(Pattern::new_ignore_case("abc").exact_text(), None);
        assert_eq!(Pattern::new_ignore_case("").exact_text(), None);
        let variable = Pattern::parse("${aws:username}", VARIABLES).unwrap();
        assert_eq!(variable.exact_text(), None);
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

    const VARIABLES: Syntax = Syntax {
        wildcards: true,
        variables: true,
        ignore_case: false,
    };

    fn lookup(variable: &Variable) -> Option<&'static str> {
        match variable.key.as_str() {
            "aws:username" => Some("dev-user"),
            "star" => Some("*"),
            "empty" => Some(""),
            _ => None,
        }
    }

    #[test]
    fn variables_resolve_at_match_time() {
        let check = |text: &str, subject: &str, expected: bool| {
            let pattern = Pattern::parse(text, VARIABLES).unwrap();
            assert_eq!(
                pattern.matches_with(subject, lookup),
                expected,
                "`{text}` against `{subject}`"
            );
        };
        check("home/${aws:username}/*", "home/dev-user/x", true);
        check("home/${aws:username}/*", "home/other/x", false);
        check("${aws:username}", "dev-user", true);
        check("*${aws:username}", "x-dev-user", true);
        check("*${aws:username}*", "a-dev-user-b", true);
        check("*${aws:username}*", "a-dev-usr-b", false);
        check("x-${missing}", "x-", false);
        check("x-${missing, 'dflt'}", "x-dflt", true);
        check("a${empty}b", "ab", true);
        check("a${*}b", "a*b", true);
        check("a${*}b", "axb", false);
        check("a${?}b${$}", "a?b$", true);
        // A value is literal text: its `*` is not a wildcard.
        check("x-${star}", "x-*", true);
        check("x-${star}", "x-abc", false);
        let many = "${aws:username}/".repeat(10);
        check(&many, &"dev-user/".repeat(10), true);
        check(&many, &"dev-user/".repeat(9), false);
        let plain = Pattern::parse("${aws:username}", VARIABLES).unwrap();
        assert!(plain.has_variables());
        assert!(!plain.matches("dev-user"), "no lookup, no default");
        assert_eq!(plain.variables().count(), 1);
    }

    #[test]
    fn syntax_switches() {
        let equals = Syntax::default();
        let p = Pattern::parse("a*${aws:username}", equals).unwrap();
        assert!(p.matches("a*${aws:username}"));
        assert!(!p.matches("abc${aws:username}"));
        assert!(p.is_literal());
        let ignore = Syntax {
            ignore_case: true,
            variables: true,
            ..equals
        };
        let p = Pattern::parse("Team-${aws:username}", ignore).unwrap();
        assert!(p.matches_with("team-DEV-USER", lookup));
        assert!(Pattern::parse("x${oops", VARIABLES).is_err());
        assert!(Pattern::parse_or_plain("x-${oops", VARIABLES).matches("x-${oops"));
        assert!(Pattern::parse_or_plain("x*${oops", VARIABLES).matches("xyz${oops"));
    }
}
