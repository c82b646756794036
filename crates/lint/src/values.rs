//! Condition values that cannot mean what their operator compares: IP ranges (malformed,
//! private, with host bits set), dates, Booleans and numbers that are none, and wildcards given
//! to an operator that does not read them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use iamkit_policy::{Operator, OperatorKind};

use crate::code;
use crate::ctx::{At, Ctx};
use crate::model::{Cond, Stmt};

/// Checks the values of every condition of the statement.
pub(crate) fn check(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    for cond in &stmt.conditions {
        let Ok(op) = cond.operator.parse::<Operator>() else {
            continue;
        };
        match op.base {
            OperatorKind::IpAddress | OperatorKind::NotIpAddress => ip(ctx, cond, &op),
            OperatorKind::Bool => each(ctx, cond, |v| {
                (!v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false")).then(|| {
                    (
                        code::BOOL_VALUE_INVALID,
                        format!(
                            "`{v}` is not a Boolean: `{}` compares `true` or `false`",
                            cond.operator
                        ),
                        "write `true` or `false`".to_owned(),
                    )
                })
            }),
            base if base.as_str().starts_with("Date") => each(ctx, cond, |v| {
                (!is_date(v)).then(|| {
                    (
                        code::DATE_VALUE_INVALID,
                        format!("`{v}` is not a date: `{}` compares ISO 8601 dates and times or epoch seconds", cond.operator),
                        "write a W3C date such as `2026-12-31` or `2026-12-31T23:59:59Z`".to_owned(),
                    )
                })
            }),
            base if base.as_str().starts_with("Numeric") => each(ctx, cond, |v| {
                (!is_number(v)).then(|| {
                    (
                        code::NUMERIC_VALUE_INVALID,
                        format!(
                            "`{v}` is not a number: `{}` compares numbers",
                            cond.operator
                        ),
                        "write the number itself, such as `3600`".to_owned(),
                    )
                })
            }),
            OperatorKind::StringEquals
            | OperatorKind::StringNotEquals
            | OperatorKind::StringEqualsIgnoreCase
            | OperatorKind::StringNotEqualsIgnoreCase => each(ctx, cond, |v| {
                has_wildcard(v).then(|| {
                    let like = if op.base.is_negated() {
                        "StringNotLike"
                    } else {
                        "StringLike"
                    };
                    (
                        code::WILDCARD_WITHOUT_LIKE,
                        format!(
                            "`{}` compares `{v}` as text: its `*` or `?` matches only itself",
                            cond.operator
                        ),
                        format!("use `{like}` for a pattern, or write `${{*}}` for a literal `*`"),
                    )
                })
            }),
            _ => {}
        }
    }
}

/// One finding per value that `bad` describes; values with a policy variable are left alone.
fn each(
    ctx: &mut Ctx<'_>,
    cond: &Cond<'_>,
    bad: impl Fn(&str) -> Option<(&'static str, String, String)>,
) {
    for (value, pointer) in cond.values.iter().zip(&cond.value_pointers) {
        if value.contains("${") && !has_wildcard(value) {
            continue;
        }
        if let Some((code, message, help)) = bad(value) {
            ctx.add(code, At::Value(pointer), message, help);
        }
    }
}

/// A `*` or `?` outside `${...}` (where `${*}` and `${?}` stand for the characters themselves).
fn has_wildcard(value: &str) -> bool {
    let mut depth = false;
    let mut previous = ' ';
    for c in value.chars() {
        match c {
            '{' if previous == '$' => depth = true,
            '}' if depth => depth = false,
            '*' | '?' if !depth => return true,
            _ => {}
        }
        previous = c;
    }
    false
}

/// An ISO 8601 date (`2026-12-31`), date and time (`2026-12-31T23:59:59Z`, with optional
/// fraction and offset), or epoch seconds.
fn is_date(value: &str) -> bool {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let (date, time) = match value.split_once(['T', 't']) {
        Some((date, time)) => (date, Some(time)),
        None => (value, None),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let Some(time) = time else { return true };
    let clock = time
        .strip_suffix(['Z', 'z'])
        .or_else(|| {
            time.rfind(['+', '-']).and_then(|i| {
                let offset = time.get(i + 1..)?;
                let ok = digits(offset, 4)
                    || offset
                        .split_once(':')
                        .is_some_and(|(h, m)| digits(h, 2) && digits(m, 2));
                ok.then(|| time.get(..i)).flatten()
            })
        })
        .unwrap_or(time);
    let clock = clock.split_once('.').map_or(clock, |(whole, fraction)| {
        if digits(fraction, fraction.len()) && !fraction.is_empty() {
            whole
        } else {
            "x"
        }
    });
    let fields: Vec<&str> = clock.split(':').collect();
    matches!(fields.len(), 2 | 3) && fields.iter().all(|f| digits(f, 2))
}

/// An integer or decimal number, optionally negative.
fn is_number(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// An address and prefix length from `203.0.113.0/24`, `203.0.113.7` or `2001:db8::/32`.
fn parse_range(value: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (value, None),
    };
    let address: IpAddr = address.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
        None => max,
    };
    (prefix <= max).then_some((address, prefix))
}

/// The range with its host bits cleared, when any were set.
fn network(address: IpAddr, prefix: u8) -> Option<IpAddr> {
    let cleared = match address {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    };
    (cleared != address).then_some(cleared)
}

/// Whether the whole range is private: RFC 1918 for IPv4, unique local `fc00::/7` for IPv6.
fn is_private(address: IpAddr, prefix: u8) -> bool {
    let within =
        |net: IpAddr, bits: u8| prefix >= bits && network(address, bits).unwrap_or(address) == net;
    match address {
        IpAddr::V4(_) => [
            (Ipv4Addr::new(10, 0, 0, 0), 8),
            (Ipv4Addr::new(172, 16, 0, 0), 12),
            (Ipv4Addr::new(192, 168, 0, 0), 16),
        ]
        .iter()
        .any(|&(net, bits)| within(IpAddr::V4(net), bits)),
        IpAddr::V6(_) => within(IpAddr::V6(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0)), 7),
    }
}

/// `IpAddress` and `NotIpAddress`: malformed values, host bits, and private ranges for
/// `aws:SourceIp`, which carries only public addresses.
fn ip(ctx: &mut Ctx<'_>, cond: &Cond<'_>, op: &Operator) {
    let mut private = Vec::new();
    let mut public = 0;
    for (value, pointer) in cond.values.iter().zip(&cond.value_pointers) {
        let Some((address, prefix)) = parse_range(value) else {
            ctx.add(
                code::IP_VALUE_INVALID,
                At::Value(pointer),
                format!("`{value}` is not an IP address or CIDR range: `{}` never matches it", cond.operator),
                "write an address or a range in CIDR notation, such as `203.0.113.0/24` or `2001:db8::/32`".to_owned(),
            );
            continue;
        };
        if let Some(net) = network(address, prefix) {
            ctx.add(
                code::IP_RANGE_HOST_BITS,
                At::Value(pointer),
                format!("`{value}` sets bits after its prefix, which IAM ignores: it is the range `{net}/{prefix}`"),
                format!("write `{net}/{prefix}`"),
            );
        }
        if is_private(address, prefix) {
            private.push((value.as_str(), pointer.as_str()));
        } else {
            public += 1;
        }
    }
    if !cond.key.eq_ignore_ascii_case("aws:SourceIp") || private.is_empty() {
        return;
    }
    let negated = op.base == OperatorKind::NotIpAddress;
    for (value, pointer) in private {
        let (code, message) = if public > 0 {
            (
                code::SOURCE_IP_PRIVATE_SUBSET,
                format!(
                    "`{value}` is a private range: `aws:SourceIp` holds only public addresses, so this value never matches"
                ),
            )
        } else if negated {
            (
                code::SOURCE_IP_PRIVATE,
                format!(
                    "`aws:SourceIp` holds only public addresses, never `{value}`: this `{}` always matches",
                    cond.operator
                ),
            )
        } else {
            (
                code::SOURCE_IP_PRIVATE,
                format!(
                    "`aws:SourceIp` holds only public addresses, never `{value}`: this `{}` never matches",
                    cond.operator
                ),
            )
        };
        ctx.add(
            code,
            At::Value(pointer),
            message,
            "for requests through a VPC endpoint, compare private addresses with `aws:VpcSourceIp` (with `aws:SourceVpc`)".to_owned(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for good in [
            "2026-12-31",
            "2026-12-31T23:59:59Z",
            "2026-12-31T23:59Z",
            "2026-12-31T23:59:59.123Z",
            "2026-12-31T23:59:59+09:00",
            "2026-12-31T23:59:59-0500",
            "1767225599",
        ] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "yesterday",
            "2026-1-31",
            "2026/12/31",
            "2026-12-31T25",
            "",
            "2026-12-31T23:59:59.Z",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn numbers_and_wildcards() {
        assert!(is_number("3600") && is_number("-1.5") && !is_number("1h") && !is_number("."));
        assert!(has_wildcard("repo:octo/*") && has_wildcard("a?"));
        assert!(!has_wildcard("${*}") && !has_wildcard("${aws:username}"));
    }

    #[test]
    fn ranges() {
        let range = |s| parse_range(s).unwrap();
        assert_eq!(range("203.0.113.0/24").1, 24);
        assert_eq!(range("203.0.113.7").1, 32);
        assert_eq!(range("2001:db8::/32").1, 32);
        assert!(parse_range("203.0.113.0/33").is_none());
        assert!(parse_range("203.0.113/24").is_none());
        assert!(parse_range("example.com").is_none());
        let (a, p) = range("203.0.113.7/24");
        assert_eq!(network(a, p), Some("203.0.113.0".parse().unwrap()));
        assert_eq!(network(range("0.0.0.0/0").0, 0), None);
        for private in [
            "10.0.0.0/8",
            "10.1.2.3",
            "172.16.0.0/12",
            "172.31.255.0/24",
            "192.168.1.0/24",
            "fd00::/8",
        ] {
            let (a, p) = range(private);
            assert!(is_private(a, p), "{private}");
        }
        for public in [
            "0.0.0.0/0",
            "8.0.0.0/7",
            "172.15.0.0/16",
            "203.0.113.0/24",
            "2001:db8::/32",
        ] {
            let (a, p) = range(public);
            assert!(!is_private(a, p), "{public}");
        }
    }
}
