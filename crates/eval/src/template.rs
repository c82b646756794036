//! Text with wildcards and policy variables, compiled once and matched without allocating.
//!
//! A [`Template`] is what a `Resource` entry, an action pattern or a condition value compiles
//! to: literal text, `*` (any run of characters), `?` (one character) and `${key}` or
//! `${key, 'default'}` policy variables. `${*}`, `${?}` and `${$}` are the literal characters.
//! A `*` or `?` in the *subject* is just a character.

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// Literal text.
    Lit(Box<str>),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`; `key` is lowercased (keys are case-insensitive).
    Var {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// How a template treats `*`, `?` and `${...}`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (else literal characters).
    pub wildcards: bool,
    /// `${...}` is a policy variable (else literal text, as in a `2008-10-17` policy).
    pub variables: bool,
}

/// Compiled text with wildcards and policy variables.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    toks: Vec<Tok>,
    has_vars: bool,
}

impl Template {
    /// Compiles `text`.
    pub(crate) fn new(text: &str, syntax: Syntax) -> Template {
        let mut toks = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables
                && rest.starts_with("${")
                && let Some((tok, len)) = parse_variable(rest)
            {
                match tok {
                    Tok::Lit(text) => lit.push_str(&text),
                    var => {
                        flush(&mut lit, &mut toks);
                        toks.push(var);
                    }
                }
                rest = rest.get(len..).unwrap_or_default();
                continue;
            }
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut lit, &mut toks);
                    // Consecutive stars are one star.
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut lit, &mut toks);
                    toks.push(Tok::One);
                }
                c => lit.push(c),
            }
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
        flush(&mut lit, &mut toks);
        let has_vars = toks.iter().any(|t| matches!(t, Tok::Var { .. }));
        Template { toks, has_vars }
    }

    /// Whether the template holds a policy variable.
    pub(crate) fn has_variables(&self) -> bool {
        self.has_vars
    }

    /// The text when the template is plain literal text (no wildcard, no variable).
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match self.toks.as_slice() {
            [] => Some(""),
            [Tok::Lit(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether the template is a single `*`.
    pub(crate) fn is_star(&self) -> bool {
        self.toks.as_slice() == [Tok::Star]
    }

    /// Splits the template at its first `max - 1` literal `sep` characters (a separator
    /// inside a variable does not count): between 1 and `max` parts, the last one keeping any
    /// further separators.
    pub(crate) fn split_upto(&self, sep: char, max: usize) -> Vec<Template> {
        let mut parts = Vec::with_capacity(max);
        let mut current: Vec<Tok> = Vec::new();
        for tok in &self.toks {
            match tok {
                Tok::Lit(text) if parts.len() + 1 < max => {
                    let mut piece = String::new();
                    for c in text.chars() {
                        if c == sep && parts.len() + 1 < max {
                            if !piece.is_empty() {
                                current.push(Tok::Lit(std::mem::take(&mut piece).into()));
                            }
                            parts.push(Template::from_toks(std::mem::take(&mut current)));
                        } else {
                            piece.push(c);
                        }
                    }
                    if !piece.is_empty() {
                        current.push(Tok::Lit(piece.into()));
                    }
                }
                tok => current.push(tok.clone()),
            }
        }
        parts.push(Template::from_toks(current));
        parts
    }

    fn from_toks(toks: Vec<Tok>) -> Template {
        let has_vars = toks.iter().any(|t| matches!(t, Tok::Var { .. }));
        Template { toks, has_vars }
    }

    /// Whether `subject` matches. Variables are looked up with `lookup` (given the lowercased
    /// key); a variable with neither a value nor a default makes the template match nothing.
    /// The value of a variable is literal text: a `*` in it is not a wildcard.
    pub(crate) fn matches<'a>(
        &'a self,
        subject: &str,
        ignore_case: bool,
        lookup: &mut dyn FnMut(&str) -> Option<&'a str>,
    ) -> bool {
        if !self.has_vars {
            return glob(&self.toks, &[], subject, ignore_case);
        }
        match self.resolve(lookup) {
            Some(values) => glob(&self.toks, &values, subject, ignore_case),
            None => false,
        }
    }

    /// The template's text with variables substituted and wildcards kept as they are,
    /// or `None` when a variable has neither a value nor a default. Used for condition values
    /// of operators that take no wildcards.
    pub(crate) fn substitute<'a>(
        &'a self,
        lookup: &mut dyn FnMut(&str) -> Option<&'a str>,
    ) -> Option<String> {
        let mut out = String::new();
        for tok in &self.toks {
            match tok {
                Tok::Lit(text) => out.push_str(text),
                Tok::Star => out.push('*'),
                Tok::One => out.push('?'),
                Tok::Var { key, default } => out.push_str(lookup(key).or(default.as_deref())?),
            }
        }
        Some(out)
    }

    fn resolve<'a>(
        &'a self,
        lookup: &mut dyn FnMut(&str) -> Option<&'a str>,
    ) -> Option<Vec<&'a str>> {
        let mut values = Vec::with_capacity(self.toks.len());
        for tok in &self.toks {
            values.push(match tok {
                Tok::Var { key, default } => lookup(key).or(default.as_deref())?,
                _ => "",
            });
        }
        Some(values)
    }
}

fn flush(lit: &mut String, toks: &mut Vec<Tok>) {
    if !lit.is_empty() {
        toks.push(Tok::Lit(std::mem::take(lit).into()));
    }
}

/// Parses `${...}` at the start of `text`: the token and the number of bytes it takes.
/// Returns `None` (the text is then literal) when it is not a well-formed variable.
fn parse_variable(text: &str) -> Option<(Tok, usize)> {
    let inner_and_rest = text.get(2..)?;
    let end = inner_and_rest.find('}')?;
    let inner = inner_and_rest.get(..end)?;
    let len = end + 3;
    match inner {
        "*" | "?" | "$" => return Some((Tok::Lit(inner.into()), len)),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))?;
            (key.trim(), Some(quoted.into()))
        }
        None => (inner.trim(), None),
    };
    let valid = !key.is_empty()
        && key.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '_' | '.' | '@' | '+' | '=')
        });
    valid.then(|| {
        (
            Tok::Var {
                key: key.to_ascii_lowercase().into(),
                default,
            },
            len,
        )
    })
}

/// A position in the pattern: token index and byte offset inside a literal or variable value.
#[derive(Clone, Copy)]
struct Pos {
    tok: usize,
    off: usize,
}

/// What the pattern holds at a position.
enum Unit {
    End,
    Star,
    One,
    Char(char),
}

/// Glob matching over tokens; `values[i]` is the value of token `i` when it is a variable.
fn glob(toks: &[Tok], values: &[&str], subject: &str, ignore_case: bool) -> bool {
    let text_at = |tok: usize| -> Option<&str> {
        match toks.get(tok)? {
            Tok::Lit(text) => Some(text),
            Tok::Var { .. } => values.get(tok).copied(),
            _ => None,
        }
    };
    // Normalises a position to the next unit (skipping exhausted and empty texts).
    let unit = |mut p: Pos| -> (Unit, Pos) {
        loop {
            match toks.get(p.tok) {
                None => return (Unit::End, p),
                Some(Tok::Star) => return (Unit::Star, p),
                Some(Tok::One) => return (Unit::One, p),
                Some(_) => {
                    let text = text_at(p.tok).unwrap_or_default();
                    match text.get(p.off..).and_then(|t| t.chars().next()) {
                        Some(c) => return (Unit::Char(c), p),
                        None => {
                            p = Pos {
                                tok: p.tok + 1,
                                off: 0,
                            }
                        }
                    }
                }
            }
        }
    };
    let advance = |p: Pos, u: &Unit| -> Pos {
        match u {
            Unit::Char(c) => Pos {
                tok: p.tok,
                off: p.off + c.len_utf8(),
            },
            _ => Pos {
                tok: p.tok + 1,
                off: 0,
            },
        }
    };
    let eq = |a: char, b: char| {
        a == b
            || (ignore_case
                && (a.eq_ignore_ascii_case(&b) || a.to_lowercase().eq(b.to_lowercase())))
    };

    let mut p = Pos { tok: 0, off: 0 };
    let mut s = 0usize;
    // Where to resume after the last star: pattern after it and the subject offset it covers up to.
    let mut star: Option<(Pos, usize)> = None;
    loop {
        let (u, at) = unit(p);
        let next_char = subject.get(s..).and_then(|t| t.chars().next());
        match (u, next_char) {
            (Unit::Star, _) => {
                let after = advance(at, &Unit::Star);
                star = Some((after, s));
                p = after;
                continue;
            }
            (Unit::End, None) => return true,
            (Unit::One, Some(c)) => {
                p = advance(at, &Unit::One);
                s += c.len_utf8();
                continue;
            }
            (Unit::Char(pc), Some(c)) if eq(pc, c) => {
                p = advance(at, &Unit::Char(pc));
                s += c.len_utf8();
                continue;
            }
            _ => {}
        }
        // Mismatch: let the last star take one more character.
        match star {
            Some((after, covered)) => match subject.get(covered..).and_then(|t| t.chars().next()) {
                Some(c) => {
                    let covered = covered + c.len_utf8();
                    star = Some((after, covered));
                    p = after;
                    s = covered;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOB: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    fn check(pattern: &str, subject: &str, expected: bool) {
        let t = Template::new(pattern, GLOB);
        let mut lookup = |key: &str| match key {
            "aws:username" => Some("dev-user"),
            "aws:principaltag/team" => Some("blue"),
            "star" => Some("*"),
            _ => None,
        };
        assert_eq!(
            t.matches(subject, false, &mut lookup),
            expected,
            "{pattern} ~ {subject}"
        );
    }

    #[test]
    fn wildcards() {
        check("*", "", true);
        check("*", "anything", true);
        check("a*c", "abbbc", true);
        check("a*c", "abbb", false);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("*/*", "bucket/key", true);
        check("*/*", "bucket", false);
        check("a**b", "ab", true);
        check("*a*b*c*", "xxaxxbxxcxx", true);
        check("*a*b*c*", "xxaxxcxxbxx", false);
        check("?", "é", true);
    }

    #[test]
    fn variables_and_special_forms() {
        check("home/${aws:username}/*", "home/dev-user/x", true);
        check("home/${AWS:UserName}/*", "home/dev-user/x", true);
        check("home/${aws:username}/*", "home/other/x", false);
        check("team-${aws:PrincipalTag/team}", "team-blue", true);
        check("x-${missing}", "x-", false);
        check("x-${missing, 'dflt'}", "x-dflt", true);
        check("x-${missing,'dflt'}", "x-dflt", true);
        check("a${*}b", "a*b", true);
        check("a${*}b", "axb", false);
        check("a${?}b", "a?b", true);
        check("a${$}b", "a$b", true);
        // A variable's value is literal text.
        check("x-${star}", "x-*", true);
        check("x-${star}", "x-abc", false);
        // Unterminated or malformed: literal text.
        check("x-${oops", "x-${oops", true);
    }

    #[test]
    fn literal_star_in_subject_is_a_character() {
        check("bucket/a", "bucket/*", false);
        check("bucket/*", "bucket/*", true);
    }

    #[test]
    fn ignore_case_and_split() {
        let t = Template::new("S3:Get*", GLOB);
        assert!(t.matches("s3:getobject", true, &mut |_| None));
        assert!(!t.matches("s3:getobject", false, &mut |_| None));
        let t = Template::new("arn:aws:s3:::${aws:username}:x/*", GLOB);
        let parts = t.split_upto(':', 6);
        assert_eq!(parts.len(), 6);
        assert!(parts[5].matches("dev-user:x/y", false, &mut |_| Some("dev-user")));
        assert_eq!(
            Template::new("arn:aws:s3*", GLOB).split_upto(':', 6).len(),
            3
        );
    }
}
