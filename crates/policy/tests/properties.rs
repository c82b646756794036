//! Property tests: the parser never panics, whatever it is given, and a valid document
//! survives parse -> serialise -> parse unchanged, in the author's shape.

// Strategies outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use iamkit_policy::{
    parse, parse_value,
    wire::{
        ConditionBlock, ConditionMap, ConditionValue, Effect, OneOrMany, PolicyDocument, Principal,
        PrincipalMap, Statement, Version, Wildcard,
    },
};
use proptest::prelude::*;
use serde_json::Value;

/// Keys IAM knows, mixed with others, so that random documents reach deep into the checker.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Version",
            "Id",
            "Statement",
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
            "AWS",
            "Service",
            "StringEquals",
            "BoolIfExists",
            "ForAnyValue:StringLike",
            "NullIfExists",
            "Effects",
            "aws:username",
            "",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,6}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            "Allow",
            "Deny",
            "*",
            "2012-10-17",
            "2008-10-17",
            "s3:GetObject",
            "s3:*",
            "arn:aws:s3:::*/*",
            "arn:aws:iam::<account-id>:user/${aws:username}",
            "arn:aws:iam::<Account-ID>:root",
            "arn:aws:s3::bucket",
            "${",
            "a:b:c:d:e:f",
        ])
        .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn one_or_many<T: std::fmt::Debug + Clone>(
    item: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = OneOrMany<T>> {
    prop_oneof![
        item.clone().prop_map(OneOrMany::One),
        prop::collection::vec(item, 0..4).prop_map(OneOrMany::Many),
    ]
}

fn action() -> BoxedStrategy<String> {
    prop_oneof![Just("*".to_owned()), "[a-z0-9-]{1,8}:[A-Za-z0-9*?]{1,10}"].boxed()
}

fn resource() -> BoxedStrategy<String> {
    prop_oneof![
        Just("*".to_owned()),
        "arn:aws:[a-z0-9]{1,5}:[a-z0-9-]{0,8}:([0-9]{12}|<account-id>|\\*)?:[a-zA-Z0-9/*?_.-]{1,12}",
    ]
    .boxed()
}

fn principal() -> impl Strategy<Value = Principal> {
    let aws = prop_oneof![
        Just("*".to_owned()),
        "[0-9]{12}",
        "arn:aws:iam::([0-9]{12}|<account-id>):(root|user/[a-z]{1,6}|role/[a-z]{1,6})",
    ];
    prop_oneof![
        Just(Principal::Any(Wildcard)),
        (
            prop::option::of(one_or_many(aws)),
            prop::option::of(one_or_many("[a-z]{1,8}\\.amazonaws\\.com")),
        )
            .prop_map(|(aws, service)| Principal::Map(PrincipalMap {
                aws,
                service,
                ..PrincipalMap::default()
            })),
    ]
}

fn condition() -> impl Strategy<Value = ConditionBlock> {
    let operator = prop::sample::select(vec![
        "StringEquals",
        "StringLikeIfExists",
        "ForAllValues:StringEquals",
        "ForAnyValue:ArnLike",
        "NumericLessThan",
        "Bool",
        "BoolIfExists",
        "Null",
        "IpAddress",
        "DateGreaterThan",
    ]);
    let value = prop_oneof![
        "[ -~]{0,10}".prop_map(ConditionValue::String),
        any::<i64>().prop_map(|n| ConditionValue::Number(n.into())),
        any::<bool>().prop_map(ConditionValue::Bool),
    ];
    let keys = prop::collection::btree_map("[a-z]{1,4}:[A-Za-z/]{1,10}", one_or_many(value), 1..3)
        .prop_map(ConditionMap);
    prop::collection::btree_map(operator.prop_map(str::to_owned), keys, 1..3)
        .prop_map(|map: BTreeMap<String, ConditionMap>| ConditionBlock(map))
}

fn statement() -> BoxedStrategy<Statement> {
    (
        prop::option::of("[A-Za-z0-9]{0,8}"),
        prop_oneof![Just(Effect::Allow), Just(Effect::Deny)],
        any::<bool>(),
        one_or_many(action()),
        prop::option::of((any::<bool>(), one_or_many(resource()))),
        prop::option::of((any::<bool>(), principal())),
        prop::option::of(condition()),
    )
        .prop_map(
            |(sid, effect, not_action, actions, resources, principals, condition)| {
                let (action, not_action) = if not_action {
                    (None, Some(actions))
                } else {
                    (Some(actions), None)
                };
                let (resource, not_resource) = match resources {
                    Some((true, r)) => (None, Some(r)),
                    Some((false, r)) => (Some(r), None),
                    None => (None, None),
                };
                let (principal, not_principal) = match principals {
                    Some((true, p)) => (None, Some(p)),
                    Some((false, p)) => (Some(p), None),
                    None => (None, None),
                };
                Statement {
                    sid,
                    effect,
                    principal,
                    not_principal,
                    action,
                    not_action,
                    resource,
                    not_resource,
                    condition,
                }
            },
        )
        .boxed()
}

fn document() -> impl Strategy<Value = PolicyDocument> {
    (
        prop::option::of(prop_oneof![
            Just(Version::V2012_10_17),
            Just(Version::V2008_10_17)
        ]),
        prop::option::of("[ -~]{0,10}"),
        one_or_many(statement()),
    )
        .prop_map(|(version, id, statement)| PolicyDocument {
            version,
            id,
            statement,
        })
}

#[test]
fn deep_and_large_inputs_are_errors_not_crashes() {
    let deep = "[".repeat(100_000);
    let errors = parse(&deep).unwrap_err();
    assert!(
        errors.errors[0].message.starts_with("malformed JSON"),
        "{errors}"
    );
    let nested = format!("{}1{}", "[".repeat(120), "]".repeat(120));
    let errors = parse(&nested).unwrap_err();
    assert_eq!(
        errors.errors[0].message,
        "the policy must be an object, found an array"
    );
    let long = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"s3:{}","Resource":"*"}}}}"#,
        "a".repeat(1_000_000)
    );
    assert!(parse(&long).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}") {
        let _ = parse(&text);
    }

    #[test]
    fn arbitrary_json_never_panics_and_errors_are_located(value in json(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        let from_text = parse(&text);
        let from_value = parse_value(&value);
        prop_assert_eq!(from_text.is_ok(), from_value.is_ok());
        if let Err(errors) = from_text {
            prop_assert!(!errors.is_empty());
            for e in &errors {
                prop_assert!(e.line > 0 && e.column > 0, "{:?}", e);
            }
            let pointers: Vec<_> = errors.iter().map(|e| e.pointer.clone()).collect();
            let mut from_value: Vec<_> =
                from_value.unwrap_err().iter().map(|e| e.pointer.clone()).collect();
            let mut sorted = pointers.clone();
            sorted.sort();
            from_value.sort();
            prop_assert_eq!(sorted, from_value);
        }
    }

    #[test]
    fn documents_round_trip_in_the_authors_shape(doc in document(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&doc).unwrap()
        } else {
            serde_json::to_string(&doc).unwrap()
        };
        let policy = match parse(&text) {
            Ok(policy) => policy,
            Err(errors) => return Err(TestCaseError::fail(errors.render(&text))),
        };
        prop_assert_eq!(&policy.to_wire(), &doc);
        let again = parse(&policy.to_json()).unwrap();
        prop_assert_eq!(again.to_json(), serde_json::to_string(&doc).unwrap());
        prop_assert_eq!(again.statements.len(), doc.statement.len());
        let value = serde_json::to_value(&doc).unwrap();
        prop_assert_eq!(parse_value(&value).unwrap().to_wire(), doc);
    }
}
