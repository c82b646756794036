//! Property tests of the decision logic: a matching explicit Deny always wins; removing an
//! Allow statement never turns an implicit deny into an Allow; a statement about an
//! unrelated service never changes a decision.

use iamkit_eval::{Decision, NamedPolicy, Policies, Request, evaluate};
use proptest::prelude::*;
use serde_json::{Value, json};

const PRINCIPALS: [&str; 6] = [
    "arn:aws:iam::111122223333:user/dev-user",
    "arn:aws:sts::111122223333:assumed-role/app-role/app-session",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:sts::111122223333:federated-user/carol",
    "lambda.amazonaws.com",
];
const ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "ec2:RunInstances",
    "iam:CreateUser",
    "sts:AssumeRole",
    "kms:Decrypt",
];
const RESOURCES: [&str; 6] = [
    "arn:aws:s3:::app-bucket/a.txt",
    "arn:aws:s3:::other/x",
    "*",
    "arn:aws:iam::111122223333:role/admin",
    "arn:aws:sqs:us-east-1:444455556666:q",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
];
const ACTION_PATTERNS: [&str; 8] = [
    "s3:GetObject",
    "s3:*",
    "s3:Get*",
    "*",
    "ec2:*",
    "iam:*User",
    "sts:AssumeRole",
    "kms:*",
];
const RESOURCE_PATTERNS: [&str; 7] = [
    "*",
    "arn:aws:s3:::app-bucket/*",
    "arn:aws:s3:::*/*",
    "arn:aws:s3:::app-bucket/${aws:username}",
    "arn:aws:iam::111122223333:role/*",
    "arn:aws:sqs:*:*:*",
    "arn:aws:kms:*:111122223333:key/*",
];
const PRINCIPAL_ENTRIES: [&str; 6] = [
    "*",
    "arn:aws:iam::111122223333:user/dev-user",
    "111122223333",
    "arn:aws:iam::111122223333:role/app-role",
    "arn:aws:sts::111122223333:assumed-role/app-role/app-session",
    "444455556666",
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"aws:PrincipalTag/team": "blue"}}))),
        1 => Just(Some(json!({"Bool": {"aws:SecureTransport": "true"}}))),
        1 => Just(Some(json!({"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}))),
        1 => Just(Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}))),
        1 => Just(Some(json!({"ForAnyValue:StringLike": {"aws:TagKeys": "cost-*"}}))),
    ]
}

/// A statement; `resource_policy` adds a principal and may leave out `Resource`.
fn statement(resource_policy: bool) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::sample::subsequence(ACTION_PATTERNS.to_vec(), 1..3),
        any::<bool>(),
        proptest::sample::subsequence(RESOURCE_PATTERNS.to_vec(), 1..3),
        condition(),
        proptest::sample::subsequence(PRINCIPAL_ENTRIES.to_vec(), 1..3),
        any::<bool>(),
    )
        .prop_map(
            move |(
                allow,
                not_action,
                actions,
                not_resource,
                resources,
                condition,
                principals,
                not_principal,
            )| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                s.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                s.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if let Some(condition) = condition {
                    s.insert("Condition".into(), condition);
                }
                if resource_policy {
                    let element = if not_principal && !allow {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    s.insert(element.into(), json!({"AWS": principals}));
                }
                Value::Object(s)
            },
        )
}

fn policy(resource_policy: bool) -> impl Strategy<Value = Value> {
    proptest::collection::vec(statement(resource_policy), 0..4)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}))
}

#[derive(Clone, Debug)]
struct Input {
    identity: Vec<Value>,
    resource: Option<Value>,
    boundary: Option<Value>,
    scps: Vec<Value>,
    session: Option<Value>,
    request: Request,
}

fn input() -> impl Strategy<Value = Input> {
    let context = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
    (
        proptest::collection::vec(policy(false), 0..3),
        proptest::option::of(policy(true)),
        proptest::option::weighted(0.3, policy(false)),
        proptest::collection::vec(policy(false), 0..2),
        proptest::option::weighted(0.3, policy(false)),
        proptest::sample::select(PRINCIPALS.to_vec()),
        proptest::sample::select(ACTIONS.to_vec()),
        proptest::sample::select(RESOURCES.to_vec()),
        context,
    )
        .prop_map(
            |(
                identity,
                resource,
                boundary,
                scps,
                session,
                principal,
                action,
                res,
                (team, tls, mfa, tags),
            )| {
                let mut request = Request::new(principal, action, res);
                if team {
                    request.context.insert("aws:PrincipalTag/team", "blue");
                }
                request
                    .context
                    .insert("aws:SecureTransport", if tls { "true" } else { "false" });
                if mfa {
                    request
                        .context
                        .insert("aws:MultiFactorAuthPresent", "false");
                }
                if tags {
                    request.context.insert(
                        "aws:TagKeys",
                        vec!["cost-center".to_owned(), "env".to_owned()],
                    );
                }
                request.context.insert("aws:RequestedRegion", "us-east-1");
                Input {
                    identity,
                    resource,
                    boundary,
                    scps,
                    session,
                    request,
                }
            },
        )
}

/// Generated policies are valid by construction; a failure here is a bug in the generator.
#[allow(clippy::unwrap_used)]
fn named(name: &str, doc: &Value) -> NamedPolicy {
    let named = NamedPolicy::from_json(name, doc);
    assert!(
        named.is_ok(),
        "generated policy {doc} is invalid: {named:?}"
    );
    named.unwrap()
}

fn decide(input: &Input) -> Decision {
    let policies = Policies {
        identity: input
            .identity
            .iter()
            .map(|d| named("identity", d))
            .collect(),
        resource: input.resource.as_ref().map(|d| named("resource", d)),
        boundary: input.boundary.as_ref().map(|d| named("boundary", d)),
        scps: input.scps.iter().map(|d| named("scp", d)).collect(),
        session: input.session.as_ref().map(|d| named("session", d)),
    };
    evaluate(&policies, &input.request).decision
}

fn push(doc: &mut Value, statement: Value) {
    if let Some(list) = doc["Statement"].as_array_mut() {
        list.push(statement);
    }
}

/// Every (policy kind, policy index, statement index) of an Allow statement.
fn allow_statements(input: &Input) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (kind, docs) in docs(input).into_iter().enumerate() {
        for (p, doc) in docs.iter().enumerate() {
            for (s, st) in doc["Statement"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                if st["Effect"] == "Allow" {
                    out.push((kind, p, s));
                }
            }
        }
    }
    out
}

fn docs(input: &Input) -> [Vec<&Value>; 5] {
    [
        input.identity.iter().collect(),
        input.resource.iter().collect(),
        input.boundary.iter().collect(),
        input.scps.iter().collect(),
        input.session.iter().collect(),
    ]
}

fn doc_mut(input: &mut Input, kind: usize, index: usize) -> Option<&mut Value> {
    match kind {
        0 => input.identity.get_mut(index),
        1 => input.resource.as_mut(),
        2 => input.boundary.as_mut(),
        3 => input.scps.get_mut(index),
        _ => input.session.as_mut(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_matching_explicit_deny_always_wins(mut input in input(), target in 0usize..5) {
        let action = input.request.action.clone();
        let iam = input.request.principal.starts_with("arn:");
        // A Deny naming everyone in the resource-based policy applies to every caller; in
        // the principal's own policies it applies to IAM principals.
        let target = if iam { target } else { 1 };
        match target {
            0 => input.identity.push(json!({"Version": "2012-10-17", "Statement": []})),
            1 if input.resource.is_none() => input.resource = Some(json!({"Version": "2012-10-17", "Statement": []})),
            2 if input.boundary.is_none() => input.boundary = Some(json!({"Version": "2012-10-17", "Statement": []})),
            3 => input.scps.push(json!({"Version": "2012-10-17", "Statement": []})),
            4 if input.session.is_none() => input.session = Some(json!({"Version": "2012-10-17", "Statement": []})),
            _ => {}
        }
        let mut deny = json!({"Effect": "Deny", "Action": action, "Resource": "*"});
        if target == 1 {
            deny["Principal"] = json!("*");
        }
        let index = match target {
            0 => input.identity.len() - 1,
            3 => input.scps.len() - 1,
            _ => 0,
        };
        if let Some(doc) = doc_mut(&mut input, target, index) {
            push(doc, deny);
        }
        prop_assert_eq!(decide(&input), Decision::ExplicitDeny);
    }

    /// Covers both denials: an implicit deny stays a deny, and so does an explicit one.
    #[test]
    fn removing_any_allow_never_turns_a_deny_into_allow(input in input(), pick in any::<prop::sample::Index>()) {
        let before = decide(&input);
        prop_assume!(before != Decision::Allow);
        let allows = allow_statements(&input);
        prop_assume!(!allows.is_empty());
        let (kind, p, s) = allows[pick.index(allows.len())];
        let mut fewer = input.clone();
        if let Some(list) = doc_mut(&mut fewer, kind, p).and_then(|d| d["Statement"].as_array_mut()) {
            list.remove(s);
        }
        prop_assert_ne!(decide(&fewer), Decision::Allow);
    }

    #[test]
    fn an_unrelated_statement_never_changes_a_decision(
        mut input in input(),
        kind in 0usize..5,
        allow in any::<bool>(),
    ) {
        let before = decide(&input);
        let mut extra = json!({
            "Effect": if allow { "Allow" } else { "Deny" },
            "Action": "unrelated:DoSomething",
            "Resource": "*"
        });
        if kind == 1 {
            extra["Principal"] = json!("*");
        }
        if let Some(doc) = doc_mut(&mut input, kind, 0) {
            push(doc, extra);
        }
        prop_assert_eq!(decide(&input), before);
    }

    #[test]
    fn never_panics_on_odd_requests(input in input(), principal in ".{0,40}", action in ".{0,20}", resource in ".{0,60}") {
        let mut odd = input;
        odd.request.principal = principal;
        odd.request.action = action;
        odd.request.resource = resource;
        let _ = decide(&odd);
    }
}
