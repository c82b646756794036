//! Condition operators: the 26 operators of IAM's "Condition operators" page, `Null`,
//! `...IfExists`, and the `ForAllValues:` / `ForAnyValue:` set qualifiers.

use std::net::IpAddr;

use crate::template::{Syntax, Template};

/// The comparison an operator makes, without negation, `IfExists` or set qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    /// `ArnEquals` and `ArnLike` behave the same: both take wildcards, segment by segment.
    ArnLike,
    Null,
}

/// A set qualifier for multivalued keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Set {
    ForAllValues,
    ForAnyValue,
}

/// A parsed operator name such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operator {
    pub base: Base,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Option<Set>,
}

impl Operator {
    /// Parses an operator name; `None` when IAM does not know it.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(Set::ForAllValues), rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(Set::ForAnyValue), rest)
        } else {
            (None, name)
        };
        let (if_exists, rest) = match rest.strip_suffix("IfExists") {
            Some(rest) if rest != "Null" => (true, rest),
            _ => (false, rest),
        };
        let (base, negated) = match rest {
            "StringEquals" => (Base::StringEquals, false),
            "StringNotEquals" => (Base::StringEquals, true),
            "StringEqualsIgnoreCase" => (Base::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Base::StringEqualsIgnoreCase, true),
            "StringLike" => (Base::StringLike, false),
            "StringNotLike" => (Base::StringLike, true),
            "NumericEquals" => (Base::NumericEquals, false),
            "NumericNotEquals" => (Base::NumericEquals, true),
            "NumericLessThan" => (Base::NumericLessThan, false),
            "NumericLessThanEquals" => (Base::NumericLessThanEquals, false),
            "NumericGreaterThan" => (Base::NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (Base::NumericGreaterThanEquals, false),
            "DateEquals" => (Base::DateEquals, false),
            "DateNotEquals" => (Base::DateEquals, true),
            "DateLessThan" => (Base::DateLessThan, false),
            "DateLessThanEquals" => (Base::DateLessThanEquals, false),
            "DateGreaterThan" => (Base::DateGreaterThan, false),
            "DateGreaterThanEquals" => (Base::DateGreaterThanEquals, false),
            "Bool" => (Base::Bool, false),
            "BinaryEquals" => (Base::BinaryEquals, false),
            "IpAddress" => (Base::IpAddress, false),
            "NotIpAddress" => (Base::IpAddress, true),
            "ArnEquals" | "ArnLike" => (Base::ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (Base::ArnLike, true),
            "Null" => (Base::Null, false),
            _ => return None,
        };
        Some(Operator {
            base,
            negated,
            if_exists,
            set,
        })
    }
}

/// A policy value, parsed once when it holds no variable.
#[derive(Clone, Debug)]
enum Parsed {
    Text(Box<str>),
    Num(f64),
    Date(i128),
    Bool(bool),
    Net(IpNet),
    /// The value does not parse for its operator: it matches nothing.
    Invalid,
}

#[derive(Clone, Debug)]
struct PolicyValue {
    template: Template,
    /// For an ARN operator: the six `:`-separated parts, when there are six.
    arn_parts: Option<Vec<Template>>,
    /// Parsed once when the value holds no variable (and the operator is not a `Like`).
    parsed: Option<Parsed>,
}

/// One compiled condition: an operator, a key and the values it is compared with.
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    /// `None` when the operator is unknown: the condition is then never true.
    op: Option<Operator>,
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

    /// The single value of `key` for policy variable substitution: `None` when the key is
    /// missing or has no or several values.
    fn variable(&self, key: &str) -> Option<&str> {
        match self.values(key)? {
            Found::One(s) => Some(s),
            Found::Many([s]) => Some(s),
            Found::Many(_) => None,
        }
    }
}

impl Condition {
    /// Compiles one `operator: { key: values }` entry. `variables` is false in a
    /// `2008-10-17` policy.
    pub(crate) fn new(operator: &str, key: &str, values: &[String], variables: bool) -> Condition {
        let op = Operator::parse(operator);
        let base = op.map(|o| o.base);
        let wildcards = matches!(base, Some(Base::StringLike | Base::ArnLike));
        // "You can't use a policy variable with other operators, such as Numeric, Date,
        // Boolean, Binary, IP Address, or Null operators" (Variables and tags).
        let textual = matches!(
            base,
            Some(
                Base::StringEquals
                    | Base::StringEqualsIgnoreCase
                    | Base::StringLike
                    | Base::ArnLike
            )
        );
        let syntax = Syntax {
            wildcards,
            variables: variables && textual,
        };
        let values = values
            .iter()
            .map(|text| {
                let template = Template::new(text, syntax);
                let arn_parts = if base == Some(Base::ArnLike) {
                    Some(template.split_upto(':', 6)).filter(|parts| parts.len() > 1)
                } else {
                    None
                };
                let parsed = match (base, template.has_variables() || wildcards) {
                    (Some(base), false) => Some(parse_value(base, text)),
                    _ => None,
                };
                PolicyValue {
                    template,
                    arn_parts,
                    parsed,
                }
            })
            .collect();
        Condition {
            op,
            key: key.to_ascii_lowercase().into(),
            values,
        }
    }

    /// Whether the condition holds for the request.
    pub(crate) fn holds(&self, env: &dyn Lookup) -> bool {
        let Some(op) = self.op else { return false };
        let found = env.values(&self.key);
        let missing = found.is_none_or(Found::is_empty);
        if op.base == Base::Null {
            // `"Null": {"key": "true"}`: the key is absent. Values are ORed.
            return self.values.iter().any(|v| match v.parsed {
                Some(Parsed::Bool(want_absent)) => want_absent == missing,
                _ => false,
            });
        }
        let one = |ctx: &str| -> bool {
            let any = self
                .values
                .iter()
                .any(|pv| matches_one(op.base, ctx, pv, env));
            any != op.negated
        };
        match (op.set, found) {
            (None, None) => op.if_exists || op.negated,
            (None, Some(found)) if found.is_empty() => op.if_exists || op.negated,
            (None, Some(found)) => {
                // A single-valued operator on several values: true when any value matches
                // (for a negated operator: when none matches).
                let any = found.iter().any(|ctx| {
                    self.values
                        .iter()
                        .any(|pv| matches_one(op.base, ctx, pv, env))
                });
                any != op.negated
            }
            (Some(Set::ForAnyValue), found) => match found {
                Some(found) if !found.is_empty() => found.iter().any(one),
                _ => op.if_exists,
            },
            (Some(Set::ForAllValues), found) => match found {
                Some(found) if !found.is_empty() => found.iter().all(one),
                _ => true,
            },
        }
    }
}

fn parse_value(base: Base, text: &str) -> Parsed {
    let parsed = match base {
        Base::StringEquals | Base::BinaryEquals | Base::StringLike | Base::ArnLike => {
            Some(Parsed::Text(text.into()))
        }
        Base::StringEqualsIgnoreCase => Some(Parsed::Text(text.to_lowercase().into())),
        Base::NumericEquals
        | Base::NumericLessThan
        | Base::NumericLessThanEquals
        | Base::NumericGreaterThan
        | Base::NumericGreaterThanEquals => parse_number(text).map(Parsed::Num),
        Base::DateEquals
        | Base::DateLessThan
        | Base::DateLessThanEquals
        | Base::DateGreaterThan
        | Base::DateGreaterThanEquals => parse_instant(text).map(Parsed::Date),
        Base::Bool | Base::Null => parse_bool(text).map(Parsed::Bool),
        Base::IpAddress => IpNet::parse(text).map(Parsed::Net),
    };
    parsed.unwrap_or(Parsed::Invalid)
}

/// Whether the context value `ctx` matches the policy value `pv` under `base`.
fn matches_one(base: Base, ctx: &str, pv: &PolicyValue, env: &dyn Lookup) -> bool {
    let mut lookup = |key: &str| env.variable(key);
    match base {
        Base::StringLike => return pv.template.matches(ctx, false, &mut lookup),
        Base::ArnLike => {
            return match &pv.arn_parts {
                Some(parts) => {
                    let mut subject = ctx.splitn(parts.len(), ':');
                    parts.iter().all(|part| {
                        subject
                            .next()
                            .is_some_and(|s| part.matches(s, false, &mut |key| env.variable(key)))
                    })
                }
                None => pv.template.matches(ctx, false, &mut lookup),
            };
        }
        _ => {}
    }
    let substituted;
    let parsed = match &pv.parsed {
        Some(parsed) => parsed,
        None => match pv.template.substitute(&mut lookup) {
            // A variable with no value: this value is null and matches nothing.
            None => return false,
            Some(text) => {
                substituted = parse_value(base, &text);
                &substituted
            }
        },
    };
    match (base, parsed) {
        (Base::StringEquals | Base::BinaryEquals, Parsed::Text(p)) => ctx == &**p,
        (Base::StringEqualsIgnoreCase, Parsed::Text(p)) => {
            ctx.eq_ignore_ascii_case(p) || ctx.to_lowercase() == **p
        }
        (Base::NumericEquals, Parsed::Num(p)) => parse_number(ctx).is_some_and(|c| c == *p),
        (Base::NumericLessThan, Parsed::Num(p)) => parse_number(ctx).is_some_and(|c| c < *p),
        (Base::NumericLessThanEquals, Parsed::Num(p)) => parse_number(ctx).is_some_and(|c| c <= *p),
        (Base::NumericGreaterThan, Parsed::Num(p)) => parse_number(ctx).is_some_and(|c| c > *p),
        (Base::NumericGreaterThanEquals, Parsed::Num(p)) => {
            parse_number(ctx).is_some_and(|c| c >= *p)
        }
        (Base::DateEquals, Parsed::Date(p)) => parse_instant(ctx).is_some_and(|c| c == *p),
        (Base::DateLessThan, Parsed::Date(p)) => parse_instant(ctx).is_some_and(|c| c < *p),
        (Base::DateLessThanEquals, Parsed::Date(p)) => parse_instant(ctx).is_some_and(|c| c <= *p),
        (Base::DateGreaterThan, Parsed::Date(p)) => parse_instant(ctx).is_some_and(|c| c > *p),
        (Base::DateGreaterThanEquals, Parsed::Date(p)) => {
            parse_instant(ctx).is_some_and(|c| c >= *p)
        }
        (Base::Bool, Parsed::Bool(p)) => parse_bool(ctx) == Some(*p),
        (Base::IpAddress, Parsed::Net(net)) => {
            ctx.parse::<IpAddr>().is_ok_and(|ip| net.contains(ip))
        }
        _ => false,
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
        let cond = Condition::new(op, key, &values, true);
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
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringNotLikeIfExists").unwrap();
        assert_eq!(
            (op.base, op.negated, op.if_exists, op.set),
            (Base::StringLike, true, true, Some(Set::ForAnyValue))
        );
        assert!(Operator::parse("StringEqualz").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert_eq!(Operator::parse("Null").unwrap().base, Base::Null);
        assert_eq!(Operator::parse("ArnEquals").unwrap().base, Base::ArnLike);
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
        // Fewer than six parts: the last one takes the rest of the ARN.
        check("ArnLike", "a", &["arn:aws:*"], &[("a", &[role])], true);
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
