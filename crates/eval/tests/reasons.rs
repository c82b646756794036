//! What the reasons of a decision say: the statements that allowed or denied (by Sid or
//! index), or the policy types that lacked a needed Allow.

use iamkit_eval::{
    Decision, Engine, NamedPolicy, Policies, PolicyType, Reason, Request, RequiredPolicy,
    StatementId, evaluate,
};
use serde_json::json;

const USER: &str = "arn:aws:iam::111122223333:user/dev-user";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app-role/s1";
const OBJECT: &str = "arn:aws:s3:::app-bucket/a.txt";

/// The test policies are valid; a failure here is a typo in this file.
#[allow(clippy::unwrap_used)]
fn policy(name: &str, statements: serde_json::Value) -> NamedPolicy {
    NamedPolicy::from_json(
        name,
        &json!({"Version": "2012-10-17", "Statement": statements}),
    )
    .unwrap()
}

fn allowed(policy_type: PolicyType, policy: &str, statement: StatementId) -> Reason {
    Reason::Allowed {
        policy_type,
        policy: policy.to_owned(),
        statement,
    }
}

#[test]
fn an_explicit_deny_lists_every_denying_statement() {
    let policies = Policies {
        identity: vec![
            policy(
                "a",
                json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                               {"Sid": "NoReads", "Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}]),
            ),
            policy(
                "b",
                json!([{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::app-bucket/*"}]),
            ),
        ],
        ..Policies::default()
    };
    let e = evaluate(&policies, &Request::new(USER, "s3:GetObject", OBJECT));
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(
        e.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "denied by identity policy `a` statement `NoReads`",
            "denied by identity policy `b` statement #0",
        ]
    );
}

#[test]
fn an_allow_names_each_policy_type_that_allowed() {
    let all = json!([{"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]);
    let policies = Policies {
        identity: vec![policy("id", all.clone())],
        boundary: Some(policy("pb", all.clone())),
        scps: vec![policy("scp", all.clone())],
        session: Some(policy("sess", all)),
        ..Policies::default()
    };
    let e = evaluate(&policies, &Request::new(SESSION, "s3:GetObject", OBJECT));
    assert_eq!(e.decision, Decision::Allow);
    let sid = || StatementId::Sid("All".to_owned());
    assert_eq!(
        e.reasons,
        [
            allowed(PolicyType::Identity, "id", sid()),
            allowed(PolicyType::Boundary, "pb", sid()),
            allowed(PolicyType::Session, "sess", sid()),
            allowed(PolicyType::Scp, "scp", sid()),
        ]
    );
}

#[test]
fn an_implicit_deny_names_what_lacked_an_allow() {
    let s3 = json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]);
    let ec2 = json!([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]);
    let check = |policies: Policies, principal: &str, resource: &str, missing: &[PolicyType]| {
        let e = evaluate(
            &policies,
            &Request::new(principal, "s3:GetObject", resource),
        );
        assert_eq!(e.decision, Decision::ImplicitDeny);
        let want: Vec<Reason> = missing
            .iter()
            .map(|t| Reason::NoAllow { policy_type: *t })
            .collect();
        assert_eq!(e.reasons, want);
    };
    check(Policies::default(), USER, OBJECT, &[PolicyType::Identity]);
    check(
        Policies {
            identity: vec![policy("id", s3.clone())],
            boundary: Some(policy("pb", ec2.clone())),
            ..Policies::default()
        },
        USER,
        OBJECT,
        &[PolicyType::Boundary],
    );
    check(
        Policies {
            identity: vec![policy("id", s3.clone())],
            session: Some(policy("s", ec2.clone())),
            ..Policies::default()
        },
        SESSION,
        OBJECT,
        &[PolicyType::Session],
    );
    check(
        Policies {
            identity: vec![policy("id", s3.clone())],
            scps: vec![policy("scp", ec2)],
            ..Policies::default()
        },
        USER,
        OBJECT,
        &[PolicyType::Scp],
    );
    // Cross-account: the identity policy allows, the resource policy must too.
    check(
        Policies {
            identity: vec![policy("id", s3)],
            ..Policies::default()
        },
        USER,
        "arn:aws:sqs:us-east-1:444455556666:q",
        &[PolicyType::Resource],
    );
}

#[test]
fn a_resource_policy_grant_and_the_root_user_are_reasons() {
    let bucket = policy(
        "bucket",
        json!([{"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-bucket/*"}]),
    );
    let policies = Policies {
        resource: Some(bucket),
        ..Policies::default()
    };
    let e = evaluate(&policies, &Request::new(USER, "s3:GetObject", OBJECT));
    assert_eq!(
        e.reasons,
        [allowed(
            PolicyType::Resource,
            "bucket",
            StatementId::Index(0)
        )]
    );

    let root = evaluate(
        &Policies::default(),
        &Request::new("arn:aws:iam::111122223333:root", "s3:GetObject", OBJECT),
    );
    assert_eq!(
        (root.decision, root.reasons),
        (Decision::Allow, vec![Reason::RootUser])
    );
}

#[test]
fn reasons_serialise_for_simulate() {
    let engine = Engine::new(&Policies {
        identity: vec![policy(
            "id",
            json!([{"Sid": "S", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
        )],
        ..Policies::default()
    });
    let e = engine.evaluate(&Request::new(USER, "s3:GetObject", OBJECT));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"decision": "Allow", "reasons": [{"kind": "allowed", "policy_type": "identity", "policy": "id", "statement": "S"}]})
    );
    let none = engine.evaluate(&Request::new(USER, "ec2:RunInstances", "*"));
    assert_eq!(
        serde_json::to_value(&none).unwrap(),
        json!({"decision": "ImplicitDeny", "reasons": [{"kind": "no_allow", "policy_type": "identity"}]})
    );
}

#[test]
fn a_trust_or_key_policy_that_was_not_given_is_named() {
    let identity = Policies {
        identity: vec![policy(
            "all",
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        )],
        ..Policies::default()
    };
    let role = "arn:aws:iam::111122223333:role/admin";
    let e = evaluate(&identity, &Request::new(USER, "sts:AssumeRole", role));
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(
        e.reasons,
        [Reason::ResourcePolicyNotGiven {
            required: RequiredPolicy::TrustPolicy
        }]
    );
    assert_eq!(
        e.reasons[0].to_string(),
        "no role trust policy was given: it must allow the caller, so without it nothing can"
    );
    let key = "arn:aws:kms:us-east-1:111122223333:key/k1";
    let e = evaluate(&identity, &Request::new(USER, "kms:Decrypt", key));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"decision": "ImplicitDeny", "reasons": [{"kind": "resource_policy_not_given", "required": "key_policy"}]})
    );
    // A web identity caller has nothing but the trust policy.
    let github = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    let e = evaluate(
        &Policies::default(),
        &Request::new(github, "sts:AssumeRoleWithWebIdentity", role),
    );
    assert_eq!(
        e.reasons,
        [Reason::ResourcePolicyNotGiven {
            required: RequiredPolicy::TrustPolicy
        }]
    );
    // A trust policy that was given but does not allow is a missing Allow, as before.
    let trust = Policies {
        resource: Some(policy(
            "trust",
            json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
        )),
        ..identity
    };
    let e = evaluate(&trust, &Request::new(USER, "sts:AssumeRole", role));
    assert_eq!(
        e.reasons,
        [Reason::NoAllow {
            policy_type: PolicyType::Resource
        }]
    );
}

#[test]
fn get_caller_identity_needs_no_permission() {
    let deny_all = Policies {
        identity: vec![policy(
            "none",
            json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}]),
        )],
        ..Policies::default()
    };
    let e = evaluate(
        &deny_all,
        &Request::new(SESSION, "sts:GetCallerIdentity", "*"),
    );
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(
        e.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["`sts:GetCallerIdentity` needs no permission, and no policy can deny it"]
    );
    // Only callers with credentials call it: an anonymous request is not let through.
    let anonymous = evaluate(&deny_all, &Request::new("*", "sts:GetCallerIdentity", "*"));
    assert_eq!(anonymous.decision, Decision::ImplicitDeny);
}

#[test]
fn an_empty_sid_names_the_statement_by_index() {
    let policies = Policies {
        identity: vec![policy(
            "p",
            json!([{"Sid": "", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
        )],
        ..Policies::default()
    };
    let e = evaluate(&policies, &Request::new(USER, "s3:GetObject", OBJECT));
    assert_eq!(
        e.reasons,
        [allowed(PolicyType::Identity, "p", StatementId::Index(0))]
    );
}

/// Among a resource policy's Allows, the one that names the caller itself decides, wherever
/// it stands: an earlier statement naming only the account must not hide it.
#[test]
fn the_strongest_resource_grant_wins_in_any_order() {
    let account = json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-bucket/*"});
    let user = json!({"Sid": "User", "Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-bucket/*"});
    for statements in [json!([account, user]), json!([user, account])] {
        let policies = Policies {
            resource: Some(policy("bucket", statements)),
            ..Policies::default()
        };
        let e = evaluate(&policies, &Request::new(USER, "s3:GetObject", OBJECT));
        assert_eq!(e.decision, Decision::Allow);
        assert_eq!(
            e.reasons,
            [allowed(
                PolicyType::Resource,
                "bucket",
                StatementId::Sid("User".into())
            )]
        );
    }
}

/// When the identity side allows on its own and the resource policy names the caller too,
/// both are reasons; when neither suffices, a resource grant that did not decide is none.
#[test]
fn every_allow_that_took_part_is_a_reason() {
    let identity = policy(
        "id",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
    );
    let bucket = policy(
        "bucket",
        json!([{"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-bucket/*"}]),
    );
    let both = Policies {
        identity: vec![identity],
        resource: Some(bucket),
        ..Policies::default()
    };
    let e = evaluate(&both, &Request::new(USER, "s3:GetObject", OBJECT));
    assert_eq!(
        e.reasons,
        [
            allowed(PolicyType::Identity, "id", StatementId::Index(0)),
            allowed(PolicyType::Resource, "bucket", StatementId::Index(0)),
        ]
    );
    // Only the account is named, across accounts, and the caller's identity policies do not
    // allow: an implicit deny that names only the missing identity Allow.
    let account = policy(
        "bucket",
        json!([{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject", "Resource": "*"}]),
    );
    let cross = Policies {
        resource: Some(account),
        ..Policies::default()
    };
    let other = "arn:aws:iam::444455556666:user/bob";
    let e = evaluate(
        &cross,
        &Request::new(other, "s3:GetObject", OBJECT).with("aws:ResourceAccount", "111122223333"),
    );
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(
        e.reasons,
        [Reason::NoAllow {
            policy_type: PolicyType::Identity
        }]
    );
}
