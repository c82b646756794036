//! The questions other than paths, on the article's account and on small accounts: effective
//! permissions, who can, the escalation check, and both document encodings of the loader.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use iamkit_access::{
    AccessError, Account, Analysis, Fix, Grant, Permissions, User, load_details, load_functions,
};
use serde_json::{Value, json};

const BASELINE: &str = include_str!("examples/article-baseline.json");
const BASELINE_MFA: &str = include_str!("examples/article-baseline-mfa.json");
const FUNCTIONS: &str = include_str!("examples/article-baseline.lambda.json");
const DEV: &str = "arn:aws:iam::111122223333:user/dev-user";
const ADMIN: &str = "arn:aws:iam::111122223333:role/admin";

fn baseline(text: &str) -> Account {
    let mut account = load_details(text).unwrap();
    account.functions = load_functions(FUNCTIONS).unwrap();
    account
}

/// The grants of `action` in the permissions, whether listed or summarised.
fn grants<'p>(p: &'p Permissions, action: &str) -> Vec<&'p Grant> {
    let (service, _) = action.split_once(':').unwrap();
    let Some(s) = p.services.iter().find(|s| s.service == service) else {
        return Vec::new();
    };
    if let Some(all) = &s.all {
        return vec![all];
    }
    s.actions
        .iter()
        .filter(|a| a.action.eq_ignore_ascii_case(action))
        .flat_map(|a| &a.grants)
        .collect()
}

fn resources(p: &Permissions, action: &str) -> Vec<String> {
    grants(p, action)
        .iter()
        .map(|g| g.resource.clone())
        .collect()
}

#[test]
fn dev_users_permissions_show_where_the_article_is_wrong() {
    let account = baseline(BASELINE);
    let p = Analysis::new(&account).permissions(DEV).unwrap();
    // develop-s3 grants s3:* on objects only: no bucket listing, contrary to the article.
    assert_eq!(resources(&p, "s3:GetObject"), ["arn:aws:s3:::*/*"]);
    assert!(resources(&p, "s3:ListBucket").is_empty());
    assert!(resources(&p, "s3:ListAllMyBuckets").is_empty());
    // iam:ListVirtualMFADevices takes only `*`; granted on `mfa/*` it grants nothing.
    assert!(resources(&p, "iam:ListVirtualMFADevices").is_empty());
    assert_eq!(
        resources(&p, "iam:CreateVirtualMFADevice"),
        ["arn:aws:iam::111122223333:mfa/*"]
    );
    // Policy variables resolve to the user's own name.
    assert_eq!(resources(&p, "iam:CreateAccessKey"), [DEV]);
    assert_eq!(resources(&p, "sts:AssumeRole"), [ADMIN]);
    // lambda:* on * is summarised.
    let lambda = p.services.iter().find(|s| s.service == "lambda").unwrap();
    assert!(lambda.all.is_some() && lambda.actions.is_empty());
    assert_eq!(lambda.allowed, lambda.total);
    assert!(!p.everything);
    assert!(p.allowed < 300, "{}", p.allowed);
    let text = p.to_text();
    assert!(text.contains("lambda:* on *"), "{text}");
}

/// For a trust action on a role, the role's trust policy is the other side: the grant is
/// the role itself, marked as needing MFA when the trust asks for it, and absent when the
/// trust names someone else.
#[test]
fn assume_role_grants_apply_the_roles_trust_policy() {
    let p = Analysis::new(&baseline(BASELINE_MFA))
        .permissions(DEV)
        .unwrap();
    let assume = grants(&p, "sts:AssumeRole");
    assert_eq!(assume.len(), 1, "{assume:?}");
    assert_eq!(assume[0].resource, ADMIN);
    assert!(assume[0].requires_mfa);

    let mut details: Value = serde_json::from_str(BASELINE).unwrap();
    details["RoleDetailList"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] =
        json!({"AWS": "arn:aws:iam::111122223333:user/someone-else"});
    let account = load_details(&details.to_string()).unwrap();
    assert_eq!(account.roles[0].arn.as_str(), ADMIN);
    let p = Analysis::new(&account).permissions(DEV).unwrap();
    assert!(grants(&p, "sts:AssumeRole").is_empty());
}

#[test]
fn admins_iam_star_is_summarised_but_is_not_everything() {
    let account = baseline(BASELINE);
    let p = Analysis::new(&account).permissions(ADMIN).unwrap();
    let iam = p.services.iter().find(|s| s.service == "iam").unwrap();
    let all = iam.all.as_ref().expect("iam:* on * is summarised");
    assert_eq!(all.statements[0].policy, "manage-iam");
    assert!(!p.everything);
    assert!(resources(&p, "s3:GetObject").is_empty());
}

fn one_user(policy: Value) -> Account {
    let mut account = Account::new(iamkit_arn::Partition::Aws, "111122223333".parse().unwrap());
    let user = User::new("arn:aws:iam::111122223333:user/u")
        .unwrap()
        .inline("p", &policy)
        .unwrap();
    account.users.push(user);
    account
}

#[test]
fn star_on_star_is_everything() {
    let account = one_user(json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}));
    let p = Analysis::new(&account)
        .permissions("arn:aws:iam::111122223333:user/u")
        .unwrap();
    assert!(p.everything);
    assert_eq!(p.allowed, p.total);
    assert!(p.total > 20_000, "{}", p.total);
    assert!(p.services.iter().all(|s| s.all.is_some()));
}

#[test]
fn a_narrower_deny_is_an_exception_and_mfa_is_marked() {
    let account = one_user(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::prod"},
        {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    ]}));
    let p = Analysis::new(&account)
        .permissions("arn:aws:iam::111122223333:user/u")
        .unwrap();
    let delete = grants(&p, "s3:DeleteBucket");
    assert_eq!(delete.len(), 1);
    assert_eq!(delete[0].except, ["arn:aws:s3:::prod"]);
    // The exception stops the summary: not every s3 action is allowed the same way.
    assert!(
        p.services
            .iter()
            .find(|s| s.service == "s3")
            .unwrap()
            .all
            .is_none()
    );
    assert!(grants(&p, "s3:GetObject")[0].except.is_empty());
    let terminate = grants(&p, "ec2:TerminateInstances");
    assert!(terminate[0].requires_mfa);
    assert!(grants(&p, "ec2:RunInstances").is_empty());
}

#[test]
fn unknown_principals_and_actions_are_errors() {
    let account = baseline(BASELINE);
    let analysis = Analysis::new(&account);
    let err = analysis
        .permissions("arn:aws:iam::111122223333:user/nobody")
        .unwrap_err();
    assert_eq!(
        err,
        AccessError::UnknownPrincipal("arn:aws:iam::111122223333:user/nobody".into())
    );
    assert!(
        err.to_string()
            .starts_with("`arn:aws:iam::111122223333:user/nobody` is not")
    );
    let err = analysis.who_can("s3:ListAllMyBucket", "*").unwrap_err();
    assert_eq!(err, AccessError::UnknownAction("s3:ListAllMyBucket".into()));
    // A role session's ARN finds its role.
    assert!(
        analysis
            .permissions("arn:aws:sts::111122223333:assumed-role/admin/someone")
            .is_ok()
    );
}

#[test]
fn who_can_assume_admin_applies_the_trust_policy() {
    let account = baseline(BASELINE_MFA);
    let answer = Analysis::new(&account)
        .who_can("sts:AssumeRole", ADMIN)
        .unwrap();
    let who: Vec<&str> = answer
        .allowed
        .iter()
        .map(|a| a.principal.as_str())
        .collect();
    assert_eq!(who, [DEV]);
    let dev = &answer.allowed[0];
    assert!(dev.requires_mfa);
    assert_eq!(dev.conditions, ["Bool aws:MultiFactorAuthPresent true"]);
    let policies: Vec<&str> = dev.statements.iter().map(|s| s.policy.as_str()).collect();
    assert_eq!(
        policies,
        ["enable-role-assume", "trust policy of role admin"]
    );
}

#[test]
fn who_can_names_conditions_the_context_does_not_meet() {
    let account = one_user(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    ]}));
    let analysis = Analysis::new(&account);
    let answer = analysis
        .who_can("s3:GetObject", "arn:aws:s3:::b/k")
        .unwrap();
    assert!(answer.allowed.is_empty());
    assert_eq!(answer.conditional.len(), 1);
    assert_eq!(
        answer.conditional[0].conditions,
        ["IpAddress aws:SourceIp 10.0.0.0/8"]
    );
    // Given the key, the engine allows it outright.
    let options = iamkit_access::Options {
        context: vec![("aws:SourceIp".into(), "10.1.2.3".into())],
        ..iamkit_access::Options::default()
    };
    let answer = Analysis::with_options(&account, options)
        .who_can("s3:GetObject", "arn:aws:s3:::b/k")
        .unwrap();
    assert_eq!(answer.allowed.len(), 1);
}

#[test]
fn the_escalation_check_finds_dev_user_and_names_the_fix() {
    let account = baseline(BASELINE);
    let found = Analysis::new(&account).escalations(&[ADMIN]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].principal, DEV);
    assert_eq!(found[0].path.steps.len(), 1);
    assert_eq!(found[0].path.steps[0].to, ADMIN);
    assert_eq!(
        found[0].fix,
        Fix::RequireMfaOnTrust {
            role: "admin".into()
        }
    );
    assert!(
        found[0]
            .fix
            .to_string()
            .contains("`require_mfa = true` on role admin")
    );
    // With MFA required on admin's trust, nothing is left.
    let account = baseline(BASELINE_MFA);
    assert!(Analysis::new(&account).escalations(&[ADMIN]).is_empty());
    // Nobody intended: admin itself is reported, with its own route to fix.
    let account = baseline(BASELINE);
    let found = Analysis::new(&account).escalations(&[]);
    let admin = found.iter().find(|e| e.principal == ADMIN).unwrap();
    assert!(admin.path.steps.is_empty());
    assert!(
        matches!(&admin.fix, Fix::Remove { statements, .. } if statements[0].policy == "manage-iam")
    );
}

/// Replaces every policy document of the file by its URL-encoded text, as IAM's API returns
/// documents.
fn encode_documents(value: &mut Value) {
    const DOCUMENTS: [&str; 3] = ["PolicyDocument", "AssumeRolePolicyDocument", "Document"];
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if DOCUMENTS.contains(&key.as_str()) && v.is_object() {
                    let text = v.to_string();
                    let encoded: String = text
                        .bytes()
                        .map(|b| match b {
                            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                                (b as char).to_string()
                            }
                            _ => format!("%{b:02X}"),
                        })
                        .collect();
                    *v = Value::String(encoded);
                } else {
                    encode_documents(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(encode_documents),
        _ => {}
    }
}

#[test]
fn url_encoded_documents_give_the_same_answers() {
    let mut value: Value = serde_json::from_str(BASELINE).unwrap();
    encode_documents(&mut value);
    let encoded_text = value.to_string();
    assert!(encoded_text.contains("%22Statement%22"));
    let encoded = baseline(&encoded_text);
    let decoded = baseline(BASELINE);
    assert_eq!(encoded, decoded);
    let a = serde_json::to_value(Analysis::new(&encoded).paths()).unwrap();
    let b = serde_json::to_value(Analysis::new(&decoded).paths()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_policy_attached_but_absent_from_the_file_is_a_warning() {
    let mut value: Value = serde_json::from_str(BASELINE).unwrap();
    value["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .push(json!({"PolicyName": "AdministratorAccess",
                     "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}));
    let account = baseline(&value.to_string());
    let analysis = Analysis::new(&account);
    assert_eq!(
        analysis.warnings(),
        [
            "policy `arn:aws:iam::aws:policy/AdministratorAccess` (attached to role admin) is not \
          in the account's policies: it counts as granting nothing"
        ]
    );
}

#[test]
fn json_report_has_exactly_the_documented_shape() {
    let account = baseline(BASELINE);
    let report = serde_json::to_value(Analysis::new(&account).paths()).unwrap();
    let top: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(top, ["principals"]);
    let dev = &report["principals"][0];
    let keys: Vec<&String> = dev.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "arn",
            "admin",
            "reaches_admin",
            "without_mfa",
            "via",
            "paths"
        ]
    );
    let step = &dev["paths"][0]["steps"][0];
    let keys: Vec<&String> = step.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "from",
            "to",
            "technique",
            "actions",
            "statements",
            "requires_mfa"
        ]
    );
    assert_eq!(step["technique"], "assume-role");
    assert_eq!(step["actions"], json!(["sts:AssumeRole"]));
    assert_eq!(
        step["statements"][1],
        json!({"action": "sts:AssumeRole", "policy_type": "resource",
               "policy": "trust policy of role admin", "statement": "#0"})
    );
}
