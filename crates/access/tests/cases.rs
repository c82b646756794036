//! Data-driven technique cases: `tests/cases/*.json`, each an array of small accounts with
//! the answer `access paths` must give for some of their principals. Every technique has a
//! positive case and near-miss negatives (the permission on another resource, the other side
//! of a trust missing, a Deny, a boundary, a condition that needs MFA).
//!
//! The account format is compact: names instead of ARNs (all in account 111122223333),
//! policies as a list of statements. `cargo test -p iamkit-access --test cases`; set
//! `IAMKIT_ACCESS_CASE=name` to run one case and print its report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::BTreeMap;
use std::path::Path;

use iamkit_access::{
    Account, Analysis, Function, Group, ManagedPolicy, MfaDevices, PrincipalPaths, Role, User,
};
use serde::Deserialize;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Where the technique is documented.
    source: String,
    account: Spec,
    expect: BTreeMap<String, Expect>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Spec {
    users: BTreeMap<String, UserSpec>,
    groups: BTreeMap<String, GroupSpec>,
    roles: BTreeMap<String, RoleSpec>,
    policies: BTreeMap<String, PolicySpec>,
    /// Function name -> role name.
    functions: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct UserSpec {
    groups: Vec<String>,
    /// Inline policies, each a list of statements.
    inline: Vec<Value>,
    attached: Vec<String>,
    boundary: Option<String>,
    /// Known MFA device serials; absent: unknown.
    mfa: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct GroupSpec {
    inline: Vec<Value>,
    attached: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    /// The trust policy's statements.
    trust: Value,
    #[serde(default)]
    inline: Vec<Value>,
    #[serde(default)]
    attached: Vec<String>,
    #[serde(default)]
    boundary: Option<String>,
    #[serde(default)]
    profiles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySpec {
    /// Each version's statements, `v1` first.
    versions: Vec<Value>,
    /// The index of the default version.
    #[serde(default)]
    default: usize,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Expect {
    admin: Option<bool>,
    reaches_admin: Option<bool>,
    without_mfa: Option<bool>,
    /// Short names: `role/admin`, `user/bob`, `group/admins`, `policy/p`, `function:f`.
    via: Option<Vec<String>>,
    /// The techniques of the first path's steps.
    techniques: Option<Vec<String>>,
    /// Whether the first path needs MFA somewhere.
    first_path_requires_mfa: Option<bool>,
}

/// Turns `role/admin` or `function:f` into an ARN of the case's account.
fn arn(short: &str) -> String {
    match short.strip_prefix("function:") {
        Some(name) => format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"),
        None if short.starts_with("arn:") => short.to_owned(),
        None => format!("arn:aws:iam::{ACCOUNT}:{short}"),
    }
}

/// A list of statements (or a whole document) as a document.
fn document(statements: &Value) -> Value {
    match statements {
        Value::Array(_) => json!({"Version": "2012-10-17", "Statement": statements}),
        other => other.clone(),
    }
}

fn build(spec: &Spec) -> Account {
    let mut account = Account::new(iamkit_arn::Partition::Aws, ACCOUNT.parse().unwrap());
    for (name, p) in &spec.policies {
        let mut policy = ManagedPolicy::empty(&arn(&format!("policy/{name}"))).unwrap();
        for (i, v) in p.versions.iter().enumerate() {
            policy = policy
                .version(&format!("v{}", i + 1), i == p.default, &document(v))
                .unwrap();
        }
        account.policies.push(policy);
    }
    let policy_arn = |name: &str| match name {
        "AdministratorAccess" => "arn:aws:iam::aws:policy/AdministratorAccess".to_owned(),
        other => arn(&format!("policy/{other}")),
    };
    for (name, g) in &spec.groups {
        let mut group = Group::new(&arn(&format!("group/{name}"))).unwrap();
        for (i, doc) in g.inline.iter().enumerate() {
            group = group.inline(&format!("g{i}"), &document(doc)).unwrap();
        }
        for a in &g.attached {
            group = group.attach(&policy_arn(a)).unwrap();
        }
        account.groups.push(group);
    }
    for (name, u) in &spec.users {
        let mut user = User::new(&arn(&format!("user/{name}"))).unwrap();
        for g in &u.groups {
            user = user.in_group(g);
        }
        for (i, doc) in u.inline.iter().enumerate() {
            user = user.inline(&format!("u{i}"), &document(doc)).unwrap();
        }
        for a in &u.attached {
            user = user.attach(&policy_arn(a)).unwrap();
        }
        if let Some(b) = &u.boundary {
            user = user.bounded_by(&policy_arn(b)).unwrap();
        }
        user.mfa = u.mfa.clone().map_or(MfaDevices::Unknown, MfaDevices::Known);
        account.users.push(user);
    }
    for (name, r) in &spec.roles {
        let mut role = Role::new(&arn(&format!("role/{name}")), &document(&r.trust)).unwrap();
        for (i, doc) in r.inline.iter().enumerate() {
            role = role.inline(&format!("r{i}"), &document(doc)).unwrap();
        }
        for a in &r.attached {
            role = role.attach(&policy_arn(a)).unwrap();
        }
        if let Some(b) = &r.boundary {
            role = role.bounded_by(&policy_arn(b)).unwrap();
        }
        for p in &r.profiles {
            role = role.in_instance_profile(p);
        }
        account.roles.push(role);
    }
    for (name, role) in &spec.functions {
        let f = Function::new(
            &arn(&format!("function:{name}")),
            &arn(&format!("role/{role}")),
        );
        account.functions.push(f.unwrap());
    }
    account
}

/// Compares one principal's entry with the expectation; the differences, if any.
fn compare(got: &PrincipalPaths, want: &Expect) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut field = |name: &str, want: Option<bool>, got: bool| {
        if want.is_some_and(|w| w != got) {
            diffs.push(format!("{name}: expected {}, got {got}", !got));
        }
    };
    field("admin", want.admin, got.admin);
    field("reaches_admin", want.reaches_admin, got.reaches_admin);
    field("without_mfa", want.without_mfa, got.without_mfa);
    let first = got.paths.first();
    field(
        "first_path_requires_mfa",
        want.first_path_requires_mfa,
        first.is_some_and(|p| p.steps.iter().any(|s| s.requires_mfa)),
    );
    if let Some(via) = &want.via {
        let via: Vec<String> = via.iter().map(|v| arn(v)).collect();
        if via != got.via {
            diffs.push(format!("via: expected {via:?}, got {:?}", got.via));
        }
    }
    if let Some(techniques) = &want.techniques {
        let got: Vec<String> = first
            .map(|p| {
                p.steps
                    .iter()
                    .map(|s| s.technique.name().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        if *techniques != got {
            diffs.push(format!("techniques: expected {techniques:?}, got {got:?}"));
        }
    }
    diffs
}

fn run(case: &Case) -> Vec<String> {
    let account = build(&case.account);
    let report = Analysis::new(&account).paths();
    let mut failures = Vec::new();
    for (who, want) in &case.expect {
        let target = arn(who);
        let Some(got) = report.principals.iter().find(|p| p.arn == target) else {
            failures.push(format!("{}: no entry for {who}", case.name));
            continue;
        };
        for diff in compare(got, want) {
            failures.push(format!("{} ({}): {who}: {diff}", case.name, case.source));
        }
    }
    if !failures.is_empty() || std::env::var("IAMKIT_ACCESS_CASE").is_ok_and(|c| c == case.name) {
        eprintln!("--- {}\n{}", case.name, report.to_text());
    }
    failures
}

#[test]
fn technique_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let only = std::env::var("IAMKIT_ACCESS_CASE").ok();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut count, mut failures) = (0, Vec::new());
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let text = std::fs::read_to_string(file).unwrap();
        let cases: Vec<Case> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in cases
            .iter()
            .filter(|c| only.as_ref().is_none_or(|o| *o == c.name))
        {
            count += 1;
            failures.extend(run(case));
        }
    }
    assert!(count > 0 || only.is_some(), "no case in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
