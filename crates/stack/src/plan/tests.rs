//! The plan on plain values: desired and observed states written out by hand.

use std::{collections::BTreeMap, path::Path};

use serde_json::json;

use super::*;
use crate::{
    Code, Identity, STACK_TAG,
    manifest::parse_manifest,
    observed::{
        Entities, Observed, ObservedBucket, ObservedFunction, ObservedGroup, ObservedPolicy,
        ObservedRole, ObservedUser, PolicyVersion, Tags,
    },
};

const MANIFEST: &str = r#"
stack = "kit"
[policies]
read = "read.json"
admin = "admin.json"
[groups.readers]
policies = ["read"]
[users.ann]
groups = ["readers"]
console = true
[roles.boss]
trust = { account = "self" }
policies = ["admin"]
[bucket]
[functions.hello]
runtime = "provided.al2023"
handler = "bootstrap"
role = "boss"
"#;

const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::<account-id>-data/*"}]}"#;
const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#;

fn desired() -> Desired {
    let manifest = parse_manifest(Path::new("kit.toml"), MANIFEST, &mut |p| {
        Ok(if p == Path::new("read.json") {
            READ
        } else {
            ADMIN
        }
        .to_owned())
    })
    .unwrap();
    let me = Identity::new(
        "111122223333".parse().unwrap(),
        "arn:aws:iam::111122223333:user/me",
    );
    let code = BTreeMap::from([("hello".to_owned(), Code::from_zip(b"zip".to_vec()))]);
    Desired::new(&manifest, &me, "eu-west-1", &code).unwrap()
}

fn ours() -> Tags {
    Tags::from([(STACK_TAG.to_owned(), "kit".to_owned())])
}

/// The account exactly as `desired` wants it.
fn converged(desired: &Desired) -> Observed {
    let mut observed = Observed::default();
    for (name, policy) in &desired.policies {
        observed.policies.insert(
            name.clone(),
            ObservedPolicy {
                arn: policy.arn.clone(),
                tags: ours(),
                document: Some(policy.document.clone()),
                versions: vec![PolicyVersion {
                    id: "v1".into(),
                    is_default: true,
                    created: 1,
                }],
                attached_to: Entities::default(),
            },
        );
    }
    observed
        .policies
        .get_mut("read")
        .unwrap()
        .attached_to
        .groups
        .insert("readers".into());
    observed
        .policies
        .get_mut("admin")
        .unwrap()
        .attached_to
        .roles
        .insert("boss".into());
    observed.groups.insert(
        "readers".into(),
        ObservedGroup {
            path: "/iamkit/kit/".into(),
            members: ["ann".to_owned()].into(),
            policies: [desired.policy_arn("read").unwrap()].into(),
            inline: Default::default(),
        },
    );
    observed.users.insert(
        "ann".into(),
        ObservedUser {
            tags: ours(),
            groups: ["readers".to_owned()].into(),
            login_profile: true,
            ..ObservedUser::default()
        },
    );
    observed.roles.insert(
        "boss".into(),
        ObservedRole {
            arn: desired.role_arn("boss").unwrap(),
            tags: ours(),
            trust: Some(desired.roles["boss"].trust.clone()),
            policies: [desired.policy_arn("admin").unwrap()].into(),
            ..ObservedRole::default()
        },
    );
    observed.bucket = Some(ObservedBucket {
        name: "kit-111122223333-eu-west-1".into(),
        accessible: true,
        tags: ours(),
        empty: false,
    });
    observed.functions.insert(
        "hello".into(),
        ObservedFunction {
            tags: ours(),
            arn: "arn:aws:lambda:eu-west-1:111122223333:function:hello".into(),
            role: desired.role_arn("boss").unwrap(),
            runtime: "provided.al2023".into(),
            handler: "bootstrap".into(),
            code_sha256: Code::from_zip(b"zip".to_vec()).sha256_base64(),
        },
    );
    observed
}

fn check(plan: &Plan, expected: &[&str]) {
    let actual: Vec<String> = plan
        .changes
        .iter()
        .map(|c| format!("{} {}", c.action.sign(), c.address))
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn an_empty_account_gets_everything_in_dependency_order() {
    let plan = plan(&desired(), &Observed::default());
    check(
        &plan,
        &[
            "+ policy admin",
            "+ policy read",
            "+ group readers",
            "+ user ann",
            "+ role boss",
            "+ bucket kit-111122223333-eu-west-1",
            "+ group readers: policy read",
            "+ user ann: member of group readers",
            "+ user ann: console password",
            "+ role boss: policy admin",
            "+ function hello",
        ],
    );
    assert_eq!(plan.account, "111122223333");
    let Op::CreatePolicy { document, .. } = &plan.changes[1].op else {
        panic!("{:?}", plan.changes[1]);
    };
    assert!(document.contains("arn:aws:s3:::111122223333-data/*"));
}

/// The addresses of the changes `address` waits for.
fn waits<'a>(plan: &'a Plan, address: &str) -> Vec<&'a str> {
    let waits = plan.waits_for();
    let i = plan
        .changes
        .iter()
        .position(|c| c.address == address)
        .unwrap();
    waits[i]
        .iter()
        .map(|&j| plan.changes[j].address.as_str())
        .collect()
}

#[test]
fn a_change_waits_only_for_the_changes_to_its_own_resources() {
    let plan = plan(&desired(), &Observed::default());
    for created in [
        "policy admin",
        "group readers",
        "user ann",
        "role boss",
        "bucket kit-111122223333-eu-west-1",
    ] {
        assert!(waits(&plan, created).is_empty(), "{created}");
    }
    assert_eq!(
        waits(&plan, "group readers: policy read"),
        ["policy read", "group readers"]
    );
    assert_eq!(
        waits(&plan, "user ann: member of group readers"),
        ["group readers", "user ann"]
    );
    // The function needs its role, not the role's policies.
    assert_eq!(waits(&plan, "function hello"), ["role boss"]);
    // Create, then relate: two rounds however many resources there are.
    assert_eq!(plan.depth(), 2);
    assert_eq!(Plan::default().depth(), 0);
}

#[test]
fn teardown_waits_per_resource_too() {
    let desired = desired();
    let plan = teardown_plan(&desired, &converged(&desired));
    // A policy waits for its detachments, not for the deletion of the role it was on.
    assert_eq!(waits(&plan, "policy admin"), ["role boss: policy admin"]);
    assert_eq!(
        waits(&plan, "user ann"),
        [
            "user ann: member of group readers",
            "user ann: console password"
        ]
    );
    // Detach, then delete.
    assert_eq!(plan.depth(), 2);
}

#[test]
fn the_password_is_as_long_as_the_account_policy_asks_and_never_shorter_than_the_default() {
    let length = |minimum: Option<usize>| {
        let observed = Observed {
            password_min_length: minimum,
            ..Observed::default()
        };
        plan(&desired(), &observed)
            .changes
            .iter()
            .find_map(|c| match c.op {
                Op::CreateLoginProfile { length, .. } => Some(length),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(length(None), DEFAULT_PASSWORD_LENGTH);
    assert_eq!(length(Some(8)), DEFAULT_PASSWORD_LENGTH);
    assert_eq!(length(Some(64)), 64);
}

#[test]
fn users_and_roles_dropped_from_the_manifest_are_noted_by_setup_and_removed_by_teardown() {
    let desired = desired();
    let mut observed = converged(&desired);
    observed.users.insert(
        "old-user".into(),
        ObservedUser {
            tags: ours(),
            ..ObservedUser::default()
        },
    );
    observed.roles.insert(
        "old-role".into(),
        ObservedRole {
            tags: ours(),
            ..ObservedRole::default()
        },
    );
    let setup = plan(&desired, &observed);
    assert!(setup.changes.is_empty(), "{:?}", setup.changes);
    assert_eq!(
        setup.notes,
        [
            "user `old-user` is this stack's but the manifest no longer names it: `teardown` removes it",
            "role `old-role` is this stack's but the manifest no longer names it: `teardown` removes it",
        ]
    );
    let teardown = teardown_plan(&desired, &observed);
    for gone in ["- user old-user", "- role old-role"] {
        assert!(
            teardown
                .changes
                .iter()
                .any(|c| format!("{} {}", c.action.sign(), c.address) == gone),
            "{gone}"
        );
    }
}

#[test]
fn a_converged_account_needs_nothing() {
    let desired = desired();
    let plan = plan(&desired, &converged(&desired));
    check(&plan, &[]);
    assert!(plan.conflicts.is_empty());
}

#[test]
fn a_changed_document_replaces_the_oldest_non_default_version_when_five_exist() {
    let desired = desired();
    let mut observed = converged(&desired);
    let read = observed.policies.get_mut("read").unwrap();
    read.document = Some(json!({"Version": "2012-10-17", "Statement": []}));
    read.versions = (1..=5)
        .map(|i| PolicyVersion {
            id: format!("v{i}"),
            is_default: i == 2,
            created: i,
        })
        .collect();
    let plan = plan(&desired, &observed);
    check(&plan, &["~ policy read"]);
    assert!(matches!(
        &plan.changes[0].op,
        Op::UpdatePolicy { delete_version: Some(v), .. } if v == "v1"
    ));

    // Four versions: no deletion.
    observed
        .policies
        .get_mut("read")
        .unwrap()
        .versions
        .truncate(4);
    let plan = super::plan(&desired, &observed);
    assert!(matches!(
        &plan.changes[0].op,
        Op::UpdatePolicy {
            delete_version: None,
            ..
        }
    ));
}

#[test]
fn relations_converge_both_ways() {
    let desired = desired();
    let mut observed = converged(&desired);
    let group = observed.groups.get_mut("readers").unwrap();
    group.policies = [desired.policy_arn("admin").unwrap()].into();
    let user = observed.users.get_mut("ann").unwrap();
    user.groups.clear();
    user.login_profile = false;
    observed.roles.get_mut("boss").unwrap().trust = Some(json!({"Version": "2012-10-17"}));
    let plan = plan(&desired, &observed);
    check(
        &plan,
        &[
            "~ role boss: trust policy",
            "+ group readers: policy read",
            "+ user ann: member of group readers",
            "+ user ann: console password",
            "- group readers: policy admin",
        ],
    );
}

#[test]
fn resources_not_ours_are_conflicts_unless_adopted() {
    let mut desired = desired();
    let mut observed = converged(&desired);
    observed.users.get_mut("ann").unwrap().tags.clear();
    observed.groups.get_mut("readers").unwrap().path = "/".into();
    observed
        .policies
        .get_mut("admin")
        .unwrap()
        .tags
        .insert(STACK_TAG.into(), "other-stack".into());
    let plan = super::plan(&desired, &observed);
    let conflicts: Vec<String> = plan.conflicts.iter().map(ToString::to_string).collect();
    assert_eq!(
        conflicts,
        [
            "policy admin: not tagged `iamkit:stack=kit`",
            "group readers: its path is `/`, not `/iamkit/kit/`",
            "user ann: not tagged `iamkit:stack=kit`",
        ]
    );

    desired.adopt = true;
    let plan = super::plan(&desired, &observed);
    assert!(plan.conflicts.is_empty());
    check(&plan, &["= policy admin", "= group readers", "= user ann"]);
}

#[test]
fn an_untagged_bucket_is_ours_only_when_an_interrupted_setup_explains_it() {
    let desired = desired();
    let mut observed = converged(&desired);
    let bucket = observed.bucket.as_mut().unwrap();
    bucket.tags.clear();
    bucket.empty = true;
    check(
        &plan(&desired, &observed),
        &["= bucket kit-111122223333-eu-west-1"],
    );

    observed.bucket.as_mut().unwrap().empty = false;
    let plan = super::plan(&desired, &observed);
    check(&plan, &[]);
    assert_eq!(plan.conflicts.len(), 1);

    observed.bucket.as_mut().unwrap().accessible = false;
    let plan = super::plan(&desired, &observed);
    assert!(plan.conflicts[0].reason.contains("another account"));
}

#[test]
fn only_a_new_package_updates_the_code() {
    let mut desired = desired();
    desired.functions.get_mut("hello").unwrap().code = Some(Code::from_zip(b"new".to_vec()));
    let observed = converged(&desired);
    check(&plan(&desired, &observed), &["~ function hello: code"]);
    desired.functions.get_mut("hello").unwrap().code = None;
    check(&plan(&desired, &observed), &[]);
    let empty = plan(&desired, &Observed::default());
    assert_eq!(
        empty.notes,
        ["function `hello` is not created: no deployment package was given"]
    );
}

#[test]
fn teardown_detaches_before_it_deletes_and_leaves_what_is_not_ours() {
    let desired = desired();
    let mut observed = converged(&desired);
    let ann = observed.users.get_mut("ann").unwrap();
    ann.access_keys.insert("AKIA1".into());
    ann.mfa_devices
        .insert("arn:aws:iam::111122223333:mfa/ann".into());
    let read = observed.policies.get_mut("read").unwrap();
    read.versions.push(PolicyVersion {
        id: "v2".into(),
        is_default: false,
        created: 2,
    });
    // Someone else's role uses our policy: it must be detached for the delete to succeed.
    read.attached_to.roles.insert("their-role".into());
    observed.roles.get_mut("boss").unwrap().tags.clear();
    let plan = teardown_plan(&desired, &observed);
    check(
        &plan,
        &[
            "- function hello",
            "- bucket kit-111122223333-eu-west-1: objects",
            "- user ann: member of group readers",
            "- user ann: console password",
            "- user ann: access key AKIA1",
            "- user ann: mfa device arn:aws:iam::111122223333:mfa/ann",
            "- group readers: policy read",
            "- role boss: policy admin",
            "- role their-role: policy read",
            "- policy read: version v2",
            "- bucket kit-111122223333-eu-west-1",
            "- virtual mfa device arn:aws:iam::111122223333:mfa/ann",
            "- user ann",
            "- group readers",
            "- policy admin",
            "- policy read",
        ],
    );
    assert_eq!(plan.notes, ["role boss is not this stack's: left as it is"]);
    let step = |address: &str| {
        plan.changes
            .iter()
            .find(|c| c.address == address)
            .map(|c| c.op.step())
            .unwrap()
    };
    for before in [
        "group readers: policy read",
        "role their-role: policy read",
        "policy read: version v2",
    ] {
        assert!(step(before) < step("policy read"), "{before}");
    }
    assert!(step("user ann: member of group readers") < step("group readers"));
    assert!(step("user ann: console password") < step("user ann"));
}

fn diff_of(plan: &Plan, address: &str) -> Vec<String> {
    plan.changes
        .iter()
        .find(|c| c.address == address)
        .and_then(|c| c.diff.as_ref())
        .map(Diff::lines)
        .unwrap_or_else(|| panic!("no diff for `{address}` in {:?}", plan.changes))
}

/// Each update shows what it changes: a document's lines removed and added (the account
/// filled in), a trust policy's, the groups before and after, the tags an adoption adds.
#[test]
fn changes_show_before_and_after() {
    let mut desired = desired();
    let mut observed = converged(&desired);
    let policy = observed.policies.get_mut("read").unwrap();
    policy.document = Some(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::111122223333-old/*"}]}),
    );
    observed.roles.get_mut("boss").unwrap().trust = Some(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}),
    );
    observed.users.get_mut("ann").unwrap().groups = ["others".to_owned()].into();
    observed.users.get_mut("ann").unwrap().tags = Tags::from([("team".into(), "a".into())]);
    desired.adopt = true;
    let plan = plan(&desired, &observed);

    let read = diff_of(&plan, "policy read");
    let changed: Vec<&String> = read.iter().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(
        changed,
        [
            "-       \"Resource\": \"arn:aws:s3:::111122223333-old/*\"",
            "+       \"Resource\": \"arn:aws:s3:::111122223333-data/*\""
        ],
        "{read:#?}"
    );
    let trust = diff_of(&plan, "role boss: trust policy");
    assert!(
        trust
            .iter()
            .any(|l| l.starts_with("-") && l.contains("MultiFactorAuthPresent")),
        "{trust:#?}"
    );
    assert_eq!(
        diff_of(&plan, "user ann: member of group readers"),
        ["- others", "+ others, readers"]
    );
    assert_eq!(
        diff_of(&plan, "user ann"),
        ["- team=a", "+ iamkit:stack=kit, team=a"]
    );
    // The JSON plan carries both documents.
    let json = serde_json::to_value(&plan).unwrap();
    let change = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "policy read")
        .unwrap();
    assert_eq!(
        change["diff"]["after"]["Statement"][0]["Resource"],
        "arn:aws:s3:::111122223333-data/*"
    );
    assert_eq!(
        change["diff"]["before"]["Statement"][0]["Resource"],
        "arn:aws:s3:::111122223333-old/*"
    );
}
