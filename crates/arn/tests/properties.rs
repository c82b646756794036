//! Property tests: ARNs round-trip through `Display`/`FromStr`, and patterns match as a
//! simple reference matcher says they should.

use iamkit_arn::{AccountId, Arn, Partition, Pattern, ResourcePattern, Template, parse_variables};
use proptest::prelude::*;

/// The obvious quadratic glob matcher over characters, to check the fast one against.
fn reference(pattern: &str, subject: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = subject.chars().collect();
    let mut table = vec![vec![false; s.len() + 1]; p.len() + 1];
    table[0][0] = true;
    for i in 1..=p.len() {
        for j in 0..=s.len() {
            table[i][j] = match p[i - 1] {
                '*' => table[i - 1][j] || (j > 0 && table[i][j - 1]),
                '?' => j > 0 && table[i - 1][j - 1],
                c => j > 0 && s[j - 1] == c && table[i - 1][j - 1],
            };
        }
    }
    table[p.len()][s.len()]
}

/// IAM's resource matching written out plainly: part by part, the resource part whole, and a
/// short pattern's last part against the rest of the ARN.
fn reference_resource(pattern: &str, resource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let r: Vec<&str> = resource.splitn(6, ':').collect();
    if r.len() < 6 || r[0] != "arn" {
        return false;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let last = p.len() - 1;
    (1..last).all(|i| reference(p[i], r[i]))
        && if p.len() == 6 {
            reference(p[5], r[5])
        } else {
            reference(p[last], &r[last..].join(":"))
        }
}

fn partition() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("aws".to_owned()),
        Just("aws-cn".to_owned()),
        Just("aws-us-gov".to_owned()),
        "[a-z][a-z0-9-]{0,10}",
    ]
}

/// The five parts after `arn:`; the resource may hold any character, colons included.
fn arn_parts() -> impl Strategy<Value = (String, String, String, String, String)> {
    (
        partition(),
        "[a-z0-9-]{1,12}",
        "[a-z0-9-]{0,12}",
        "[A-Za-z0-9-]{0,12}",
        "(?s).{1,40}",
    )
}

/// Writes `text` so that a resource pattern reads every character literally.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            '$' => out.push_str("${$}"),
            _ => out.push(c),
        }
    }
    out
}

proptest! {
    #[test]
    fn arn_display_and_from_str_round_trip(
        (partition, service, region, account, resource) in arn_parts()
    ) {
        let text = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        let arn: Arn = text.parse().unwrap();
        prop_assert_eq!(arn.to_string(), text.clone());
        prop_assert_eq!(arn.partition().as_str(), partition.as_str());
        prop_assert_eq!(arn.service(), service.as_str());
        prop_assert_eq!(arn.region(), region.as_str());
        prop_assert_eq!(arn.account(), account.as_str());
        prop_assert_eq!(arn.resource(), resource.as_str());
        let partition: Partition = partition.parse().unwrap();
        let built = Arn::new(&partition, &service, &region, &account, &resource).unwrap();
        prop_assert_eq!(built, arn.clone());
        prop_assert_eq!(arn.to_string().parse::<Arn>().unwrap(), arn);
    }

    #[test]
    fn account_id_round_trips(digits in "[0-9]{12}") {
        let id: AccountId = digits.parse().unwrap();
        prop_assert_eq!(id.to_string(), digits);
    }

    #[test]
    fn parsers_never_panic(text in "(?s).{0,60}") {
        let _ = text.parse::<Arn>();
        let _ = text.parse::<AccountId>();
        let _ = text.parse::<Partition>();
        let _ = parse_variables(&text);
        let _ = Template::parse(&text);
        if let Ok(pattern) = ResourcePattern::parse(&text) {
            prop_assert_eq!(pattern.as_str(), text.as_str());
            let _ = pattern.matches(&text);
        }
        if let Ok(pattern) = ResourcePattern::parse_literal(&text) {
            prop_assert_eq!(pattern.as_str(), text.as_str());
        }
    }

    #[test]
    fn arn_shaped_text_parses_or_says_which_part(text in "arn:[a-z:*?${}/ -]{0,30}") {
        match text.parse::<Arn>() {
            Ok(arn) => prop_assert_eq!(arn.to_string(), text),
            Err(error) => prop_assert!(error.to_string().starts_with("invalid ARN `")),
        }
    }

    #[test]
    fn glob_agrees_with_the_reference(
        pattern in "[ab*?]{0,8}",
        subject in "[ab*?]{0,10}",
    ) {
        prop_assert_eq!(Pattern::new(&pattern).matches(&subject), reference(&pattern, &subject));
    }

    #[test]
    fn glob_agrees_with_the_reference_on_longer_unicode_text(
        pattern in "[aé日/*?]{0,12}",
        subject in "[aé日/*?]{0,24}",
    ) {
        prop_assert_eq!(Pattern::new(&pattern).matches(&subject), reference(&pattern, &subject));
    }

    #[test]
    fn resource_patterns_agree_with_the_reference(
        pattern in prop_oneof![
            ("[a*?]{0,2}", "[a*?]{1,2}", "[a*?]{0,2}", "[a*?]{0,2}", "[a:*?]{1,5}")
                .prop_map(|(p, s, r, a, res)| format!("arn:{p}:{s}:{r}:{a}:{res}")),
            "arn:[a:?]{0,6}\\*",
            "arn:[a:*?]{0,12}",
        ],
        resource in prop_oneof![
            ("a{0,1}", "a{1,2}", "a{0,1}", "a{0,2}", "[a:*?]{1,4}")
                .prop_map(|(p, s, r, a, res)| format!("arn:{p}:{s}:{r}:{a}:{res}")),
            "arn:[a:*?]{0,12}",
        ],
    ) {
        if let Ok(compiled) = ResourcePattern::parse(&pattern) {
            prop_assert_eq!(
                compiled.matches(&resource),
                reference_resource(&pattern, &resource),
                "`{}` against `{}`", pattern, resource
            );
        }
    }

    #[test]
    fn ignoring_case_is_matching_lowercased_text(
        pattern in "[aAbB*?]{0,8}",
        subject in "[aAbB]{0,10}",
    ) {
        prop_assert_eq!(
            Pattern::new_ignore_case(&pattern).matches(&subject),
            reference(&pattern.to_lowercase(), &subject.to_lowercase())
        );
    }

    #[test]
    fn a_literal_pattern_matches_only_itself(text in "[^*?]{0,20}", other in ".{0,20}") {
        let pattern = Pattern::new(&text);
        prop_assert!(pattern.matches(&text));
        prop_assert_eq!(pattern.matches(&other), other == text);
    }

    #[test]
    fn an_arn_matches_itself_escaped_and_with_any_part_starred(
        (partition, service, region, account, resource) in arn_parts(),
        starred in 0usize..5,
    ) {
        let text = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        let mut parts = [partition, service, region, account, escape(&resource)];
        let exact = ResourcePattern::parse(&format!("arn:{}", parts.join(":"))).unwrap();
        prop_assert!(exact.matches(&text));
        let longer = format!("{text}x");
        prop_assert!(!exact.matches(&longer));
        parts[starred] = "*".to_owned();
        let wider = ResourcePattern::parse(&format!("arn:{}", parts.join(":"))).unwrap();
        prop_assert!(wider.matches(&text));
        prop_assert!(ResourcePattern::any().matches(&text));
    }

    #[test]
    fn a_resource_pattern_never_crosses_into_another_part(
        (partition, service, region, account, resource) in arn_parts(),
    ) {
        // `*` as the region matches any region, but never a region-and-account: the
        // pattern's account must still equal the request's.
        let text = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        let pattern = format!("arn:{partition}:{service}:*:{account}x:{}", escape(&resource));
        prop_assert!(!ResourcePattern::parse(&pattern).unwrap().matches(&text));
    }

    #[test]
    fn resolving_variables_matches_the_values_literally(
        value in "[a-z*?]{1,8}",
        other in "[a-z*?]{1,8}",
    ) {
        let pattern = ResourcePattern::parse("arn:aws:s3:::home/${aws:username}/*").unwrap();
        let resolved = pattern.resolve(&mut |_| Some(value.clone())).unwrap();
        let mine = format!("arn:aws:s3:::home/{value}/k");
        prop_assert!(resolved.matches(&mine));
        prop_assert_eq!(
            resolved.matches(&format!("arn:aws:s3:::home/{other}/k")),
            other == value
        );
        prop_assert_eq!(ResourcePattern::parse(resolved.as_str()).unwrap(), resolved);
    }

    #[test]
    fn resolved_patterns_read_back_the_same(
        prefix in "[a-z$]{0,3}",
        value in "[a-z*?${}]{0,6}",
        suffix in "[a-z*/]{0,3}",
    ) {
        // An empty resource part is not a pattern IAM accepts, so it cannot read back.
        prop_assume!(!format!("{prefix}{value}{suffix}").is_empty());
        let text = format!("arn:aws:s3:::{prefix}${{aws:username}}{suffix}");
        let pattern = ResourcePattern::parse(&text).unwrap();
        prop_assert!(pattern.has_variables());
        let resolved = pattern.resolve(&mut |_| Some(value.clone())).unwrap();
        prop_assert_eq!(ResourcePattern::parse(resolved.as_str()).unwrap(), resolved.clone());
        let object = format!("arn:aws:s3:::{prefix}{value}{}", suffix.replace('*', ""));
        prop_assert!(resolved.matches(&object));
    }

    #[test]
    fn variables_written_back_parse_the_same(text in "[a-z${}*?',: ]{0,24}") {
        if let Ok(segments) = parse_variables(&text) {
            let written: String = segments.iter().map(ToString::to_string).collect();
            prop_assert_eq!(parse_variables(&written).unwrap(), segments);
        }
    }

    #[test]
    fn templates_fill_every_placeholder(
        pieces in prop::collection::vec("[^<]{0,12}", 1..6),
        digits in "[0-9]{12}",
    ) {
        let text = pieces.join("<account-id>");
        let template = Template::parse(&text).unwrap();
        prop_assert_eq!(template.placeholders().len(), pieces.len() - 1);
        let account: AccountId = digits.parse().unwrap();
        prop_assert_eq!(template.fill(&account), pieces.join(&digits));
    }
}
