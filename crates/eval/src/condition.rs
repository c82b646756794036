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

/// A number: sign, digits, fraction, exponent. `inf` and `NaN`, which Rust's parser also
/// reads, are not finite, so they are no numbers here.
fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
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

    /// A key with an empty list of values is missing for every operator: only `Null`,
    /// `...IfExists`, a negated operator and `ForAllValues` hold ("Condition operators":
    /// "ForAllValues ... returns true if there are no context keys in the request, or if the
    /// context key value resolves to a null data set, such as an empty string").
    #[test]
    fn empty_value_sets() {
        let empty: &[(&'static str, &[&str])] = &[("k", &[])];
        let table: [(&str, &[&str], bool); 16] = [
            ("StringEquals", &["a"], false),
            ("StringNotEquals", &["a"], true),
            ("StringEqualsIfExists", &["a"], true),
            ("StringLike", &["*"], false),
            ("NumericEquals", &["1"], false),
            ("NumericNotEquals", &["1"], true),
            ("Bool", &["true"], false),
            ("ArnNotLike", &["arn:*"], true),
            ("ForAnyValue:StringEquals", &["a"], false),
            ("ForAnyValue:StringNotEquals", &["a"], false),
            ("ForAnyValue:StringEqualsIfExists", &["a"], true),
            ("ForAllValues:StringEquals", &["a"], true),
            ("ForAllValues:StringNotLike", &["*"], true),
            ("Null", &["true"], true),
            ("Null", &["false"], false),
            ("Null", &["maybe"], false),
        ];
        for (op, values, expected) in table {
            check(op, "k", values, empty, expected);
        }
        // One value or several, for operators that expect one: any value may match; for
        // negated ones, none may.
        let two: &[(&'static str, &[&str])] = &[("k", &["a", "b"])];
        check("StringEquals", "k", &["b"], two, true);
        check("StringEquals", "k", &["c"], two, false);
        check("StringNotEquals", "k", &["b"], two, false);
        check("StringNotEquals", "k", &["c"], two, true);
        check("ForAllValues:StringEquals", "k", &["a"], two, false);
        check("ForAnyValue:StringEquals", "k", &["b"], two, true);
        check("ForAnyValue:StringNotEquals", "k", &["a", "b"], two, false);
        check("ForAllValues:StringNotEquals", "k", &["c"], two, true);
    }

    #[test]
    fn comparisons_in_each_direction() {
        let n = |v: &'static str| -> Vec<(&'static str, &'static [&'static str])> {
            vec![("n", Box::leak(Box::new([v])) as &[&str])]
        };
        for (op, ctx, expected) in [
            ("NumericLessThan", "9", true),
            ("NumericLessThan", "11", false),
            ("NumericLessThanEquals", "10", true),
            ("NumericLessThanEquals", "11", false),
            ("NumericGreaterThan", "11", true),
            ("NumericGreaterThan", "10", false),
            ("NumericGreaterThanEquals", "10", true),
            ("NumericGreaterThanEquals", "11", true),
            ("NumericGreaterThanEquals", "9", false),
            ("NumericLessThanEquals", "9", true),
            ("NumericEquals", "NaN", false),
            ("NumericEquals", "+10", true),
            ("NumericEquals", "10e", false),
            ("NumericEquals", "10.0", true),
            ("NumericEquals", "1e1", true),
            ("NumericEquals", " 10 ", true),
            ("NumericEquals", "inf", false),
            ("NumericEquals", "", false),
            ("NumericNotEquals", "10", false),
        ] {
            check(op, "n", &["10"], &n(ctx), expected);
        }
        check("NumericEquals", "n", &["ten"], &n("10"), false);
        check("NumericEquals", "n", &["1e400"], &n("1e400"), false);
        for (op, ctx, expected) in [
            ("DateLessThan", "2019-12-31T23:59:59Z", true),
            ("DateLessThan", "2020-01-01T00:00:00Z", false),
            ("DateLessThanEquals", "2020-01-01T00:00:00Z", true),
            ("DateGreaterThan", "2020-01-01T00:00:00.001Z", true),
            ("DateGreaterThan", "2020-01-01T00:00:00Z", false),
            ("DateGreaterThanEquals", "1577836800", true),
            ("DateGreaterThanEquals", "1577836801", true),
            ("DateGreaterThanEquals", "1577836799", false),
            ("DateLessThanEquals", "1577836799", true),
            ("DateLessThanEquals", "1577836801", false),
            ("DateNotEquals", "1577836800", false),
            ("DateNotEquals", "1577836801", true),
            ("DateEquals", "not a date", false),
        ] {
            check(
                op,
                "t",
                &["2020-01-01T00:00:00Z"],
                &[("t", Box::leak(Box::new([ctx])))],
                expected,
            );
        }
        check(
            "DateEquals",
            "t",
            &["not a date"],
            &[("t", &["2020-01-01"])],
            false,
        );
        check("Bool", "b", &["yes"], &[("b", &["true"])], false);
        check("Bool", "b", &["false"], &[("b", &["FALSE"])], true);
    }

    #[test]
    fn networks() {
        assert_eq!(IpNet::parse("10.0.0.0/33"), None);
        assert_eq!(IpNet::parse("2001:db8::/129"), None);
        assert_eq!(IpNet::parse("10.0.0.0/x"), None);
        assert_eq!(IpNet::parse("nonsense"), None);
        let net = IpNet::parse(" 10.1.0.0/16 ").unwrap();
        assert!(net.contains("10.1.255.255".parse().unwrap()));
        assert!(!net.contains("10.2.0.0".parse().unwrap()));
        let all6 = IpNet::parse("::/0").unwrap();
        assert!(all6.contains("2001:db8::1".parse().unwrap()));
        assert!(!all6.contains("10.0.0.1".parse().unwrap()));
        let one6 = IpNet::parse("2001:db8::1").unwrap();
        assert!(one6.contains("2001:db8::1".parse().unwrap()));
        assert!(!one6.contains("2001:db8::2".parse().unwrap()));
        let slash31 = IpNet::parse("192.0.2.0/31").unwrap();
        assert!(slash31.contains("192.0.2.1".parse().unwrap()));
        assert!(!slash31.contains("192.0.2.2".parse().unwrap()));
        check(
            "IpAddress",
            "ip",
            &["10.0.0.0/8"],
            &[("ip", &["not an ip"])],
            false,
        );
        check(
            "NotIpAddress",
            "ip",
            &["10.0.0.0/8"],
            &[("ip", &["10.9.9.9"])],
            false,
        );
        check(
            "IpAddress",
            "ip",
            &["bad/8"],
            &[("ip", &["10.9.9.9"])],
            false,
        );
    }

    /// ISO 8601 (W3C profile) dates and times and epoch seconds, with the nanoseconds since
    /// 1970-01-01T00:00:00Z that Python's `datetime` gives for each (the fraction past nine
    /// digits is dropped).
    const INSTANTS: [(&str, i128); 51] = [
        ("1970-01-01", 0),
        ("1969-12-31", -86_400_000_000_000),
        ("1969-12-31T23:59:59Z", -1_000_000_000),
        ("0001-01-01", -62_135_596_800_000_000_000),
        ("1600-03-01", -11_670_912_000_000_000_000),
        ("1900-02-28", -2_203_977_600_000_000_000),
        ("1900-03-01", -2_203_891_200_000_000_000),
        ("2000-02-29", 951_782_400_000_000_000),
        ("2000-03-01", 951_868_800_000_000_000),
        ("2024-02-29", 1_709_164_800_000_000_000),
        ("2400-02-29", 13_574_563_200_000_000_000),
        ("9999-12-31T23:59:59Z", 253_402_300_799_000_000_000),
        ("2023-01-31", 1_675_123_200_000_000_000),
        ("2023-02-28", 1_677_542_400_000_000_000),
        ("2023-03-31", 1_680_220_800_000_000_000),
        ("2023-04-30", 1_682_812_800_000_000_000),
        ("2023-05-31", 1_685_491_200_000_000_000),
        ("2023-06-30", 1_688_083_200_000_000_000),
        ("2023-07-31", 1_690_761_600_000_000_000),
        ("2023-08-31", 1_693_440_000_000_000_000),
        ("2023-09-30", 1_696_032_000_000_000_000),
        ("2023-10-31", 1_698_710_400_000_000_000),
        ("2023-11-30", 1_701_302_400_000_000_000),
        ("2023-12-31", 1_703_980_800_000_000_000),
        ("2024-03", 1_709_251_200_000_000_000),
        ("2024-03-10T10:20Z", 1_710_066_000_000_000_000),
        ("2024-03-10T10:20:30Z", 1_710_066_030_000_000_000),
        ("2024-03-10t10:20:30z", 1_710_066_030_000_000_000),
        (" 2024-03-10T10:20:30Z ", 1_710_066_030_000_000_000),
        ("2024-03-10T10:20:30+05:30", 1_710_046_230_000_000_000),
        ("2024-03-10T10:20:30-08:00", 1_710_094_830_000_000_000),
        ("2024-03-10T10:20:30-0800", 1_710_094_830_000_000_000),
        ("2024-03-10T10:20:30+00:45", 1_710_063_330_000_000_000),
        ("2024-03-10T10:20:30+23:59", 1_709_979_690_000_000_000),
        ("2024-03-10T10:20:30", 1_710_066_030_000_000_000),
        ("2024-12-31T24:00:00Z", 1_735_689_600_000_000_000),
        // A leap second reads as the first second of the next minute.
        ("2024-03-10T10:20:60Z", 1_710_066_060_000_000_000),
        ("2024-03-10T10:20:30.5Z", 1_710_066_030_500_000_000),
        ("2024-03-10T10:20:30.05Z", 1_710_066_030_050_000_000),
        ("2024-03-10T10:20:30.123456789Z", 1_710_066_030_123_456_789),
        ("2024-03-10T10:20:30.000000001Z", 1_710_066_030_000_000_001),
        ("2024-03-10T10:20:30.9999999999Z", 1_710_066_030_999_999_999),
        ("2024-03-10T10:20:30.25+01:00", 1_710_062_430_250_000_000),
        ("0", 0),
        ("1", 1_000_000_000),
        ("-1", -1_000_000_000),
        ("-1.5", -1_500_000_000),
        ("007", 7_000_000_000),
        ("1709164800", 1_709_164_800_000_000_000),
        ("1709164800.5", 1_709_164_800_500_000_000),
        ("1709164800.000000001", 1_709_164_800_000_000_001),
    ];

    /// Texts that are neither: wrong calendar days (leap years, month lengths), times out of
    /// range, malformed offsets and numbers.
    const NOT_INSTANTS: [&str; 46] = [
        // A time needs a whole date.
        "2024-03T10:00Z",
        "2024T10:00Z",
        "",
        " ",
        "-",
        ".5",
        "1.2.3",
        "1e9",
        "+5",
        "0x10",
        "2023-02-29",
        "1900-02-29",
        "2100-02-29",
        "2023-02-30",
        "2023-04-31",
        "2023-06-31",
        "2023-09-31",
        "2023-11-31",
        "2023-01-32",
        "2023-12-32",
        "2023-00-01",
        "2023-13-01",
        "2023-01-00",
        "2024-3",
        "2024-03-1",
        "24-03-10",
        "2024/03/10",
        "2024-03-10T",
        "2024-03-10T10",
        "2024-03-10T10:2",
        "2024-03-10 10:20:30Z",
        "2024-03-10T25:00Z",
        "2024-03-10T24:00:01Z",
        "2024-03-10T24:01Z",
        "2024-03-10T23:60Z",
        "2024-03-10T23:59:61Z",
        "2024-03-10T10:20:30+24:00",
        "2024-03-10T10:20:30+05:60",
        "2024-03-10T10:20:30+05",
        "2024-03-10T10:20:30+05:30x",
        "2024-03-10T10:20:30Zx",
        "2024-03-10T10:20:30.5.5Z",
        "2024-03-10T10:20:30.x",
        "2024-03-10T10:20.5Z",
        "yesterday",
        "2024-03-10T10:20:30+5:30",
    ];

    #[test]
    fn instants_against_a_reference_list() {
        for (text, nanos) in INSTANTS {
            assert_eq!(parse_instant(text), Some(nanos), "`{text}`");
        }
        for text in NOT_INSTANTS {
            assert_eq!(parse_instant(text), None, "`{text}`");
        }
    }

    #[test]
    fn leap_years_and_month_lengths() {
        for (year, leap) in [
            (1900, false),
            (2000, true),
            (2023, false),
            (2024, true),
            (2100, false),
            (2400, true),
            (1996, true),
        ] {
            assert_eq!(days_in_month(year, 2), if leap { 29 } else { 28 }, "{year}");
        }
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for (month, days) in (1..).zip(lengths) {
            assert_eq!(days_in_month(2023, month), days, "month {month}");
        }
        // Consecutive days are one day apart, across month and year ends.
        let mut previous = days_from_civil(1999, 12, 31);
        for year in [2000, 2001] {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let today = days_from_civil(year, month, day);
                    assert_eq!(today - previous, 1, "{year}-{month}-{day}");
                    previous = today;
                }
            }
        }
    }

    #[test]
    fn fractions_of_a_second() {
        assert_eq!(frac_nanos(""), Some(0));
        assert_eq!(frac_nanos("1"), Some(100_000_000));
        assert_eq!(frac_nanos("01"), Some(10_000_000));
        assert_eq!(frac_nanos("123"), Some(123_000_000));
        assert_eq!(frac_nanos("000000009"), Some(9));
        assert_eq!(frac_nanos("0000000009"), Some(0));
        assert_eq!(frac_nanos("1a"), None);
        assert_eq!(parse_epoch("12."), Some(12_000_000_000));
        assert_eq!(parse_epoch("-0.25"), Some(-250_000_000));
        assert_eq!(parse_epoch("99999999999999999999999999999999999999"), None);
        // Only digits, on both sides of one point (`parse_instant` sends nothing else, but
        // the function stands on its own).
        for text in ["+5", "5+", "1a", "1.5a", "1.+5", ".5", "-", "", "1.2.3"] {
            assert_eq!(parse_epoch(text), None, "`{text}`");
        }
        // A bare year is a date of its own to the ISO reader (`parse_instant` reads all
        // digits as epoch seconds before it gets there).
        assert_eq!(parse_iso("2024"), parse_iso("2024-01-01"));
        assert!(parse_iso("2024").is_some());
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
