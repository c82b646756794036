//! `verify` end to end, each test on an emulator of its own: right after setup it fails only
//! on dev-user's path to admin (role admin's trust asks no MFA, as in the article), and passes
//! that check once MFA is required; it fails naming the check after each change made behind
//! the tool's back; against the article's own policies it reports the bucket listing; and no
//! output of the demo shows a secret the emulator issued.
//!
//! moto (with its IAM checks off, as the harness runs it) accepts every signed request, so the
//! live checks here prove which credentials each call is made with, not that AWS would allow
//! it: that is what the static checks (our engine over the policies read back) are for.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::OnceLock,
};

use iamkit_e2e::{REGION, clients, own, proxy::Proxy, unique};
use iamkit_emulator::Emulator;
use iamkit_hello_lambda::package::{self, PackagedLambda};
use iamkit_provision::{ApplyOptions, Clients, Runner, apply, observe, whoami};
use iamkit_stack::{Code, Desired, Manifest, load_manifest, plan};
use iamkit_verify::{KEY_MARK, Report, Status, VerifyOptions, load_expectations, verify};

/// The zip, built once per test run through the same function `cargo xtask package-lambda`
/// calls.
fn packaged() -> &'static PackagedLambda {
    static PACKAGED: OnceLock<PackagedLambda> = OnceLock::new();
    PACKAGED.get_or_init(|| package::package().unwrap())
}

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

/// An account of the test's own, set up from `manifest` (a file in `policies/`).
struct Account {
    _emulator: Emulator,
    clients: Clients,
    manifest: Manifest,
    bootstrap: PathBuf,
    code: BTreeMap<String, Code>,
}

impl Drop for Account {
    fn drop(&mut self) {
        if let Some(dir) = self.bootstrap.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The baseline with MFA required in role admin's trust (`require_mfa = true`), as a name
/// [`set_up`] knows.
const MFA_ON_ADMIN: &str = "baseline.toml, with require_mfa = true on role admin";

/// The manifest `name` (a file in `policies/`, or [`MFA_ON_ADMIN`]), reviewed as setup
/// reviews it.
fn manifest(name: &str) -> Manifest {
    if name != MFA_ON_ADMIN {
        return load_manifest(&policies().join(name)).unwrap();
    }
    // A copy of the policies folder (policy files and lint.toml) with the one change.
    let dir = std::env::temp_dir().join(unique("iamkit-mfa-on-admin"));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(policies()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let text = std::fs::read_to_string(dir.join("baseline.toml")).unwrap();
    let admin = "[roles.admin]\ntrust = { account = \"self\" }";
    assert!(text.contains(admin), "the baseline's role admin changed");
    let text = text.replace(
        admin,
        "[roles.admin]\ntrust = { account = \"self\", require_mfa = true }",
    );
    std::fs::write(dir.join("baseline.toml"), text).unwrap();
    let manifest = load_manifest(&dir.join("baseline.toml")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    manifest
}

async fn set_up(manifest_name: &str) -> Account {
    let emulator = own();
    let clients = clients(&emulator).await;
    let manifest = manifest(manifest_name);
    let zip = std::fs::read(&packaged().zip).unwrap();
    let code = BTreeMap::from([("hello".to_owned(), Code::from_zip(zip))]);
    let me = whoami(&clients).await.unwrap();
    let desired = Desired::new(&manifest, &me, REGION, &code).unwrap();
    let plan = plan(&desired, &observe(&clients, &desired).await.unwrap());
    let dir = std::env::temp_dir().join(unique("iamkit-verify"));
    apply(
        &clients,
        &plan,
        &ApplyOptions::new(dir.join("credentials")),
        &mut |_| {},
    )
    .await
    .unwrap();
    let bootstrap = package::unpack(&packaged().zip, &dir.join("task")).unwrap();
    Account {
        _emulator: emulator,
        clients,
        manifest,
        bootstrap,
        code,
    }
}

impl Account {
    async fn verify(&self) -> Report {
        let expectations = load_expectations(&policies().join("expectations.toml")).unwrap();
        let mut options = VerifyOptions::new(
            expectations,
            Runner::Local {
                bootstrap: self.bootstrap.clone(),
                code: self.code["hello"].clone(),
            },
        );
        options.code = self.code.clone();
        verify(&self.clients, &self.manifest, REGION, &options)
            .await
            .unwrap()
    }

    fn arn(&self, kind: &str, name: &str) -> String {
        format!(
            "arn:aws:iam::{}:{kind}/{name}",
            iamkit_emulator::DEFAULT_ACCOUNT_ID
        )
    }
}

/// The failed checks, as `name: detail` lines.
fn failures(report: &Report) -> Vec<String> {
    report
        .failures()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect()
}

fn assert_fails(report: &Report, name: &str, detail: &str) {
    let failures = failures(report);
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with(&format!("{name}: ")) && f.contains(detail)),
        "expected check `{name}` to fail with `{detail}`; failures: {failures:#?}\n{report}"
    );
    assert!(!report.passed());
    assert!(report.to_string().contains(&format!("FAIL  {name}")));
}

/// The one failure of the baseline as the article builds role admin's trust: dev-user, with an
/// access key alone, switches to admin, whose `iam:*` gives itself any policy.
const DEV_USER_ESCALATES: &str = "user dev-user becomes admin-equivalent without MFA: user/dev-user --assume-role--> role/admin (iam:PutRolePolicy on itself)";

/// The failed checks other than the baseline's path to admin.
fn other_failures(report: &Report) -> Vec<String> {
    failures(report)
        .into_iter()
        .filter(|f| !f.starts_with("dev-user-not-admin-without-mfa: "))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_right_after_setup_passes_shows_the_accepted_path_to_admin_and_leaves_no_key_behind()
{
    let account = set_up("baseline.toml").await;
    let iam = &account.clients.iam;
    // A key an interrupted run left behind, marked as verify's: removed before a new one is
    // made (dev-user may hold two keys at most).
    let stray = iam
        .create_access_key()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    let stray_id = stray.access_key().unwrap().access_key_id().to_owned();
    iam.tag_user()
        .user_name("dev-user")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key(&stray_id)
                .value(KEY_MARK)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let report = account.verify().await;
    // Every single request is as the article says; the path is not, and it is shown as it
    // is. The baseline's lint.toml accepts admin's trust without MFA, with its reason: the
    // owner's word makes it a warning, not a failure.
    assert!(report.passed(), "{report}");
    let escalation = report.check("dev-user-not-admin-without-mfa").unwrap();
    assert_eq!(escalation.status, Status::Warn, "{report}");
    assert!(
        escalation.detail.starts_with(DEV_USER_ESCALATES)
            && escalation
                .detail
                .contains("(accepted in lint.toml: as in the article"),
        "{}",
        escalation.detail
    );
    let help = escalation.help.as_deref().unwrap_or_default();
    assert!(
        help.starts_with("require MFA in the trust policy of role admin: `require_mfa = true` on role admin, then `cargo xtask setup`"),
        "{help}"
    );
    assert!(
        help.contains("sts:AssumeRole by identity policy `enable-role-assume`"),
        "{help}"
    );
    for name in [
        "drift",
        "admin-admin-as-meant",
        "exec-lambda-not-admin-without-mfa",
        "dev-user-lists-buckets",
        "dev-user-assumes-admin",
        "exec-lambda-cannot-list-the-bucket",
        "dev-user-whoami",
        "admin-lists-policies",
        "hello-invoke",
        "hello-wrote-object",
        "user-key-deleted",
        "no-direct-user-policies",
        "no-star-star-policy",
    ] {
        let check = report
            .check(name)
            .unwrap_or_else(|| panic!("no check {name}"));
        assert_eq!(check.status, Status::Pass, "{name}: {}", check.detail);
    }
    // The deciding statement is named.
    assert!(
        report
            .check("dev-user-lists-buckets")
            .unwrap()
            .detail
            .contains("allowed by identity policy `develop-s3` statement `ListAllBuckets`"),
        "{report}"
    );
    // Known emulator limits are shown as such, not as passes.
    assert_eq!(report.check("root-mfa").unwrap().status, Status::Skipped);
    assert!(
        report
            .check("root-mfa")
            .unwrap()
            .detail
            .contains("emulator")
    );
    // As in the article, admin trusts the account without MFA: a warning, not a failure.
    assert_eq!(
        report.check("admin-trust-requires-mfa").unwrap().status,
        Status::Warn
    );

    let keys = iam
        .list_access_keys()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    assert!(keys.access_key_metadata().is_empty(), "{keys:?}");
    let tags = iam
        .list_user_tags()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags().iter().all(|t| t.value() != KEY_MARK),
        "{tags:?}"
    );

    // Running it again gives the same: the object the function left is as it wrote it.
    let again = account.verify().await;
    assert!(other_failures(&again).is_empty(), "{again}");
    assert_eq!(
        again.check("object-unchanged").unwrap().status,
        Status::Pass
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_edited_behind_the_tools_back_fails_drift_and_access() {
    let account = set_up("baseline.toml").await;
    let original = std::fs::read_to_string(policies().join("original/develop-s3.json")).unwrap();
    account
        .clients
        .iam
        .create_policy_version()
        .policy_arn(account.arn("policy", "develop-s3"))
        .policy_document(original)
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    let report = account.verify().await;
    assert_fails(&report, "drift", "~ policy develop-s3: document changed");
    assert_fails(
        &report,
        "dev-user-lists-buckets",
        "expected Allow, got ImplicitDeny",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_user_removed_from_a_group_fails_drift_and_access() {
    let account = set_up("baseline.toml").await;
    account
        .clients
        .iam
        .remove_user_from_group()
        .user_name("dev-user")
        .group_name("developer-base")
        .send()
        .await
        .unwrap();
    let report = account.verify().await;
    assert_fails(
        &report,
        "drift",
        "+ user dev-user: member of group developer-base",
    );
    assert_fails(
        &report,
        "dev-user-lists-roles",
        "expected Allow, got ImplicitDeny",
    );
    assert_fails(
        &report,
        "dev-user-assumes-admin",
        "expected Allow, got ImplicitDeny",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lambdas_role_changed_fails_drift() {
    let account = set_up("baseline.toml").await;
    account
        .clients
        .lambda
        .update_function_configuration()
        .function_name("hello")
        .role(account.arn("role", "admin"))
        .send()
        .await
        .unwrap();
    let report = account.verify().await;
    assert_fails(&report, "drift", "~ function hello: configuration");
    // The function now runs as admin: the live check says so.
    let invoked = report.check("hello-invoke").unwrap();
    assert!(invoked.detail.contains("role/admin"), "{}", invoked.detail);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_object_changed_fails_the_object_check() {
    let account = set_up("baseline.toml").await;
    let first = account.verify().await;
    assert!(other_failures(&first).is_empty(), "{first}");
    let bucket = format!("iamkit-{}-{REGION}", iamkit_emulator::DEFAULT_ACCOUNT_ID);
    account
        .clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key("hello.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"Goodbye"))
        .send()
        .await
        .unwrap();
    let report = account.verify().await;
    assert_fails(
        &report,
        "object-unchanged",
        "holds `Goodbye`, not `Hello, World!`: it was changed outside the function",
    );
    assert_eq!(other_failures(&report).len(), 1, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_articles_own_policies_cannot_list_buckets() {
    let account = set_up("article.toml").await;
    let report = account.verify().await;
    // The account is as its manifest says; the policies are what is wrong.
    assert_eq!(
        report.check("drift").unwrap().status,
        Status::Pass,
        "{report}"
    );
    assert_fails(
        &report,
        "dev-user-lists-buckets",
        "expected Allow, got ImplicitDeny: no identity policy statement allows it",
    );
    assert_fails(
        &report,
        "dev-user-lists-the-bucket",
        "expected Allow, got ImplicitDeny",
    );
    // BoolIfExists: with long-term keys, dev-user can switch its MFA off.
    assert_fails(
        &report,
        "dev-user-cannot-deactivate-mfa-with-long-term-keys",
        "expected ImplicitDeny, got Allow: allowed by identity policy `enable-mfa` statement #2",
    );
    // And the path to admin, as in the baseline: shown, and a warning, since lint.toml
    // accepts the article's trust without MFA with its reason.
    let path = report.check("dev-user-not-admin-without-mfa").unwrap();
    assert_eq!(path.status, Status::Warn, "{report}");
    assert!(
        path.detail.starts_with(DEV_USER_ESCALATES),
        "{}",
        path.detail
    );
    assert_eq!(failures(&report).len(), 3, "{report}");
}

/// The fix verify names, made: with MFA required in admin's trust, dev-user reaches admin
/// only with MFA, and the escalation group passes. The static expectation that dev-user
/// switches to admin with its key alone now fails, as it should: that is the fix.
#[tokio::test(flavor = "multi_thread")]
async fn with_mfa_required_on_admin_dev_user_reaches_admin_only_with_mfa() {
    let account = set_up(MFA_ON_ADMIN).await;
    let report = account.verify().await;
    let dev = report.check("dev-user-not-admin-without-mfa").unwrap();
    assert_eq!(dev.status, Status::Pass, "{report}");
    assert_eq!(
        dev.detail,
        "user dev-user reaches admin only with MFA: user/dev-user --assume-role--> role/admin [needs MFA] (iam:PutRolePolicy on itself)"
    );
    assert_eq!(
        report.check("admin-trust-requires-mfa").unwrap().status,
        Status::Pass
    );
    assert_fails(
        &report,
        "dev-user-assumes-admin",
        "expected Allow, got ImplicitDeny",
    );
    assert_eq!(failures(&report).len(), 1, "{report}");
}

#[test]
fn the_function_writes_what_verify_reads_back() {
    assert_eq!(iamkit_verify::GREETING, iamkit_hello_lambda::GREETING);
}

/// Runs `cargo xtask demo` against an emulator behind the proxy, which keeps every secret that
/// crosses it; none may appear in the demo's stdout or stderr. The baseline keeps role admin's
/// trust as the article builds it (accepted in its lint.toml), so verify shows the path to
/// admin as a warning, and the demo passes.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_passes_shows_the_path_to_admin_and_prints_no_secret() {
    let emulator = own();
    let proxy = Proxy::start(&emulator.endpoint()).await.unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let endpoint = proxy.endpoint();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(cargo)
            .current_dir(root)
            .args([
                "run",
                "--quiet",
                "--package",
                "xtask",
                "--",
                "demo",
                "--endpoint-url",
            ])
            .arg(endpoint)
            .env_remove("AWS_ENDPOINT_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("warn  dev-user-not-admin-without-mfa"),
        "{stdout}"
    );
    assert!(stdout.contains(DEV_USER_ESCALATES), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed, "), "{stdout}");
    assert!(stdout.contains("nothing of the stack is left"), "{stdout}");

    let secrets = proxy.secrets();
    // dev-user's console password, its temporary key's secret, and a secret and a token for
    // each session: admin's (as dev-user) and exec-lambda's (for the function).
    assert!(secrets.len() >= 6, "only {} secrets seen", secrets.len());
    for secret in &secrets {
        assert!(!stdout.contains(secret.as_str()), "a secret is in stdout");
        assert!(!stderr.contains(secret.as_str()), "a secret is in stderr");
    }
}
