//! Setup and teardown of the article's account, each test on an emulator of its own.
//!
//! Every request the provisioner sends is recorded by an SDK interceptor, so tests count
//! writes and check the order of operations. Where moto is more lenient than AWS (it deletes
//! attached policies, groups with members, users with login profiles), the tests check that
//! the provisioner still sends operations in the order AWS requires.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use aws_sdk_iam::config::ConfigBag;
use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{Intercept, context::BeforeTransmitInterceptorContextRef},
        orchestrator::Metadata,
        runtime_components::RuntimeComponents,
    },
};
use iamkit_e2e::{clients, own, teardown};
use iamkit_provision::{ApplyOptions, Clients, Error, apply, observe, whoami};
use iamkit_stack::{
    Action, Change, Code, Desired, Manifest, Op, Plan, STACK_TAG, load_manifest, plan,
};

const STACK: &str = "iamkit";
const ACCOUNT: &str = iamkit_emulator::DEFAULT_ACCOUNT_ID;

/// One request as sent: service, operation and (for IAM's query protocol) its parameters.
#[derive(Clone, Debug)]
struct Call {
    operation: String,
    params: BTreeMap<String, String>,
}

impl Call {
    fn is_write(&self) -> bool {
        !["Get", "List", "Head"]
            .iter()
            .any(|p| self.operation.starts_with(p))
    }

    fn param(&self, key: &str) -> &str {
        self.params.get(key).map_or("", String::as_str)
    }
}

#[derive(Clone, Debug, Default)]
struct Recorder(Arc<Mutex<Vec<Call>>>);

impl Recorder {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn writes(&self) -> Vec<Call> {
        self.take().into_iter().filter(Call::is_write).collect()
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_default();
        let body = context.request().body().bytes().unwrap_or_default();
        let params = String::from_utf8_lossy(body)
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (form_decode(k), form_decode(v)))
            .collect();
        self.0.lock().unwrap().push(Call { operation, params });
        Ok(())
    }
}

fn form_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// An emulator of the test's own, clients that record every request, and a folder for
/// credentials files.
struct Account {
    _emulator: iamkit_emulator::Emulator,
    plain: Clients,
    clients: Clients,
    recorder: Recorder,
    options: ApplyOptions,
}

async fn account() -> Account {
    let emulator = own();
    let plain = clients(&emulator).await;
    let recorder = Recorder::default();
    let mut clients = plain.clone();
    clients.iam = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(&plain.config)
            .interceptor(recorder.clone())
            .build(),
    );
    clients.s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&plain.config)
            .force_path_style(true)
            .interceptor(recorder.clone())
            .build(),
    );
    clients.lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&plain.config)
            .interceptor(recorder.clone())
            .build(),
    );
    let dir = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-credentials"));
    Account {
        _emulator: emulator,
        plain,
        clients,
        recorder,
        options: ApplyOptions::new(dir),
    }
}

fn baseline() -> Manifest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/baseline.toml");
    load_manifest(&path).unwrap()
}

/// The smallest valid zip archive (an empty one): moto stores the code and never runs it.
fn code(marker: u8) -> Code {
    let mut zip = vec![0x50, 0x4b, 0x05, 0x06];
    zip.extend([0u8; 16]);
    // The archive comment length and comment make packages with different hashes.
    zip.extend([1, 0, marker]);
    Code::from_zip(zip)
}

async fn desired(account: &Account, manifest: &Manifest, code: &Code) -> Desired {
    let me = whoami(&account.clients).await.unwrap();
    let codes = BTreeMap::from([("hello".to_owned(), code.clone())]);
    Desired::new(manifest, &me, iamkit_e2e::REGION, &codes).unwrap()
}

async fn plan_for(account: &Account, desired: &Desired) -> Plan {
    let observed = observe(&account.clients, desired).await.unwrap();
    plan(desired, &observed)
}

async fn setup(account: &Account, desired: &Desired) -> (Plan, Vec<String>) {
    let plan = plan_for(account, desired).await;
    let mut lines = Vec::new();
    apply(
        &account.clients,
        &plan,
        &account.options,
        &mut |c: &Change| {
            lines.push(format!("{} {}", c.action.sign(), c.address));
        },
    )
    .await
    .unwrap();
    (plan, lines)
}

fn bucket_name() -> String {
    format!("{STACK}-{ACCOUNT}-{}", iamkit_e2e::REGION)
}

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}")
}

fn decode(document: &str) -> serde_json::Value {
    iamkit_stack::document::parse_returned(document).unwrap()
}

/// Everything in the account that carries the stack's mark, as `kind name` lines.
async fn ours(clients: &Clients) -> BTreeSet<String> {
    let iam = &clients.iam;
    let mut found = BTreeSet::new();
    let is_ours = |tags: &[aws_sdk_iam::types::Tag]| {
        tags.iter()
            .any(|t| t.key() == STACK_TAG && t.value() == STACK)
    };
    for user in iam.list_users().send().await.unwrap().users() {
        let tags = iam
            .list_user_tags()
            .user_name(user.user_name())
            .send()
            .await
            .unwrap();
        if is_ours(tags.tags()) {
            found.insert(format!("user {}", user.user_name()));
        }
    }
    for role in iam.list_roles().send().await.unwrap().roles() {
        let tags = iam
            .list_role_tags()
            .role_name(role.role_name())
            .send()
            .await
            .unwrap();
        if is_ours(tags.tags()) {
            found.insert(format!("role {}", role.role_name()));
        }
    }
    // moto ignores ListGroups' PathPrefix (AWS filters by it): filter here.
    for group in iam
        .list_groups()
        .path_prefix("/iamkit/")
        .send()
        .await
        .unwrap()
        .groups()
        .iter()
        .filter(|g| g.path().starts_with("/iamkit/"))
    {
        found.insert(format!("group {}", group.group_name()));
    }
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    for policy in policies.policies() {
        let tags = iam
            .list_policy_tags()
            .policy_arn(policy.arn().unwrap())
            .send()
            .await
            .unwrap();
        if is_ours(tags.tags()) {
            found.insert(format!("policy {}", policy.policy_name().unwrap()));
        }
    }
    for bucket in clients.s3.list_buckets().send().await.unwrap().buckets() {
        found.insert(format!("bucket {}", bucket.name().unwrap()));
    }
    for function in clients
        .lambda
        .list_functions()
        .send()
        .await
        .unwrap()
        .functions()
    {
        found.insert(format!("function {}", function.function_name().unwrap()));
    }
    found
}

fn expected_resources() -> BTreeSet<String> {
    let mut all: BTreeSet<String> = [
        "enable-mfa",
        "enable-accesskey",
        "enable-role-assume",
        "enable-pass-role",
        "enable-list-roles",
        "manage-iam",
        "develop-lambda",
        "develop-s3",
        "editable-s3-object",
    ]
    .iter()
    .map(|p| format!("policy {p}"))
    .collect();
    all.extend(
        [
            "group developer",
            "group developer-base",
            "user dev-user",
            "role admin",
            "role exec-lambda",
            "function hello",
        ]
        .map(String::from),
    );
    all.insert(format!("bucket {}", bucket_name()));
    all
}

#[tokio::test]
async fn setup_creates_exactly_the_manifest_and_a_second_setup_writes_nothing() {
    let account = account().await;
    let manifest = baseline();
    let code = code(1);
    let desired = desired(&account, &manifest, &code).await;
    account.recorder.take();

    let (plan, lines) = setup(&account, &desired).await;
    assert!(plan.conflicts.is_empty());
    assert_eq!(plan.count(Action::Create), plan.changes.len());
    // 9 policies, 2 groups + 7 attachments, 1 user + 2 memberships + 1 password, 2 roles + 2
    // attachments, the bucket, the function.
    assert_eq!(plan.changes.len(), 28, "{lines:#?}");
    assert_eq!(lines.len(), 28);
    let writes = account.recorder.writes();
    let operations: BTreeSet<&str> = writes.iter().map(|c| c.operation.as_str()).collect();
    assert_eq!(
        operations,
        BTreeSet::from([
            "AddUserToGroup",
            "AttachGroupPolicy",
            "AttachRolePolicy",
            "CreateBucket",
            "CreateFunction",
            "CreateGroup",
            "CreateLoginProfile",
            "CreatePolicy",
            "CreateRole",
            "CreateUser",
            "PutBucketTagging",
        ])
    );
    assert_eq!(ours(&account.plain).await, expected_resources());

    let iam = &account.plain.iam;
    // Every policy document is the file's, with the account filled in, and tagged.
    for (name, source) in &manifest.policies {
        let policy_arn = arn("policy", name);
        let policy = iam
            .get_policy()
            .policy_arn(&policy_arn)
            .send()
            .await
            .unwrap();
        let version = policy.policy().unwrap().default_version_id().unwrap();
        let document = iam
            .get_policy_version()
            .policy_arn(&policy_arn)
            .version_id(version)
            .send()
            .await
            .unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&source.text.replace("<account-id>", ACCOUNT)).unwrap();
        assert_eq!(
            decode(document.policy_version().unwrap().document().unwrap()),
            expected,
            "{name}"
        );
    }
    // Groups: path and attachments.
    for (group, policies) in [
        ("developer", vec!["develop-lambda", "develop-s3"]),
        (
            "developer-base",
            vec![
                "enable-accesskey",
                "enable-list-roles",
                "enable-mfa",
                "enable-pass-role",
                "enable-role-assume",
            ],
        ),
    ] {
        let got = iam.get_group().group_name(group).send().await.unwrap();
        assert_eq!(got.group().unwrap().path(), "/iamkit/iamkit/");
        assert_eq!(
            got.users()
                .iter()
                .map(|u| u.user_name())
                .collect::<Vec<_>>(),
            ["dev-user"]
        );
        let attached = iam
            .list_attached_group_policies()
            .group_name(group)
            .send()
            .await
            .unwrap();
        let mut names: Vec<&str> = attached
            .attached_policies()
            .iter()
            .map(|p| p.policy_name().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, policies, "{group}");
    }
    // The user: tagged, in both groups, no policy of its own, a console password.
    let groups = iam
        .list_groups_for_user()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = groups.groups().iter().map(|g| g.group_name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["developer", "developer-base"]);
    let direct = iam
        .list_attached_user_policies()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    assert!(direct.attached_policies().is_empty());
    iam.get_login_profile()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    // The password went to a mode-0600 file, with the reset flag sent (moto ignores the flag
    // on CreateLoginProfile; AWS honours it).
    let login = writes
        .iter()
        .find(|c| c.operation == "CreateLoginProfile")
        .unwrap();
    assert_eq!(login.param("PasswordResetRequired"), "true");
    let file: PathBuf = account
        .options
        .credentials_dir
        .join(format!("{ACCOUNT}-dev-user.csv"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(csv.contains(&format!("dev-user,{},", login.param("Password"))));
    assert!(!lines.iter().any(|l| l.contains(login.param("Password"))));
    // Roles: trust policies and attachments.
    for (role, principal, policy) in [
        (
            "admin",
            serde_json::json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
            "manage-iam",
        ),
        (
            "exec-lambda",
            serde_json::json!({"Service": "lambda.amazonaws.com"}),
            "editable-s3-object",
        ),
    ] {
        let got = iam.get_role().role_name(role).send().await.unwrap();
        let trust = decode(got.role().unwrap().assume_role_policy_document().unwrap());
        assert_eq!(trust["Statement"][0]["Principal"], principal, "{role}");
        assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
        let attached = iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .unwrap();
        let names: Vec<&str> = attached
            .attached_policies()
            .iter()
            .map(|p| p.policy_name().unwrap())
            .collect();
        assert_eq!(names, [policy]);
    }
    // The bucket and the function: tagged; the function runs as exec-lambda with our code.
    let tagging = account
        .plain
        .s3
        .get_bucket_tagging()
        .bucket(bucket_name())
        .send()
        .await
        .unwrap();
    assert!(
        tagging
            .tag_set()
            .iter()
            .any(|t| t.key() == STACK_TAG && t.value() == STACK)
    );
    let function = account
        .plain
        .lambda
        .get_function()
        .function_name("hello")
        .send()
        .await
        .unwrap();
    let config = function.configuration().unwrap();
    assert_eq!(config.role(), Some(arn("role", "exec-lambda").as_str()));
    assert_eq!(config.handler(), Some("bootstrap"));
    assert_eq!(
        config.runtime().map(|r| r.as_str()),
        Some("provided.al2023")
    );
    assert_eq!(config.code_sha256(), Some(code.sha256_base64().as_str()));
    assert_eq!(
        function
            .tags()
            .and_then(|t| t.get(STACK_TAG))
            .map(String::as_str),
        Some(STACK)
    );

    // Again: nothing to do, and not one write.
    account.recorder.take();
    let (again, lines) = setup(&account, &desired).await;
    assert!(again.is_empty(), "{:#?}", again.changes);
    assert!(lines.is_empty());
    let writes = account.recorder.writes();
    assert!(writes.is_empty(), "{writes:#?}");
}

#[tokio::test]
async fn a_changed_policy_file_updates_exactly_that_policy_and_keeps_five_versions() {
    let account = account().await;
    let mut manifest = baseline();
    let desired_before = desired(&account, &manifest, &code(1)).await;
    setup(&account, &desired_before).await;

    // The same policy written differently (other spacing, key order, one-element list) is
    // unchanged.
    let policy = manifest.policies.get_mut("develop-s3").unwrap();
    let original: serde_json::Value = serde_json::from_str(&policy.text).unwrap();
    let respelled = serde_json::to_string(&respell(&original, "")).unwrap();
    assert_ne!(respelled, policy.text);
    policy.text = respelled;
    let same = desired(&account, &manifest, &code(1)).await;
    assert!(plan_for(&account, &same).await.is_empty());

    let develop_s3 = arn("policy", "develop-s3");
    for round in 1..=6 {
        let policy = manifest.policies.get_mut("develop-s3").unwrap();
        policy.text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::*/*", "arn:aws:s3:::round-{round}"]}}]}}"#
        );
        let changed = desired(&account, &manifest, &code(1)).await;
        account.recorder.take();
        let (plan, _) = setup(&account, &changed).await;
        let addresses: Vec<(Action, &str)> = plan
            .changes
            .iter()
            .map(|c| (c.action, c.address.as_str()))
            .collect();
        assert_eq!(addresses, [(Action::Update, "policy develop-s3")]);
        let writes: Vec<String> = account
            .recorder
            .writes()
            .iter()
            .map(|c| format!("{} {}", c.operation, c.param("VersionId")))
            .collect();
        // Five versions exist from the fifth round on: the oldest non-default one goes first.
        let expected: Vec<String> = match round {
            1..=4 => vec!["CreatePolicyVersion ".into()],
            _ => vec![
                format!("DeletePolicyVersion v{}", round - 4),
                "CreatePolicyVersion ".into(),
            ],
        };
        assert_eq!(writes, expected, "round {round}");
        let versions = account
            .plain
            .iam
            .list_policy_versions()
            .policy_arn(&develop_s3)
            .send()
            .await
            .unwrap();
        assert_eq!(versions.versions().len(), (round + 1).min(5));
        let default = versions
            .versions()
            .iter()
            .find(|v| v.is_default_version())
            .unwrap();
        assert_eq!(
            default.version_id(),
            Some(format!("v{}", round + 1).as_str())
        );
    }
    // A new package updates the code, and only the code.
    let new_code = desired(&account, &manifest, &code(2)).await;
    account.recorder.take();
    let (plan, _) = setup(&account, &new_code).await;
    assert_eq!(plan.changes.len(), 1);
    assert!(matches!(plan.changes[0].op, Op::UpdateFunctionCode { .. }));
    let writes: Vec<String> = account
        .recorder
        .writes()
        .into_iter()
        .map(|c| c.operation)
        .collect();
    assert_eq!(writes, ["UpdateFunctionCode"]);
}

/// The same policy written differently: keys in reverse order, no white space, single
/// actions and resources as one-element lists.
fn respell(value: &serde_json::Value, key: &str) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), respell(v, k)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| respell(v, key)).collect()),
        Value::String(text) if matches!(key, "Action" | "Resource") => {
            Value::Array(vec![Value::String(text.clone())])
        }
        other => other.clone(),
    }
}

/// Resources of someone else's: no mark of ours.
async fn create_foreign(clients: &Clients) {
    let iam = &clients.iam;
    iam.create_user().user_name("someone").send().await.unwrap();
    iam.create_group()
        .group_name("their-group")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .user_name("someone")
        .group_name("their-group")
        .send()
        .await
        .unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name("their-role")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
    iam.create_policy()
        .policy_name("their-policy")
        .policy_document(document)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("their-group")
        .policy_arn(arn("policy", "their-policy"))
        .send()
        .await
        .unwrap();
}

async fn assert_foreign_intact(clients: &Clients) {
    let iam = &clients.iam;
    let group = iam
        .get_group()
        .group_name("their-group")
        .send()
        .await
        .unwrap();
    assert_eq!(group.users().len(), 1);
    iam.get_role().role_name("their-role").send().await.unwrap();
    let attached = iam
        .list_attached_group_policies()
        .group_name("their-group")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
}

#[tokio::test]
async fn teardown_removes_ours_in_the_order_aws_requires_and_leaves_the_rest() {
    let account = account().await;
    create_foreign(&account.plain).await;
    let mut manifest = baseline();
    let desired_first = desired(&account, &manifest, &code(1)).await;
    setup(&account, &desired_first).await;
    // A second policy version, and what dev-user may add itself: an access key and an MFA device.
    manifest.policies.get_mut("develop-s3").unwrap().text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
            .into();
    let desired = desired(&account, &manifest, &code(1)).await;
    setup(&account, &desired).await;
    let iam = &account.plain.iam;
    iam.create_access_key()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    let device = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("dev-user")
        .send()
        .await
        .unwrap();
    let serial = device
        .virtual_mfa_device()
        .unwrap()
        .serial_number()
        .to_owned();
    iam.enable_mfa_device()
        .user_name("dev-user")
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    // A group an earlier manifest had: still under the stack's path, so still ours.
    iam.create_group()
        .group_name("retired")
        .path("/iamkit/iamkit/")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .user_name("dev-user")
        .group_name("retired")
        .send()
        .await
        .unwrap();
    // Someone attached our policy to their group: teardown has to detach it to delete it.
    iam.attach_group_policy()
        .group_name("their-group")
        .policy_arn(arn("policy", "develop-lambda"))
        .send()
        .await
        .unwrap();
    account.recorder.take();

    let mut lines = Vec::new();
    let (plan, _) = teardown(&account.clients, &desired, &account.options, &mut |c| {
        lines.push(c.address.clone())
    })
    .await
    .unwrap();
    assert_eq!(lines.len(), plan.changes.len());
    let left = ours(&account.plain).await;
    assert!(left.is_empty(), "{left:?}");
    assert!(
        iam.list_virtual_mfa_devices()
            .send()
            .await
            .unwrap()
            .virtual_mfa_devices()
            .is_empty()
    );
    assert_foreign_intact(&account.plain).await;

    // The order AWS requires (moto would accept any order): everything hanging on a user,
    // group, role or policy goes before it.
    let calls = account.recorder.writes();
    let position = |operation: &str, key: &str, value: &str| {
        calls
            .iter()
            .position(|c| c.operation == operation && c.param(key) == value)
            .unwrap_or_else(|| panic!("no {operation} with {key}={value}"))
    };
    let all_positions = |operation: &str, key: &str, value: &str| -> Vec<usize> {
        calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.operation == operation && c.param(key) == value)
            .map(|(i, _)| i)
            .collect()
    };
    for policy in manifest.policies.keys() {
        let policy_arn = arn("policy", policy);
        let delete = position("DeletePolicy", "PolicyArn", &policy_arn);
        for detach in [
            "DetachGroupPolicy",
            "DetachRolePolicy",
            "DeletePolicyVersion",
        ] {
            for before in all_positions(detach, "PolicyArn", &policy_arn) {
                assert!(before < delete, "{detach} of {policy} after DeletePolicy");
            }
        }
    }
    assert_eq!(
        all_positions("DetachGroupPolicy", "GroupName", "their-group").len(),
        1
    );
    assert!(
        position(
            "DeletePolicyVersion",
            "PolicyArn",
            &arn("policy", "develop-s3")
        ) < position("DeletePolicy", "PolicyArn", &arn("policy", "develop-s3"))
    );
    let delete_user = position("DeleteUser", "UserName", "dev-user");
    for before in [
        position("DeleteLoginProfile", "UserName", "dev-user"),
        position("DeleteAccessKey", "UserName", "dev-user"),
        position("DeactivateMFADevice", "UserName", "dev-user"),
        position("RemoveUserFromGroup", "GroupName", "developer"),
        position("RemoveUserFromGroup", "GroupName", "developer-base"),
    ] {
        assert!(before < delete_user);
    }
    for group in ["developer", "developer-base"] {
        let delete = position("DeleteGroup", "GroupName", group);
        assert!(position("RemoveUserFromGroup", "GroupName", group) < delete);
        for before in all_positions("DetachGroupPolicy", "GroupName", group) {
            assert!(before < delete);
        }
    }
    assert!(
        position("RemoveUserFromGroup", "GroupName", "retired")
            < position("DeleteGroup", "GroupName", "retired")
    );
    for role in ["admin", "exec-lambda"] {
        assert!(
            position("DetachRolePolicy", "RoleName", role)
                < position("DeleteRole", "RoleName", role)
        );
    }

    // Idempotent: a second teardown finds nothing of ours.
    account.recorder.take();
    let (again, _) = teardown(&account.clients, &desired, &account.options, &mut |_| {})
        .await
        .unwrap();
    assert!(again.is_empty(), "{:#?}", again.changes);
    assert!(account.recorder.writes().is_empty());
}

#[tokio::test]
async fn a_resource_with_a_manifest_name_that_is_not_ours_stops_setup_until_adopted() {
    let account = account().await;
    create_foreign(&account.plain).await;
    // Someone else's user with the manifest's name.
    account
        .plain
        .iam
        .create_user()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    let manifest = baseline();
    let mut desired = desired(&account, &manifest, &code(1)).await;
    account.recorder.take();

    let plan = plan_for(&account, &desired).await;
    assert_eq!(plan.conflicts.len(), 1);
    assert_eq!(plan.conflicts[0].address, "user dev-user");
    let err = apply(&account.clients, &plan, &account.options, &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotOurs(_)));
    assert!(
        err.to_string()
            .contains("user dev-user: not tagged `iamkit:stack=iamkit`"),
        "{err}"
    );
    assert!(account.recorder.writes().is_empty());

    // Teardown leaves it (and every other resource of theirs) alone.
    let (plan, _) = teardown(&account.clients, &desired, &account.options, &mut |_| {})
        .await
        .unwrap();
    assert!(plan.is_empty());
    assert!(
        plan.notes
            .contains(&"user dev-user is not this stack's: left as it is".to_owned())
    );
    assert!(account.recorder.writes().is_empty());

    // `--adopt` tags it and carries on; then it is ours, and teardown removes it.
    desired.adopt = true;
    let (plan, _) = setup(&account, &desired).await;
    assert!(
        plan.changes
            .iter()
            .any(|c| c.action == Action::Adopt && c.address == "user dev-user")
    );
    desired.adopt = false;
    assert!(plan_for(&account, &desired).await.is_empty());
    teardown(&account.clients, &desired, &account.options, &mut |_| {})
        .await
        .unwrap();
    assert!(ours(&account.plain).await.is_empty());
    assert_foreign_intact(&account.plain).await;
    account
        .plain
        .iam
        .get_user()
        .user_name("someone")
        .send()
        .await
        .unwrap();
}

/// Runs setup and drops it (as a killed process would stop) after `after` changes.
async fn interrupted_setup(account: &Account, desired: &Desired, after: usize) -> usize {
    let plan = plan_for(account, desired).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut done = 0;
    let signal = stop.clone();
    let mut progress = |_: &Change| {
        done += 1;
        if done == after {
            signal.notify_one();
        }
    };
    tokio::select! {
        result = apply(&account.clients, &plan, &account.options, &mut progress) => {
            result.unwrap();
        }
        () = stop.notified() => {}
    }
    done
}

/// A plan made before an earlier run's creations became visible (IAM reads lag its writes,
/// and a killed run's last requests can land after the next run has read): applying it finds
/// the resources there. What carries the stack's mark counts as created, the password is set
/// again so that its file is true; a resource without the mark is refused and left as it is.
#[tokio::test]
async fn a_stale_plan_accepts_what_is_ours_and_refuses_what_is_not() {
    let account = account().await;
    let manifest = baseline();
    let desired = desired(&account, &manifest, &code(1)).await;
    let stale = plan_for(&account, &desired).await;
    setup(&account, &desired).await;
    account.recorder.take();
    let report = apply(&account.clients, &stale, &account.options, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.changes, stale.changes.len());
    let writes = account.recorder.writes();
    let again = |operation: &str| writes.iter().filter(|c| c.operation == operation).count();
    assert_eq!(again("CreatePolicy"), 9);
    assert_eq!(again("UpdateLoginProfile"), 1);
    assert!(plan_for(&account, &desired).await.is_empty());
    teardown(&account.clients, &desired, &account.options, &mut |_| {})
        .await
        .unwrap();

    // A user of the manifest's name, not ours, appears after the reads.
    let stale = plan_for(&account, &desired).await;
    account
        .plain
        .iam
        .create_user()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    let err = apply(&account.clients, &stale, &account.options, &mut |_| {})
        .await
        .unwrap_err();
    let Error::Apply { failures, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        failures
            .iter()
            .any(|f| f.address == "user dev-user" && f.message.contains("not ours")),
        "{failures:?}"
    );
    let tags = account
        .plain
        .iam
        .list_user_tags()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
    teardown(&account.clients, &desired, &account.options, &mut |_| {})
        .await
        .unwrap();
    assert!(ours(&account.plain).await.is_empty());
    account
        .plain
        .iam
        .delete_user()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
}

/// A user, a role and a policy that carry the stack's mark but that the manifest no longer
/// names: setup leaves them (and notes the user and the role: verify's drift check fails on
/// that), teardown removes them. A user with another stack's mark is left alone.
#[tokio::test]
async fn teardown_removes_what_the_manifest_dropped_and_nothing_of_another_stack() {
    let account = account().await;
    let manifest = baseline();
    let desired = desired(&account, &manifest, &code(1)).await;
    let iam = &account.plain.iam;
    let tag = |stack: &str| {
        aws_sdk_iam::types::Tag::builder()
            .key(STACK_TAG)
            .value(stack)
            .build()
            .unwrap()
    };
    iam.create_user()
        .user_name("old-user")
        .tags(tag(STACK))
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name("old-role")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .tags(tag(STACK))
        .send()
        .await
        .unwrap();
    iam.create_user()
        .user_name("their-user")
        .tags(tag("another-stack"))
        .send()
        .await
        .unwrap();
    // A policy of ours the manifest dropped, still attached to someone else's user.
    let old_policy = iam
        .create_policy()
        .policy_name("old-policy")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        )
        .tags(tag(STACK))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    iam.attach_user_policy()
        .user_name("their-user")
        .policy_arn(&old_policy)
        .send()
        .await
        .unwrap();

    let (plan, _) = setup(&account, &desired).await;
    assert!(
        plan.notes
            .iter()
            .any(|n| n.starts_with("user `old-user` is this stack's")),
        "{:?}",
        plan.notes
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.starts_with("role `old-role` is this stack's")),
        "{:?}",
        plan.notes
    );
    teardown(&account.clients, &desired, &account.options, &mut |_| {})
        .await
        .unwrap();
    assert!(ours(&account.plain).await.is_empty());
    let users: Vec<String> = iam
        .list_users()
        .send()
        .await
        .unwrap()
        .users()
        .iter()
        .map(|u| u.user_name().to_owned())
        .collect();
    assert_eq!(users, ["their-user"]);
    // Our policy was detached from their user, then deleted; their user is otherwise as it was.
    let attached = iam
        .list_attached_user_policies()
        .user_name("their-user")
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());
    let tags = iam
        .list_user_tags()
        .user_name("their-user")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("another-stack")]);
    iam.delete_user()
        .user_name("their-user")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn setup_interrupted_at_any_point_converges_on_rerun_and_tears_down_clean() {
    let account = account().await;
    let manifest = baseline();
    let desired = desired(&account, &manifest, &code(1)).await;
    for after in [1, 4, 10, 17, 22, 27] {
        // Interrupted, then torn down: nothing of ours is left.
        interrupted_setup(&account, &desired, after).await;
        assert!(!ours(&account.plain).await.is_empty(), "after {after}");
        teardown(&account.clients, &desired, &account.options, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("teardown after {after} changes: {e}"));
        assert!(ours(&account.plain).await.is_empty(), "after {after}");

        // Interrupted, then run again: the account converges.
        interrupted_setup(&account, &desired, after).await;
        let (plan, _) = setup(&account, &desired).await;
        assert!(
            plan.conflicts.is_empty(),
            "after {after}: {:?}",
            plan.conflicts
        );
        assert!(
            plan_for(&account, &desired).await.is_empty(),
            "after {after}"
        );
        assert_eq!(ours(&account.plain).await, expected_resources());
        teardown(&account.clients, &desired, &account.options, &mut |_| {})
            .await
            .unwrap();
        assert!(ours(&account.plain).await.is_empty(), "after {after}");
    }
}

/// Setup and teardown cut off at their Nth write (every request from it on fails: what the
/// account sees of a process killed there), then run again without faults.
#[tokio::test]
async fn setup_and_teardown_cut_off_at_a_write_converge_when_run_again() {
    use iamkit_e2e::proxy::{FailWhen, Fault, Faults, Proxy};

    let account = account().await;
    let manifest = baseline();
    let desired = desired(&account, &manifest, &code(1)).await;
    let proxy = Proxy::start(&account._emulator.endpoint()).await.unwrap();
    let cut = without_sdk_retries(&account, &proxy);
    let cut_at = |n: usize| {
        proxy.set_faults(Faults {
            when: FailWhen::FromWrite(n),
            fault: Fault::Drop,
            ..Faults::default()
        });
    };
    for n in [1, 6, 13, 24] {
        cut_at(n);
        let plan = plan_for(&account, &desired).await;
        let err = apply(&cut, &plan, &account.options, &mut |_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Apply { .. }), "write {n}: {err}");
        assert!(proxy.counts().writes >= n, "write {n}");

        // A teardown that is itself cut off, then a whole one: nothing of ours is left.
        let left = ours(&account.plain).await.len();
        cut_at(n.div_ceil(2));
        let partial = teardown(&cut, &desired, &account.options, &mut |_| {}).await;
        // Each resource left takes at least one write to remove.
        assert_eq!(
            partial.is_err(),
            left >= n.div_ceil(2),
            "write {n}: {left} left"
        );
        teardown(&account.clients, &desired, &account.options, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("teardown after write {n}: {e}"));
        assert!(ours(&account.plain).await.is_empty(), "write {n}");

        // Cut off again, then run to the end: the account converges.
        cut_at(n);
        let plan = plan_for(&account, &desired).await;
        apply(&cut, &plan, &account.options, &mut |_| {})
            .await
            .unwrap_err();
        let (plan, _) = setup(&account, &desired).await;
        assert!(plan.conflicts.is_empty(), "write {n}: {:?}", plan.conflicts);
        assert!(plan_for(&account, &desired).await.is_empty(), "write {n}");
        assert_eq!(ours(&account.plain).await, expected_resources());
        teardown(&account.clients, &desired, &account.options, &mut |_| {})
            .await
            .unwrap();
    }
}

/// Clients that go through `proxy` and never retry by themselves: whatever is retried is
/// retried by the provisioner.
fn without_sdk_retries(account: &Account, proxy: &iamkit_e2e::proxy::Proxy) -> Clients {
    let target = iamkit_provision::Target::Emulator {
        endpoint: proxy.endpoint(),
    };
    let config = account
        .plain
        .config
        .to_builder()
        .endpoint_url(proxy.endpoint())
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .build();
    iamkit_provision::from_config(target, config)
}

#[tokio::test]
async fn throttled_changes_are_retried_until_they_succeed_or_the_deadline_passes() {
    use iamkit_e2e::proxy::{FailWhen, Fault, Faults, Proxy};

    let account = account().await;
    let manifest = baseline();
    let desired = desired(&account, &manifest, &code(1)).await;
    let proxy = Proxy::start(&account._emulator.endpoint()).await.unwrap();
    let throttled = without_sdk_retries(&account, &proxy);

    // A third of the requests throttled: the provisioner's own retries carry setup through.
    proxy.set_faults(Faults {
        when: FailWhen::Fraction { p: 0.3, seed: 7 },
        fault: Fault::Throttle,
        ..Faults::default()
    });
    let plan = plan_for(&account, &desired).await;
    let report = apply(&throttled, &plan, &account.options, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.changes, plan.changes.len());
    assert!(proxy.counts().injected > 0);
    assert!(plan_for(&account, &desired).await.is_empty());

    // Every request throttled: each change gives up at its deadline, naming its resource.
    proxy.set_faults(Faults {
        when: FailWhen::FromWrite(1),
        fault: Fault::Throttle,
        ..Faults::default()
    });
    let mut options = account.options.clone();
    options.iam_deadline = std::time::Duration::from_millis(500);
    options.lambda_deadline = std::time::Duration::from_millis(500);
    let observed = observe(&account.clients, &desired).await.unwrap();
    let plan = iamkit_stack::teardown_plan(&desired, &observed);
    let started = std::time::Instant::now();
    let err = apply(&throttled, &plan, &options, &mut |_| {})
        .await
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let Error::Apply { failures, done } = &err else {
        panic!("{err}");
    };
    assert_eq!(*done, 0);
    // Every change that had started failed, under its own address; once one failed, no
    // other started.
    assert!(!failures.is_empty());
    assert!(
        failures.len() <= options.parallelism,
        "{} failures",
        failures.len()
    );
    for failure in failures {
        assert!(
            plan.changes.iter().any(|c| c.address == failure.address),
            "{failure:?}"
        );
    }
    // IAM says `Throttling`, Lambda `TooManyRequestsException`, S3 `SlowDown`.
    assert!(
        failures.iter().all(|f| [
            "Throttling: Rate exceeded",
            "TooManyRequestsException: Rate exceeded",
            "SlowDown: Please reduce your request rate."
        ]
        .contains(&f.message.as_str())),
        "{failures:?}"
    );
}

/// Set in the child process of [`setup_killed_with_sigkill_converges_when_run_again`]: the
/// emulator endpoint the child sets up.
const CHILD_ENDPOINT: &str = "IAMKIT_E2E_SETUP_CHILD_ENDPOINT";
const KILLED_TEST: &str = "provision::setup_killed_with_sigkill_converges_when_run_again";

/// A setup process killed with SIGKILL (no destructors, no flush) at several points, then
/// setup run again: the account converges, and teardown leaves nothing of ours.
///
/// The test binary runs this same test as the child process that gets killed. Its requests go
/// through a proxy in this process, which holds the child's Nth write and every request after
/// it without an answer: the child is then stuck at a point the proxy observed, and the kill
/// lands there, however busy the machine is. Nothing is timed.
#[tokio::test]
async fn setup_killed_with_sigkill_converges_when_run_again() {
    use iamkit_e2e::proxy::{FailWhen, Fault, Faults, Proxy};

    if let Ok(endpoint) = std::env::var(CHILD_ENDPOINT) {
        let target = iamkit_provision::Target::Emulator { endpoint };
        let clients = iamkit_provision::connect(&target, Some(iamkit_e2e::REGION)).await;
        let me = whoami(&clients).await.unwrap();
        let codes = BTreeMap::from([("hello".to_owned(), code(1))]);
        let desired = Desired::new(&baseline(), &me, iamkit_e2e::REGION, &codes).unwrap();
        let observed = observe(&clients, &desired).await.unwrap();
        let plan = plan(&desired, &observed);
        let dir = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-killed"));
        apply(&clients, &plan, &ApplyOptions::new(dir), &mut |_| {})
            .await
            .unwrap();
        return;
    }

    let account = account().await;
    let manifest = baseline();
    let desired = desired(&account, &manifest, &code(1)).await;
    let writes = plan_for(&account, &desired).await.changes.len();
    for held in [1, 6, 11, 20, writes] {
        let proxy = Proxy::start(&account._emulator.endpoint()).await.unwrap();
        proxy.set_faults(Faults {
            when: FailWhen::FromWrite(held),
            fault: Fault::Hang,
            ..Faults::default()
        });
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", KILLED_TEST, "--test-threads", "1"])
            .env(CHILD_ENDPOINT, proxy.endpoint())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stuck = proxy
            .wait_until(std::time::Duration::from_secs(120), |c| c.injected > 0)
            .await;
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(stuck, "the child never reached write {held}");
        assert!(!status.success(), "the child finished before it was killed");
        let left = plan_for(&account, &desired).await;
        assert!(
            !left.is_empty(),
            "write {held} was held, yet nothing is left to do"
        );

        let (plan, _) = setup(&account, &desired).await;
        assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
        assert!(
            plan_for(&account, &desired).await.is_empty(),
            "after {held}"
        );
        assert_eq!(ours(&account.plain).await, expected_resources());
        teardown(&account.clients, &desired, &account.options, &mut |_| {})
            .await
            .unwrap();
        assert!(ours(&account.plain).await.is_empty(), "after {held}");
    }
}

mod faults;

/// Teardown removes the virtual MFA device `mfa enroll` created, also when an interrupted
/// enrolment left it created but never enabled (it is then not assigned to the user, and only
/// the user's `iamkit:mfa-device` tag says it is ours).
#[tokio::test]
async fn teardown_removes_the_mfa_device_we_enrolled_even_when_it_was_never_enabled() {
    let account = account().await;
    let manifest = baseline();
    let desired = desired(&account, &manifest, &code(1)).await;
    setup(&account, &desired).await;

    let stray = iamkit_provision::mfa::begin_enroll(&account.plain, &manifest.stack, "dev-user")
        .await
        .unwrap();
    let iam = &account.plain.iam;
    let devices = iam.list_virtual_mfa_devices().send().await.unwrap();
    assert_eq!(devices.virtual_mfa_devices().len(), 1);
    assert!(
        iam.list_mfa_devices()
            .user_name("dev-user")
            .send()
            .await
            .unwrap()
            .mfa_devices()
            .is_empty(),
        "the interrupted enrolment left the device unassigned"
    );

    teardown(&account.clients, &desired, &account.options, &mut |_| {})
        .await
        .unwrap();
    let left = iam.list_virtual_mfa_devices().send().await.unwrap();
    assert!(
        left.virtual_mfa_devices().is_empty(),
        "{} is still there",
        stray.serial
    );
    assert!(ours(&account.plain).await.is_empty());
}

/// The IAM actions that authorize an API call as the test proxy names it (`s3:DeleteObjects`
/// is authorized per object by `s3:DeleteObject` or `s3:DeleteObjectVersion`).
fn authorized_by(call: &str) -> Vec<String> {
    match call {
        "s3:DeleteObjects" => vec!["s3:DeleteObject".into(), "s3:DeleteObjectVersion".into()],
        other => vec![other.to_owned()],
    }
}

/// Follows a flow: hands it the deployment packages, keeps its plan, and starts counting the
/// proxy's requests once the plan is made, so that the counts are `apply`'s.
struct ApplyCounter<'a> {
    proxy: &'a iamkit_e2e::proxy::Proxy,
    code: BTreeMap<String, Code>,
}

impl iamkit_provision::Events for ApplyCounter<'_> {
    fn packages(&mut self) -> Result<BTreeMap<String, Code>, Error> {
        Ok(self.code.clone())
    }

    fn planned(&mut self, _plan: &Plan) {
        self.proxy.reset_counts();
    }
}

/// Every write `apply` sends, in a setup from empty and in the teardown of a used account (its
/// bucket holds an object), is an action `required_permissions` lists for that plan: what the
/// preflight simulates on a real account is what the run does.
#[tokio::test(flavor = "multi_thread")]
async fn every_request_apply_sends_is_a_permission_the_preflight_checks() {
    use iamkit_e2e::proxy::Proxy;
    use iamkit_provision::SetupOptions;

    let emulator = own();
    let proxy = Proxy::start(&emulator.endpoint()).await.unwrap();
    let target = iamkit_provision::Target::Emulator {
        endpoint: proxy.endpoint(),
    };
    let clients = iamkit_provision::connect(&target, Some(iamkit_e2e::REGION)).await;
    let options = SetupOptions {
        adopt: false,
        dry_run: false,
        apply: ApplyOptions::new(std::env::temp_dir().join(iamkit_e2e::unique("iamkit-perm"))),
    };
    let mut counter = ApplyCounter {
        proxy: &proxy,
        code: BTreeMap::from([("hello".to_owned(), code(1))]),
    };
    let manifest = baseline();
    let set_up = iamkit_provision::setup(&clients, &manifest, &options, &mut counter)
        .await
        .unwrap();
    let uncovered = |plan: &Plan, desired: &Desired| {
        let needed: BTreeSet<String> = iamkit_stack::required_permissions(plan, desired)
            .into_iter()
            .map(|p| p.action.to_ascii_lowercase())
            .collect();
        let sent = proxy.counts();
        let writes = sent.write_actions();
        assert!(!writes.is_empty(), "nothing was counted");
        writes
            .into_iter()
            .filter(|call| {
                !authorized_by(call)
                    .iter()
                    .any(|action| needed.contains(&action.to_ascii_lowercase()))
            })
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let missing = uncovered(&set_up.plan, &set_up.desired);
    assert!(
        missing.is_empty(),
        "setup sent {missing:?}, which the preflight does not check"
    );

    let bucket = set_up.desired.bucket.as_ref().unwrap().name.clone();
    clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key("hello.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"Hello"))
        .send()
        .await
        .unwrap();
    let torn = iamkit_provision::teardown(&clients, &manifest, &options, &mut counter)
        .await
        .unwrap();
    assert!(torn.left.is_empty(), "{:?}", torn.left);
    assert!(
        torn.plan
            .changes
            .iter()
            .any(|c| matches!(c.op, Op::EmptyBucket { .. })),
        "the bucket held an object"
    );
    let missing = uncovered(&torn.plan, &set_up.desired);
    assert!(
        missing.is_empty(),
        "teardown sent {missing:?}, which the preflight does not check"
    );
}
