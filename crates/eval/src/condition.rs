//! Condition operators: the 26 operators of IAM's "Condition operators" page, `Null`,
//! `...IfExists`, and the `ForAllValues:` / `ForAnyValue:` set qualifiers, compiled from the
//! policy crate's parsed [`Operator`].

use std::{cmp::Ordering, net::IpAddr};

use iamkit_arn::{Pattern, ResourcePattern, Syntax, Variable};
use iamkit_policy::{Operator, OperatorKind, SetQualifier};

/// A policy value compiled for its operator.
#[derive(Clone, Debug)]
enum PolicyValue {
    /// String and binary operators: equality, or wildcards for `StringLike`, with policy
    /// variables resolved when matching.
    Text(Pattern),
    /// ARN operators: part by part, with wildcards (`ArnEquals` behaves as `ArnLike`).
    Arn(ResourcePattern),
    Num(f64),
    Date(i128),
    Bool(bool),
    Net(IpNet),
    /// The value does not parse for its operator: it matches nothing.
    Invalid,
}

/// One compiled condition: an operator, a key and the values it is compared with.
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    op: Operator,
    /// Lowercased: condition keys are case-insensitive.
    key: Box<str>,
    values: Vec<PolicyValue>,
}

/// The values of a context key as the engine sees them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Found<'a> {
    Many(&'a [String]),
    One(&'a str),
}

impl<'a> Found<'a> {
    fn is_empty(self) -> bool {
        matches!(self, Found::Many([]))
    }

    fn iter(self) -> impl Iterator<Item = &'a str> {
        let (many, one) = match self {
            Found::Many(v) => (v, None),
            Found::One(s) => (&[][..], Some(s)),
        };
        many.iter().map(String::as_str).chain(one)
    }
}

/// Looks up a lowercased key: the request context first, then keys derived from the request.
pub(crate) trait Lookup {
    /// All values of `key` (lowercased).
    fn values(&self, key: &str) -> Option<Found<'_>>;

    /// The single value of `key` (lowercased) for policy variable substitution: `None` when
    /// the key is missing or has no or several values.
    fn variable(&self, key: &str) -> Option<&str> {
        match self.values(key)? {
            Found::One(s) => Some(s),
            Found::Many([s]) => Some(s),
            Found::Many(_) => None,
        }
    }

    /// The value of a policy variable, its key in any case. Does not allocate for keys up
    /// to 128 bytes.
    fn resolve(&self, variable: &Variable) -> Option<&str> {
        let key = variable.key.as_str();
        if !key.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.variable(key);
        }
        let mut buffer = [0u8; 128];
        match buffer.get_mut(..key.len()) {
            Some(lower) => {
                lower.copy_from_slice(key.as_bytes());
                lower.make_ascii_lowercase();
                std::str::from_utf8(lower)
                    .ok()
                    .and_then(|k| self.variable(k))
            }
            None => self.variable(&key.to_ascii_lowercase()),
        }
    }
}

impl Condition {
    /// Compiles one `operator: { key: values }` entry. `variables` is false in a
    /// `2008-10-17` policy.
    pub(crate) fn new(op: Operator, key: &str, values: &[String], variables: bool) -> Condition {
        Condition {
            op,
            key: key.to_ascii_lowercase().into(),
            values: values
                .iter()
                .map(|text| compile_value(op.base, text, variables))
                .collect(),
        }
    }

    /// Whether the condition holds for the request.
    pub(crate) fn holds(&self, env: &dyn Lookup) -> bool {
        let op = self.op;
        let negated = op.base.is_negated();
        let found = env.values(&self.key);
        let missing = found.is_none_or(Found::is_empty);
        if op.base == OperatorKind::Null {
            // `"Null": {"key": "true"}`: the key is absent. Values are ORed.
            return self.values.iter().any(|v| match v {
                PolicyValue::Bool(want_absent) => *want_absent == missing,
                _ => false,
            });
        }
        let any_value = |ctx: &str| {
            self.values
                .iter()
                .any(|pv| matches_one(op.base, ctx, pv, env))
        };
        let one = |ctx: &str| any_value(ctx) != negated;
        match (op.set, found) {
            (None, None) => op.if_exists || negated,
            (None, Some(found)) if found.is_empty() => op.if_exists || negated,
            // A single-valued operator on several values: true when any value matches (for
            // a negated operator: when none matches).
            (None, Some(found)) => found.iter().any(any_value) != negated,
            (Some(SetQualifier::ForAnyValue), found) => match found {
                Some(found) if !found.is_empty() => found.iter().any(one),
                _ => op.if_exists,
            },
            (Some(SetQualifier::ForAllValues), found) => match found {
                Some(found) if !found.is_empty() => found.iter().all(one),
                _ => true,
            },
        }
    }
}

/// Compiles one policy value for `kind`.
fn compile_value(kind: OperatorKind, text: &str, variables: bool) -> PolicyValue {
    use OperatorKind as K;
    // "You can't use a policy variable with other operators, such as Numeric, Date,
    // Boolean, Binary, IP Address, or Null operators" (Variables and tags).
    let text_pattern = |wildcards: bool, ignore_case: bool| {
        let syntax = Syntax {
            wildcards,
            variables,
            ignore_case,
        };
        PolicyValue::Text(Pattern::parse_or_plain(text, syntax))
    };
    let parsed = match kind {
        K::StringEquals | K::StringNotEquals => return text_pattern(false, false),
        K::StringEqualsIgnoreCase | K::StringNotEqualsIgnoreCase => {
            return text_pattern(false, true);
        }
        K::StringLike | K::StringNotLike => return text_pattern(true, false),
        K::BinaryEquals => {
            return PolicyValue::Text(Pattern::parse_or_plain(text, Syntax::default()));
        }
        K::ArnEquals | K::ArnLike | K::ArnNotEquals | K::ArnNotLike => {
            return PolicyValue::Arn(ResourcePattern::parse_condition(text, variables));
        }
        K::NumericEquals
        | K::NumericNotEquals
        | K::NumericLessThan
        | K::NumericLessThanEquals
        | K::NumericGreaterThan
        | K::NumericGreaterThanEquals => parse_number(text).map(PolicyValue::Num),
        K::DateEquals
        | K::DateNotEquals
        | K::DateLessThan
        | K::DateLessThanEquals
        | K::DateGreaterThan
        | K::DateGreaterThanEquals => parse_instant(text).map(PolicyValue::Date),
        K::Bool | K::Null => parse_bool(text).map(PolicyValue::Bool),
        K::IpAddress | K::NotIpAddress => IpNet::parse(text).map(PolicyValue::Net),
    };
    parsed.unwrap_or(PolicyValue::Invalid)
}

/// Whether a comparison `kind` holds when the context value compares to the policy value
/// as `ordering` (equality for the `Equals` / `NotEquals` kinds).
fn ordered(kind: OperatorKind, ordering: Ordering) -> bool {
    use OperatorKind as K;
    match kind {
        K::NumericLessThan | K::DateLessThan => ordering.is_lt(),
        K::NumericLessThanEquals | K::DateLessThanEquals => ordering.is_le(),
        K::NumericGreaterThan | K::DateGreaterThan => ordering.is_gt(),
        K::NumericGreaterThanEquals | K::DateGreaterThanEquals => ordering.is_ge(),
        _ => ordering.is_eq(),
    }
}

/// Whether the context value `ctx` matches the policy value `pv` under `kind` (before
/// negation).
fn matches_one(kind: OperatorKind, ctx: &str, pv: &PolicyValue, env: &dyn Lookup) -> bool {
    match pv {
        PolicyValue::Text(pattern) => pattern.matches_with(ctx, |v| env.resolve(v)),
        PolicyValue::Arn(pattern) => pattern.matches_with(ctx, |v| env.resolve(v)),
        PolicyValue::Num(p) => parse_number(ctx)
            .and_then(|c| c.partial_cmp(p))
            .is_some_and(|o| ordered(kind, o)),
        PolicyValue::Date(p) => parse_instant(ctx).is_some_and(|c| ordered(kind, c.cmp(p))),
        PolicyValue::Bool(p) => parse_bool(ctx) == Some(*p),
        PolicyValue::Net(net) => ctx.parse::<IpAddr>().is_ok_and(|ip| net.contains(ip)),
        PolicyValue::Invalid => false,
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    if !ok {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Parses a W3C ISO 8601 date or date-time, or epoch seconds (optionally with a fraction),
/// into nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) fn parse_instant(text: &str) -> Option<i128> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let body = text.strip_prefix('-').unwrap_or(text);
    if body.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_epoch(text);
    }
    parse_iso(text)
}

fn parse_epoch(text: &str) -> Option<i128> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i128 = int.parse().ok()?;
    let nanos = frac_nanos(frac)?;
    let total = secs.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    Some(if neg { -total } else { total })
}

fn frac_nanos(frac: &str) -> Option<i128> {
    let mut nanos: i128 = 0;
    let mut scale: i128 = 100_000_000;
    for b in frac.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        nanos += i128::from(b - b'0') * scale;
        scale /= 10;
    }
    Some(nanos)
}

fn digits<const N: usize>(text: &str) -> Option<(i64, &str)> {
    let head = text.get(..N)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, text.get(N..)?))
}

fn parse_iso(text: &str) -> Option<i128> {
    // The W3C profile of ISO 8601: YYYY-MM or YYYY-MM-DD, then optionally a time (a bare
    // YYYY is all digits, read as epoch seconds before this is reached).
    let (year, rest) = digits::<4>(text)?;
    let (month, rest) = match rest.strip_prefix('-') {
        Some(r) => digits::<2>(r)?,
        None if rest.is_empty() => (1, rest),
        None => return None,
    };
    let (day, rest) = match rest.strip_prefix('-') {
        Some(r) => digits::<2>(r)?,
        None if rest.is_empty() => (1, rest),
        None => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let mut secs = days * 86_400;
    let mut nanos: i128 = 0;
    let rest = if rest.is_empty() {
        rest
    } else {
        let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t'))?;
        let (hour, rest) = digits::<2>(rest)?;
        let rest = rest.strip_prefix(':')?;
        let (minute, mut rest) = digits::<2>(rest)?;
        let mut second = 0;
        if let Some(r) = rest.strip_prefix(':') {
            let (s, r) = digits::<2>(r)?;
            second = s;
            rest = r;
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
                nanos = frac_nanos(r.get(..end)?)?;
                rest = r.get(end..)?;
            }
        }
        if hour > 24 || minute > 59 || second > 60 || (hour == 24 && (minute, second) != (0, 0)) {
            return None;
        }
        secs += hour * 3600 + minute * 60 + second;
        rest
    };
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let (sign, r) = match rest.strip_prefix('+') {
                Some(r) => (1, r),
                None => (-1, rest.strip_prefix('-')?),
            };
            let (h, r) = digits::<2>(r)?;
            let r = r.strip_prefix(':').unwrap_or(r);
            let (m, r) = digits::<2>(r)?;
            if !r.is_empty() || h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    Some(i128::from(secs - offset) * 1_000_000_000 + nanos)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An IPv4 or IPv6 network in CIDR notation; an address without a prefix is a /32 or /128.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub(crate) fn parse(text: &str) -> Option<IpNet> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (
                addr.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ctx(Vec<(&'static str, Vec<String>)>);

    impl Lookup for Ctx {
        fn values(&self, key: &str) -> Option<Found<'_>> {
            self.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| Found::Many(v))
        }
    }

    fn check(
        op: &str,
        key: &str,
        policy: &[&str],
        ctx: &[(&'static str, &[&str])],
        expected: bool,
    ) {
        let values: Vec<String> = policy.iter().map(|s| (*s).to_owned()).collect();
        let cond = Condition::new(op.parse().unwrap(), key, &values, true);
        let ctx = Ctx(ctx
            .iter()
            .map(|(k, v)| (*k, v.iter().map(|s| (*s).to_owned()).collect()))
            .collect());
        assert_eq!(
            cond.holds(&ctx),
            expected,
            "{op} {key} {policy:?} with {:?}",
            ctx.0
        );
    }

    #[test]
    fn strings() {
        let k = "k";
        check("StringEquals", k, &["a", "b"], &[("K", &["b"])], true);
        check("StringEquals", k, &["a"], &[("k", &["A"])], false);
        check("StringEqualsIgnoreCase", k, &["a"], &[("k", &["A"])], true);
        check(
            "StringNotEqualsIgnoreCase",
            k,
            &["a"],
            &[("k", &["A"])],
            false,
        );
        check("StringNotEquals", k, &["a", "b"], &[("k", &["c"])], true);
        check("StringNotEquals", k, &["a", "b"], &[("k", &["a"])], false);
        check("StringNotEquals", k, &["a"], &[], true);
        check("StringEquals", k, &["a"], &[], false);
        check("StringEqualsIfExists", k, &["a"], &[], true);
        check("StringNotEqualsIfExists", k, &["a"], &[], true);
        check("StringLike", k, &["a*"], &[("k", &["abc"])], true);
        check("StringLike", k, &["a?c"], &[("k", &["abbc"])], false);
        check("StringNotLike", k, &["a*"], &[], true);
        check(
            "StringEquals",
            k,
            &["${aws:username}"],
            &[("k", &["bob"]), ("aws:username", &["bob"])],
            true,
        );
        check(
            "StringEquals",
            k,
            &["${aws:username}"],
            &[("k", &["bob"])],
            false,
        );
        check(
            "StringNotEquals",
            k,
            &["${aws:username}"],
            &[("k", &["bob"])],
            true,
        );
        // Variables are read by iamkit-arn's parser: a tag key may hold spaces; a malformed
        // variable leaves the whole value as plain text.
        check(
            "StringEquals",
            k,
            &["${aws:PrincipalTag/cost center}"],
            &[("k", &["x"]), ("aws:principaltag/cost center", &["x"])],
            true,
        );
        check(
            "StringLike",
            k,
            &["a*-${oops"],
            &[("k", &["abc-${oops"])],
            true,
        );
    }

    #[test]
    fn numbers_dates_bools_binary() {
        check("NumericLessThan", "n", &["10"], &[("n", &["9.5"])], true);
        check("NumericLessThan", "n", &["10"], &[("n", &["10"])], false);
        check(
            "NumericLessThanEquals",
            "n",
            &["10"],
            &[("n", &["10.0"])],
            true,
        );
        check("NumericNotEquals", "n", &["1"], &[("n", &["2"])], true);
        check("NumericEquals", "n", &["1"], &[("n", &["x"])], false);
        check(
            "DateGreaterThan",
            "t",
            &["2020-01-01T00:00:00Z"],
            &[("t", &["1717243200"])],
            true,
        );
        check(
            "DateLessThan",
            "t",
            &["1577836800"],
            &[("t", &["2019-12-31T23:59:59Z"])],
            true,
        );
        check(
            "DateEquals",
            "t",
            &["2020-01-01"],
            &[("t", &["1577836800"])],
            true,
        );
        check(
            "DateEquals",
            "t",
            &["2020-01-01T09:00:00+09:00"],
            &[("t", &["2020-01-01T00:00:00Z"])],
            true,
        );
        check(
            "DateEquals",
            "t",
            &["2020-01-01T00:00:00.500Z"],
            &[("t", &["1577836800.5"])],
            true,
        );
        check("Bool", "b", &["true"], &[("b", &["TRUE"])], true);
        check("Bool", "b", &["true"], &[("b", &["false"])], false);
        check("BoolIfExists", "b", &["true"], &[], true);
        check(
            "BinaryEquals",
            "b",
            &["QmluYXJ5"],
            &[("b", &["QmluYXJ5"])],
            true,
        );
    }

    #[test]
    fn ip_addresses() {
        check(
            "IpAddress",
            "ip",
            &["203.0.113.0/24"],
            &[("ip", &["203.0.113.45"])],
            true,
        );
        check(
            "IpAddress",
            "ip",
            &["203.0.113.0/24"],
            &[("ip", &["203.0.114.1"])],
            false,
        );
        check(
            "IpAddress",
            "ip",
            &["203.0.113.7"],
            &[("ip", &["203.0.113.7"])],
            true,
        );
        check(
            "IpAddress",
            "ip",
            &["2001:db8::/32"],
            &[("ip", &["2001:db8:1::5"])],
            true,
        );
        check(
            "IpAddress",
            "ip",
            &["2001:db8::/32"],
            &[("ip", &["203.0.113.7"])],
            false,
        );
        check(
            "IpAddress",
            "ip",
            &["0.0.0.0/0"],
            &[("ip", &["8.8.8.8"])],
            true,
        );
        check(
            "NotIpAddress",
            "ip",
            &["10.0.0.0/8"],
            &[("ip", &["8.8.8.8"])],
            true,
        );
        check("NotIpAddress", "ip", &["10.0.0.0/8"], &[], true);
    }

    #[test]
    fn arns() {
        let role = "arn:aws:iam::111122223333:role/admin";
        check(
            "ArnLike",
            "a",
            &["arn:aws:iam::*:role/*"],
            &[("a", &[role])],
            true,
        );
        check(
            "ArnEquals",
            "a",
            &["arn:aws:iam::111122223333:role/admin"],
            &[("a", &[role])],
            true,
        );
        check(
            "ArnLike",
            "a",
            &["arn:aws:iam::*:user/*"],
            &[("a", &[role])],
            false,
        );
        // Fewer than six parts: the last one takes the rest of the ARN, and only an
        // ARN-shaped value matches, as for `Resource` (iamkit-arn's `ResourcePattern`).
        check("ArnLike", "a", &["arn:aws:*"], &[("a", &[role])], true);
        check(
            "ArnLike",
            "a",
            &["arn:aws:*"],
            &[("a", &["arn:aws:x"])],
            false,
        );
        // Policy variables may stand in any part of an ARN value.
        check(
            "ArnLike",
            "a",
            &["arn:aws:iam::${aws:PrincipalAccount}:role/*"],
            &[("a", &[role]), ("aws:principalaccount", &["111122223333"])],
            true,
        );
        check("ArnLike", "a", &["arn:*:iam:*"], &[("a", &[role])], true);
        check("ArnLike", "a", &["arn:*:s3:*"], &[("a", &[role])], false);
        // Six parts: `*` does not cross a segment boundary.
        check(
            "ArnLike",
            "a",
            &["arn:aws:iam::1111*:admin"],
            &[("a", &[role])],
            false,
        );
        check(
            "ArnLike",
            "a",
            &["arn:aws:iam::*2223333:role/*"],
            &[("a", &[role])],
            true,
        );
        check(
            "ArnLike",
            "a",
            &["arn:*:iam::111122223333:role/admin"],
            &[("a", &[role])],
            true,
        );
        check(
            "ArnLike",
            "a",
            &["arn:aws:iam:*:role/admin"],
            &[("a", &[role])],
            false,
        );
        check(
            "ArnNotLike",
            "a",
            &["arn:aws:iam::*:role/admin"],
            &[("a", &[role])],
            false,
        );
        check(
            "ArnLike",
            "a",
            &["arn:aws:iam::*:role/admin"],
            &[("a", &["not-an-arn"])],
            false,
        );
    }

    #[test]
    fn null_and_sets() {
        check("Null", "k", &["true"], &[], true);
        check("Null", "k", &["true"], &[("k", &["x"])], false);
        check("Null", "k", &["false"], &[("k", &["x"])], true);
        check("Null", "k", &["false"], &[("k", &[])], false);
        check(
            "ForAllValues:StringEquals",
            "t",
            &["a", "b"],
            &[("t", &["a", "b"])],
            true,
        );
        check(
            "ForAllValues:StringEquals",
            "t",
            &["a", "b"],
            &[("t", &["a", "c"])],
            false,
        );
        check("ForAllValues:StringEquals", "t", &["a"], &[], true);
        check(
            "ForAllValues:StringEquals",
            "t",
            &["a"],
            &[("t", &[])],
            true,
        );
        check(
            "ForAnyValue:StringEquals",
            "t",
            &["a"],
            &[("t", &["c", "a"])],
            true,
        );
        check("ForAnyValue:StringEquals", "t", &["a"], &[], false);
        check(
            "ForAnyValue:StringEquals",
            "t",
            &["a"],
            &[("t", &[])],
            false,
        );
        check("ForAnyValue:StringEqualsIfExists", "t", &["a"], &[], true);
        check(
            "ForAnyValue:StringNotEquals",
            "t",
            &["a"],
            &[("t", &["a", "b"])],
            true,
        );
        check(
            "ForAllValues:StringNotEquals",
            "t",
            &["a"],
            &[("t", &["b", "c"])],
            true,
        );
        check(
            "ForAllValues:StringNotEquals",
            "t",
            &["a"],
            &[("t", &["a", "c"])],
            false,
        );
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_instant("1970-01-02"), Some(86_400_000_000_000));
        assert_eq!(
            parse_instant("2024-02-29T00:00Z"),
            parse_instant("1709164800")
        );
        assert_eq!(parse_instant("2023-02-29"), None);
        // All digits is epoch seconds, never a bare year.
        assert_eq!(parse_instant("2024"), Some(2_024_000_000_000));
        assert_eq!(parse_instant("2024-03"), parse_instant("2024-03-01"));
        assert_eq!(parse_instant("2024-3"), None);
        assert_eq!(parse_instant("2020-13-01"), None);
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant(""), None);
        assert_eq!(parse_instant("-"), None);
    }
}
