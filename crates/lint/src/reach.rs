//! Can a policy's `Resource` pattern ever match a resource of a given type?
//!
//! The catalog gives each resource type an ARN format such as
//! `arn:${Partition}:s3:::${BucketName}/${ObjectName}`; a policy gives a pattern such as
//! `arn:aws:s3:::*/*`. Both describe sets of strings; the pattern reaches the type when the
//! two sets share a string. We decide that exactly, segment by segment (IAM matches the six
//! colon-separated ARN parts separately), with a product automaton: no regex engine, no
//! backtracking blow-up.
//!
//! What a `${Variable}` in a format may hold: one or more characters, and a `/` only when the
//! variable is a path (its name says `Path`) or it is the last part of the resource after a
//! `/` (`${ObjectName}`, `${RoleNameWithPath}`). So `${BucketName}` never holds a `/`, and
//! `arn:aws:s3:::*/*` cannot reach a bucket.

/// The longest ARN IAM accepts.
const MAX_ARN_LEN: usize = 2048;

/// One step of a policy pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    Lit(char),
    /// `?`: exactly one character.
    One,
    /// `*`, a policy variable `${aws:username}` or a template placeholder `<account-id>`:
    /// any run of characters, also empty.
    Run,
}

/// One step of a catalog ARN format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    Lit(char),
    /// `${Variable}`: one or more characters; `slash` says whether `/` is among them.
    Var {
        slash: bool,
    },
}

/// What the reference does not say about a format's variables, from the catalog's corrections.
#[derive(Clone, Copy, Default)]
pub(crate) struct Rules<'a> {
    /// The service whose corrections say which variables may hold `/` although their names
    /// do not say so (`LogGroupName`); none when `None`.
    pub service: Option<&'a str>,
    /// Whether `${Account}` may be empty (resources AWS owns).
    pub empty_account: bool,
}

/// Whether the resource pattern could match some ARN of the format.
pub(crate) fn reaches(pattern: &str, format: &str) -> bool {
    reaches_with(pattern, format, Rules::default())
}

/// [`reaches`], with the corrections of the reference for the format's service.
pub(crate) fn reaches_with(pattern: &str, format: &str, rules: Rules<'_>) -> bool {
    if rules.empty_account
        && format.contains(":${Account}:")
        && reaches_one(pattern, &format.replacen(":${Account}:", "::", 1), rules)
    {
        return true;
    }
    reaches_one(pattern, format, rules)
}

fn reaches_one(pattern: &str, format: &str, rules: Rules<'_>) -> bool {
    // Most pairs differ in their service, a literal in both: no automaton for those.
    let service = |text: &str| text.split(':').nth(2).map(str::to_owned);
    if let (Some(a), Some(b)) = (service(pattern), service(format))
        && !a.contains(['*', '?', '$', '<'])
        && !b.contains('$')
        && a != b
        && pattern.starts_with("arn:")
    {
        return false;
    }
    // IAM allows at most 2,048 characters in an ARN; longer text is another check's business,
    // and the product automaton grows with the pattern's length.
    if pattern.len() > MAX_ARN_LEN {
        return true;
    }
    if pattern.chars().all(|c| c == '*') && !pattern.is_empty() {
        return true;
    }
    let pattern = split(&pattern_steps(pattern), |p| *p == P::Lit(':'));
    let slash = |name: &str| {
        rules
            .service
            .is_some_and(|service| iamkit_catalog::Corrections::get().slash(service, name))
    };
    let format = split(&format_steps(format, &slash), |f| *f == F::Lit(':'));
    if pattern.len() != 6 || format.len() != 6 {
        // Not ARN-shaped: another check reports malformed ARNs; do not guess here.
        return true;
    }
    pattern
        .iter()
        .zip(&format)
        .all(|(p, f)| segment_intersects(p, f))
}

/// Whether the pattern matches the literal resource `*` (what a `*`-only action is checked
/// against).
pub(crate) fn matches_star(pattern: &str) -> bool {
    if pattern.starts_with("arn:") {
        return false;
    }
    if !pattern.is_empty() && pattern.bytes().all(|b| b == b'*') {
        return true;
    }
    let steps = pattern_steps(pattern);
    let fixed: Vec<&P> = steps.iter().filter(|p| **p != P::Run).collect();
    match fixed.as_slice() {
        [] => !steps.is_empty(),
        [P::One | P::Lit('*')] => true,
        _ => false,
    }
}

/// Splits into the six ARN parts: at the first five separators; the resource keeps its colons.
fn split<T: Copy>(steps: &[T], is_colon: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
    let mut parts = vec![Vec::new()];
    for step in steps {
        let full = parts.len() >= 6;
        match parts.last_mut() {
            Some(part) if full || !is_colon(step) => part.push(*step),
            _ => parts.push(Vec::new()),
        }
    }
    parts
}

fn pattern_steps(pattern: &str) -> Vec<P> {
    let mut steps = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => steps.push(P::Run),
            '?' => steps.push(P::One),
            '$' if chars.peek() == Some(&'{') => {
                let body: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                // `${*}`, `${?}`, `${$}` stand for the character itself.
                match body.as_str() {
                    "*" | "?" | "$" => steps.extend(body.chars().map(P::Lit)),
                    _ => steps.push(P::Run),
                }
            }
            '<' if pattern_placeholder(&mut chars.clone()) => {
                chars.by_ref().take_while(|&c| c != '>').for_each(drop);
                steps.push(P::Run);
            }
            c => steps.push(P::Lit(c)),
        }
    }
    steps
}

/// Whether the text after `<` is a template placeholder such as `account-id>`.
fn pattern_placeholder(rest: &mut impl Iterator<Item = char>) -> bool {
    let mut len = 0;
    for c in rest {
        match c {
            '>' => return len > 0,
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => len += 1,
            _ => return false,
        }
    }
    false
}

fn format_steps(format: &str, slash: &dyn Fn(&str) -> bool) -> Vec<F> {
    let mut steps = Vec::with_capacity(format.len());
    let mut rest = format;
    while !rest.is_empty() {
        if let Some(body) = rest.strip_prefix("${")
            && let Some(end) = body.find('}')
        {
            let name = body.get(..end).unwrap_or_default();
            rest = body.get(end + 1..).unwrap_or_default();
            let last_after_slash = rest.is_empty() && steps.last() == Some(&F::Lit('/'));
            steps.push(F::Var {
                slash: name.contains("Path") || last_after_slash || slash(name),
            });
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            steps.push(F::Lit(c));
        }
        rest = chars.as_str();
    }
    steps
}

/// Whether one pattern segment and one format segment share a string.
fn segment_intersects(p: &[P], f: &[F]) -> bool {
    // States: (pattern index, format index, whether the variable at the format index has
    // consumed a character yet), visited once each.
    let index =
        |i: usize, j: usize, started: bool| (i * (f.len() + 1) + j) * 2 + usize::from(started);
    let mut seen = vec![false; (p.len() + 1) * (f.len() + 1) * 2];
    let mut stack = vec![(0usize, 0usize, false)];
    while let Some(state) = stack.pop() {
        let (i, j, started) = state;
        match seen.get_mut(index(i, j, started)) {
            Some(visited) if !*visited => *visited = true,
            _ => continue,
        }
        let (pi, fj) = (p.get(i).copied(), f.get(j).copied());
        if pi.is_none() && fj.is_none() {
            return true;
        }
        if pi == Some(P::Run) {
            stack.push((i + 1, j, started));
        }
        if let Some(F::Var { .. }) = fj
            && started
        {
            stack.push((i, j + 1, false));
        }
        let (Some(pi), Some(fj)) = (pi, fj) else {
            continue;
        };
        let compatible = match (pi, fj) {
            (P::Lit(a), F::Lit(b)) => a == b,
            (P::Lit(a), F::Var { slash }) => slash || a != '/',
            (P::One | P::Run, _) => true,
        };
        if !compatible {
            continue;
        }
        let next_i = if pi == P::Run { i } else { i + 1 };
        match fj {
            F::Lit(_) => stack.push((next_i, j + 1, false)),
            F::Var { .. } => stack.push((next_i, j, true)),
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";
    const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    const ACCESS_POINT: &str =
        "arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}";
    const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
    const USER: &str = "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}";
    const MFA: &str = "arn:${Partition}:iam::${Account}:mfa/${MfaTokenIdWithPath}";
    const FUNCTION: &str = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";

    fn check(pattern: &str, format: &str, expected: bool) {
        assert_eq!(reaches(pattern, format), expected, "{pattern} vs {format}");
    }

    #[test]
    fn the_articles_s3_objects() {
        check("arn:aws:s3:::*/*", OBJECT, true);
        check("arn:aws:s3:::*/*", BUCKET, false);
        check("arn:aws:s3:::*/*", ACCESS_POINT, false);
        check("arn:aws:s3:::*", BUCKET, true);
        check("arn:aws:s3:::*", OBJECT, true);
        check("arn:aws:s3:::my-bucket", BUCKET, true);
        check("arn:aws:s3:::my-bucket", OBJECT, false);
        check("arn:aws:s3:::my-bucket/a/b.txt", OBJECT, true);
        check("*", BUCKET, true);
        check("arn:aws:s3:::*/*", ROLE, false);
    }

    #[test]
    fn iam_paths_variables_and_placeholders() {
        check("arn:aws:iam::<account-id>:user/${aws:username}", USER, true);
        check("arn:aws:iam::123456789012:user/${aws:username}", USER, true);
        check("arn:aws:iam::<account-id>:mfa/*", MFA, true);
        check("arn:aws:iam::<account-id>:mfa/*", USER, false);
        check("arn:aws:iam::*:role/admin", ROLE, true);
        check("arn:aws:iam::123456789012:role/team/admin", ROLE, true);
        check("arn:aws:iam:us-east-1:123456789012:role/admin", ROLE, false);
        check("arn:aws:iam::123456789012:role/*", USER, false);
        check("arn:aws:iam::123456789012:rol?/x", ROLE, true);
    }

    #[test]
    fn segments_do_not_bleed() {
        check("arn:aws:lambda:*:*:function:*", FUNCTION, true);
        check(
            "arn:aws:lambda:ap-northeast-1:*:function:hello",
            FUNCTION,
            true,
        );
        check("arn:aws:lambda:ap-northeast-1:*:layer:x", FUNCTION, false);
        // A variable needs at least one character.
        check("arn:aws:lambda:ap-northeast-1::function:x", FUNCTION, false);
        check("arn:aws:s3:::${*}", BUCKET, true);
        check("arn:*", BUCKET, true);
    }

    /// Brute force: is there a string of at most `max` characters over `alphabet` that both
    /// step lists accept?
    fn brute_force(p: &[P], f: &[F], alphabet: &[char], max: usize) -> bool {
        fn pattern_accepts(p: &[P], s: &[char]) -> bool {
            match (p.first(), s.first()) {
                (None, _) => s.is_empty(),
                (Some(P::Run), _) => {
                    pattern_accepts(&p[1..], s) || (!s.is_empty() && pattern_accepts(p, &s[1..]))
                }
                (Some(P::One), Some(_)) => pattern_accepts(&p[1..], &s[1..]),
                (Some(P::Lit(c)), Some(x)) => c == x && pattern_accepts(&p[1..], &s[1..]),
                (Some(_), None) => false,
            }
        }
        fn format_accepts(f: &[F], s: &[char]) -> bool {
            match f.first() {
                None => s.is_empty(),
                Some(F::Lit(c)) => s.first() == Some(c) && format_accepts(&f[1..], &s[1..]),
                Some(F::Var { slash }) => (1..=s.len()).any(|n| {
                    s[..n].iter().all(|&c| *slash || c != '/') && format_accepts(&f[1..], &s[n..])
                }),
            }
        }
        let mut strings: Vec<Vec<char>> = vec![Vec::new()];
        for _ in 0..max {
            let longer: Vec<Vec<char>> = strings
                .iter()
                .filter(|s| s.len() == strings.last().map_or(0, Vec::len))
                .flat_map(|s| alphabet.iter().map(move |&c| [s.clone(), vec![c]].concat()))
                .collect();
            strings.extend(longer);
        }
        strings
            .iter()
            .any(|s| pattern_accepts(p, s) && format_accepts(f, s))
    }

    proptest::proptest! {
        #[test]
        fn the_automaton_agrees_with_brute_force(
            p in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(P::Run),
                    proptest::strategy::Just(P::One),
                    proptest::strategy::Just(P::Lit('a')),
                    proptest::strategy::Just(P::Lit('/')),
                ],
                0..4,
            ),
            f in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(F::Lit('a')),
                    proptest::strategy::Just(F::Lit('/')),
                    proptest::strategy::Just(F::Var { slash: false }),
                    proptest::strategy::Just(F::Var { slash: true }),
                ],
                0..4,
            ),
        ) {
            // A shortest common string needs at most one character per step of either side.
            let expected = brute_force(&p, &f, &['a', '/'], p.len() + f.len());
            proptest::prop_assert_eq!(segment_intersects(&p, &f), expected, "{:?} {:?}", p, f);
        }
    }

    #[test]
    fn star_resources() {
        assert!(matches_star("*"));
        assert!(matches_star("**"));
        assert!(!matches_star("arn:aws:iam::*:mfa/*"));
        assert!(!matches_star("arn:*"));
    }
}
