//! Generated accounts for benchmarks: deterministic from a seed, in the AWS CLI's format (what
//! `aws iam get-account-authorization-details --output json` and `aws lambda list-functions
//! --output json` print), so the same file feeds this crate's loader, a bench script, or a
//! script that creates the account in an emulator for another tool to read.
//!
//! The shape follows what accounts tend to hold: groups of managed policies per team, users in
//! one to three groups, service roles trusting Lambda, EC2, Glue or CloudFormation, roles that
//! trust the account (half of them only with MFA), a few administrators, and a sprinkling of
//! the permissions escalation paths are made of (each kind in about 1% of the policies).
//!
//! ```
//! use iamkit_access::synthetic::{Shape, generate};
//! let shape = Shape { users: 20, roles: 10, policies: 40, groups: 4, functions: 3, seed: 7 };
//! let generated = generate(&shape);
//! let account = iamkit_access::load_details(&generated.details.to_string()).unwrap();
//! assert_eq!(account.users.len(), 20);
//! assert_eq!(account.roles.len(), 10);
//! assert_eq!(generate(&shape).details, generated.details);
//! ```

use iamkit_arn::{Arn, Partition, ResourcePattern};
use serde_json::{Value, json};

/// How big an account to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// IAM users.
    pub users: usize,
    /// IAM roles.
    pub roles: usize,
    /// Customer-managed policies. The first three allow everything; two users and three roles
    /// hold them. (No AWS-managed policy: the emulator that PMapper reads the account from
    /// lists those without their names.)
    pub policies: usize,
    /// IAM groups.
    pub groups: usize,
    /// Lambda functions.
    pub functions: usize,
    /// The seed: the same shape and seed give the same account.
    pub seed: u64,
}

impl Shape {
    /// The benchmark's account: 1,000 users, 500 roles, 2,000 policies, 50 groups, 100
    /// functions.
    pub fn benchmark() -> Shape {
        Shape {
            users: 1000,
            roles: 500,
            policies: 2000,
            groups: 50,
            functions: 100,
            seed: 19,
        }
    }
}

/// A generated account: the two CLI outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// What `aws iam get-account-authorization-details --output json` would print.
    pub details: Value,
    /// What `aws lambda list-functions --output json` would print.
    pub functions: Value,
}

/// The account id of generated accounts.
pub const ACCOUNT: &str = "123456789012";

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }
}

const SERVICES: [&str; 12] = [
    "s3",
    "ec2",
    "lambda",
    "dynamodb",
    "sqs",
    "sns",
    "logs",
    "cloudwatch",
    "kms",
    "rds",
    "secretsmanager",
    "ssm",
];
const TRUSTED_SERVICES: [&str; 4] = [
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "glue.amazonaws.com",
    "cloudformation.amazonaws.com",
];

/// An IAM ARN (or, with `*` or a policy variable in `name`, a pattern) of the account.
fn arn(kind: &str, name: &str) -> String {
    Arn::new(
        &Partition::Aws,
        "iam",
        "",
        ACCOUNT,
        &format!("{kind}/{name}"),
    )
    .map(|a| a.to_string())
    .unwrap_or_default()
}

/// A `Resource` pattern with wildcards in any part, which no ARN builder makes (a `*`
/// region is no ARN), checked by the parser the engine uses.
fn pattern(service: &str, region: &str, account: &str, resource: &str) -> String {
    let text = ["arn", "aws", service, region, account, resource].join(":");
    match ResourcePattern::parse(&text) {
        Ok(_) => text,
        Err(_) => String::new(),
    }
}

/// A Lambda function's ARN in us-east-1.
fn function_arn(name: &str) -> String {
    Arn::new(
        &Partition::Aws,
        "lambda",
        "us-east-1",
        ACCOUNT,
        &format!("function:{name}"),
    )
    .map(|a| a.to_string())
    .unwrap_or_default()
}

/// The account root, as a trust policy names the whole account.
fn root() -> String {
    ACCOUNT
        .parse()
        .map(|id| Arn::account_root(&Partition::Aws, id).to_string())
        .unwrap_or_default()
}

/// The name of generated role `r`: every 25th is a team's operations role.
fn role_name(r: usize) -> String {
    if r.is_multiple_of(25) {
        format!("team-{}-ops", (r / 25) % 20)
    } else {
        format!("role-{r:04}")
    }
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(actions: &[&str], resources: &[String]) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resources})
}

/// One generated policy document: mostly ordinary grants, now and then a dangerous one.
fn policy_document(rng: &mut Rng, shape: &Shape, i: usize) -> Value {
    let service = rng.pick(&SERVICES);
    let roll = rng.below(100);
    let mut statements = match roll {
        60..=90 => risky(rng, shape, roll, i),
        _ => ordinary(service, roll, i),
    };
    if rng.chance(10) {
        statements.push(json!({
            "Effect": "Deny", "Action": "iam:*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        }));
    }
    doc(statements)
}

/// The grants of most policies: reading, a team's resources, a bucket's objects, writing.
fn ordinary(service: &str, roll: usize, i: usize) -> Vec<Value> {
    match roll {
        0..=29 => vec![allow(
            &[
                &format!("{service}:Get*"),
                &format!("{service}:List*"),
                &format!("{service}:Describe*"),
            ],
            &["*".to_owned()],
        )],
        30..=49 => {
            // Patterns, not ARNs (a `*` region is no ARN). S3 ARNs have neither region nor
            // account; IAM rejects them with either.
            let team = format!("team-{}-*", i % 20);
            let resource = if service == "s3" {
                pattern(service, "", "", &team)
            } else {
                pattern(service, "*", ACCOUNT, &team)
            };
            vec![allow(&[&format!("{service}:*")], &[resource])]
        }
        50..=59 => vec![allow(
            &["s3:GetObject", "s3:PutObject"],
            &[pattern("s3", "", "", &format!("bucket-{}/*", i % 40))],
        )],
        _ => vec![allow(
            &[&format!("{service}:Put*"), &format!("{service}:Create*")],
            &["*".to_owned()],
        )],
    }
}

/// The grants the documented escalation techniques start from, one roll each.
fn risky(rng: &mut Rng, shape: &Shape, roll: usize, i: usize) -> Vec<Value> {
    let role = |rng: &mut Rng| role_name(rng.below(shape.roles));
    let user = |rng: &mut Rng| format!("user-{:04}", rng.below(shape.users));
    let group = |rng: &mut Rng| format!("group-{:02}", rng.below(shape.groups));
    match roll {
        60..=69 => vec![allow(
            &["sts:AssumeRole"],
            &[
                arn("role", &role(rng)),
                arn("role", &format!("team-{}-*", i % 20)),
            ],
        )],
        70..=74 => vec![allow(
            &[
                "iam:CreateAccessKey",
                "iam:ListAccessKeys",
                "iam:EnableMFADevice",
                "iam:CreateVirtualMFADevice",
            ],
            &[
                arn("user", "${aws:username}"),
                arn("mfa", "${aws:username}"),
            ],
        )],
        75..=79 => vec![
            allow(&["iam:PassRole"], &[arn("role", &role(rng))]),
            allow(
                &["lambda:CreateFunction", "lambda:InvokeFunction"],
                &[pattern("lambda", "*", ACCOUNT, "function:*")],
            ),
        ],
        80..=82 => vec![
            allow(&["iam:PassRole"], &[arn("role", &role(rng))]),
            allow(&["ec2:RunInstances"], &["*".to_owned()]),
        ],
        83 => vec![allow(
            &["iam:CreatePolicyVersion"],
            &[format!(
                "arn:aws:iam::{ACCOUNT}:policy/p{:04}",
                rng.below(shape.policies)
            )],
        )],
        84 => vec![allow(
            &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
            &[arn("role", &role(rng))],
        )],
        85 => vec![allow(&["iam:CreateAccessKey"], &[arn("user", &user(rng))])],
        86 => vec![allow(&["iam:AddUserToGroup"], &[arn("group", &group(rng))])],
        87 => vec![allow(
            &["lambda:UpdateFunctionCode"],
            &[format!(
                "arn:aws:lambda:*:{ACCOUNT}:function:fn-{:03}",
                rng.below(shape.functions)
            )],
        )],
        88 => vec![allow(
            &["iam:AttachRolePolicy", "sts:AssumeRole"],
            &[arn("role", &role(rng))],
        )],
        89 => vec![allow(&["iam:PutUserPolicy"], &[arn("user", &user(rng))])],
        90 => vec![allow(
            &["iam:SetDefaultPolicyVersion"],
            &[format!(
                "arn:aws:iam::{ACCOUNT}:policy/p{:04}",
                rng.below(shape.policies)
            )],
        )],
        _ => Vec::new(),
    }
}

fn policies(rng: &mut Rng, shape: &Shape) -> Vec<Value> {
    let mut out = Vec::with_capacity(shape.policies + 1);
    for i in 0..shape.policies {
        let name = format!("p{i:04}");
        let admin = i < 3;
        let versions = if rng.chance(10) { 2 + rng.below(2) } else { 1 };
        let default = rng.below(versions);
        let list: Vec<Value> = (0..versions)
            .map(|v| {
                let document = if admin {
                    doc(vec![allow(&["*"], &["*".to_owned()])])
                } else {
                    policy_document(rng, shape, i)
                };
                json!({"Document": document, "VersionId": format!("v{}", v + 1),
                       "IsDefaultVersion": v == default, "CreateDate": "2024-01-01T00:00:00+00:00"})
            })
            .collect();
        out.push(json!({
            "PolicyName": name, "PolicyId": format!("ANPA{i:016}"), "Arn": arn("policy", &name),
            "Path": "/", "DefaultVersionId": format!("v{}", default + 1), "AttachmentCount": 1,
            "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
            "CreateDate": "2024-01-01T00:00:00+00:00", "UpdateDate": "2024-01-01T00:00:00+00:00",
            "PolicyVersionList": list
        }));
    }
    out
}

fn attached(rng: &mut Rng, shape: &Shape, count: usize) -> Vec<Value> {
    (0..count)
        .map(|_| {
            // Skip the three administrator policies: they are attached on purpose below.
            let i = 3 + rng.below(shape.policies.saturating_sub(3));
            json!({"PolicyName": format!("p{i:04}"), "PolicyArn": arn("policy", &format!("p{i:04}"))})
        })
        .collect()
}

fn groups(rng: &mut Rng, shape: &Shape) -> Vec<Value> {
    (0..shape.groups)
        .map(|g| {
            let name = format!("group-{g:02}");
            let count = 2 + rng.below(4);
            json!({"Path": "/", "GroupName": name, "GroupId": format!("AGPA{g:016}"), "Arn": arn("group", &name),
                   "CreateDate": "2024-01-01T00:00:00+00:00", "GroupPolicyList": [],
                   "AttachedManagedPolicies": attached(rng, shape, count)})
        })
        .collect()
}

fn users(rng: &mut Rng, shape: &Shape) -> Vec<Value> {
    (0..shape.users)
        .map(|u| {
            let name = format!("user-{u:04}");
            let groups: Vec<String> = (0..1 + rng.below(3))
                .map(|_| format!("group-{:02}", rng.below(shape.groups)))
                .collect();
            let count = rng.below(3);
            let mut attached = attached(rng, shape, count);
            if u < 2 {
                attached.push(json!({"PolicyName": "p0000", "PolicyArn": arn("policy", "p0000")}));
            }
            let inline: Vec<Value> = if rng.chance(30) {
                vec![json!({"PolicyName": "own", "PolicyDocument": policy_document(rng, shape, u)})]
            } else {
                Vec::new()
            };
            let mut user = json!({"Path": "/", "UserName": name, "UserId": format!("AIDA{u:016}"), "Arn": arn("user", &name),
                "CreateDate": "2024-01-01T00:00:00+00:00", "UserPolicyList": inline, "GroupList": groups,
                "AttachedManagedPolicies": attached, "Tags": [{"Key": "team", "Value": format!("team-{}", u % 20)}]});
            if rng.chance(5)
                && let Some(map) = user.as_object_mut()
            {
                let b = 3 + rng.below(shape.policies.saturating_sub(3));
                map.insert("PermissionsBoundary".to_owned(), json!({"PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": arn("policy", &format!("p{b:04}"))}));
            }
            user
        })
        .collect()
}

fn trust(rng: &mut Rng, shape: &Shape, r: usize) -> (Value, Option<&'static str>) {
    let statement = |principal: Value, condition: Option<Value>| {
        let mut s = json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
        if let (Some(c), Some(map)) = (condition, s.as_object_mut()) {
            map.insert("Condition".to_owned(), c);
        }
        doc(vec![s])
    };
    match rng.below(10) {
        0..=3 => {
            let service = TRUSTED_SERVICES
                .get(r % 4)
                .copied()
                .unwrap_or("lambda.amazonaws.com");
            (statement(json!({"Service": service}), None), Some(service))
        }
        4..=5 => (statement(json!({"AWS": root()}), None), None),
        6..=7 => (
            statement(
                json!({"AWS": root()}),
                Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
            ),
            None,
        ),
        _ => (
            statement(
                json!({"AWS": [arn("user", &format!("user-{:04}", rng.below(shape.users))),
                                     arn("role", &role_name(rng.below(shape.roles)))]}),
                None,
            ),
            None,
        ),
    }
}

fn roles(rng: &mut Rng, shape: &Shape) -> Vec<Value> {
    (0..shape.roles)
        .map(|r| {
            let name = role_name(r);
            let (document, service) = trust(rng, shape, r);
            let count = 1 + rng.below(4);
            let mut attached = attached(rng, shape, count);
            if r < 3 {
                attached.push(json!({"PolicyName": format!("p{r:04}"), "PolicyArn": arn("policy", &format!("p{r:04}"))}));
            }
            let profiles: Vec<Value> = if service == Some("ec2.amazonaws.com") {
                vec![json!({"Path": "/", "InstanceProfileName": name, "InstanceProfileId": format!("AIPA{r:016}"),
                            "Arn": arn("instance-profile", &name), "CreateDate": "2024-01-01T00:00:00+00:00", "Roles": []})]
            } else {
                Vec::new()
            };
            json!({"Path": "/", "RoleName": name, "RoleId": format!("AROA{r:016}"), "Arn": arn("role", &name),
                   "CreateDate": "2024-01-01T00:00:00+00:00", "AssumeRolePolicyDocument": document,
                   "InstanceProfileList": profiles, "RolePolicyList": [], "AttachedManagedPolicies": attached,
                   "Tags": [], "RoleLastUsed": {}})
        })
        .collect()
}

fn functions(rng: &mut Rng, shape: &Shape) -> Value {
    let list: Vec<Value> = (0..shape.functions)
        .map(|f| {
            // Lambda's roles are those with index 0 mod 4 when they trust a service.
            let r = 4 * rng.below(shape.roles.div_ceil(4));
            let name = format!("fn-{f:03}");
            json!({"FunctionName": name, "FunctionArn": function_arn(&name),
                   "Runtime": "provided.al2023", "Role": arn("role", &role_name(r)), "Handler": "bootstrap"})
        })
        .collect();
    json!({"Functions": list})
}

/// Generates an account of the given shape.
pub fn generate(shape: &Shape) -> Generated {
    let mut rng = Rng(shape.seed);
    let policies = policies(&mut rng, shape);
    let groups = groups(&mut rng, shape);
    let users = users(&mut rng, shape);
    let roles = roles(&mut rng, shape);
    let functions = functions(&mut rng, shape);
    Generated {
        details: json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}),
        functions,
    }
}
