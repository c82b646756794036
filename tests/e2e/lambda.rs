//! The hello-world Lambda end to end: the `bootstrap` inside the deployment zip, run through
//! the local Runtime API against the emulator, with exec-lambda's temporary credentials.
//!
//! moto (with its IAM checks off, as the harness runs it) accepts any signature, so these
//! tests prove *which* credentials the function is given (exec-lambda's session, checked with
//! GetCallerIdentity), not that S3 judged them; on AWS the same write is authorised by
//! editable-s3-object.

use std::sync::OnceLock;

use iamkit_e2e::{
    REGION, clients, own,
    proxy::{FailWhen, Fault, Faults},
    unique,
};
use iamkit_emulator::{
    Emulator,
    lambda::{Credentials, Invocation, LocalFunction, Outcome, ProcessEnd, invoke_local},
};
use iamkit_hello_lambda::package::{self, GLIBC_CEILING, PackagedLambda, ZIP_LIMIT};
use iamkit_provision::Clients;
use serde_json::json;

const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const EDITABLE_S3_OBJECT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::*/*"}]}"#;

/// The zip, built once per test run through the same function `cargo xtask package-lambda`
/// calls.
fn packaged() -> &'static PackagedLambda {
    static PACKAGED: OnceLock<PackagedLambda> = OnceLock::new();
    PACKAGED.get_or_init(|| package::package().unwrap())
}

/// An account of the test's own with the article's exec-lambda role and a bucket, and the
/// role's temporary credentials.
struct Account {
    emulator: Emulator,
    clients: Clients,
    bucket: String,
    credentials: Credentials,
}

async fn account() -> Account {
    let emulator = own();
    let clients = clients(&emulator).await;
    let role = clients
        .iam
        .create_role()
        .role_name("exec-lambda")
        .assume_role_policy_document(LAMBDA_TRUST)
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();
    let policy = clients
        .iam
        .create_policy()
        .policy_name("editable-s3-object")
        .policy_document(EDITABLE_S3_OBJECT)
        .send()
        .await
        .unwrap();
    clients
        .iam
        .attach_role_policy()
        .role_name("exec-lambda")
        .policy_arn(policy.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    let bucket = unique("iamkit-hello");
    clients
        .s3
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let assumed = clients
        .sts
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("hello")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    let credentials = Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
    };
    Account {
        emulator,
        clients,
        bucket,
        credentials,
    }
}

/// Runs the zip's `bootstrap`, unpacked as Lambda unpacks it, for one event.
fn invoke(account: &Account, event: &serde_json::Value) -> Invocation {
    invoke_at(account, &account.emulator.endpoint(), event)
}

/// [`invoke`], with the function's AWS endpoint at `endpoint`.
fn invoke_at(account: &Account, endpoint: &str, event: &serde_json::Value) -> Invocation {
    let task = std::env::temp_dir().join(unique("iamkit-task"));
    let bootstrap = package::unpack(&packaged().zip, &task).unwrap();
    let mut function = LocalFunction::new(&bootstrap, "hello", account.credentials.clone());
    function.endpoint_url = Some(endpoint.to_owned());
    function.region = REGION.to_owned();
    // Room for the SDK's retry backoff when S3 throttles.
    function.timeout = std::time::Duration::from_secs(30);
    let invocation = invoke_local(&function, event.to_string().as_bytes()).unwrap();
    std::fs::remove_dir_all(&task).unwrap();
    eprintln!(
        "cold start: init {:?}, first response {:?}",
        invocation.init, invocation.first_response
    );
    invocation
}

fn assert_error(invocation: &Invocation, expected_type: &str, message_part: &str) {
    match &invocation.outcome {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, expected_type, "{error_message}");
            assert!(
                error_message.contains(message_part),
                "`{error_message}` does not mention `{message_part}`"
            );
        }
        other => panic!(
            "expected {expected_type}, got {other:?}; logs:\n{}",
            invocation.logs
        ),
    }
}

#[tokio::test]
async fn hello_txt_holds_exactly_hello_world_written_as_exec_lambda() {
    let account = account().await;
    // The credentials handed to the function are exec-lambda's session.
    let as_function = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&account.clients.config)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                &account.credentials.access_key_id,
                &account.credentials.secret_access_key,
                account.credentials.session_token.clone(),
                None,
                "exec-lambda",
            ))
            .build(),
    );
    let me = as_function.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/exec-lambda/hello")
    );

    let event = json!({"bucketName": account.bucket, "objectName": "hello.txt"});
    let invocation = invoke(&account, &event);
    let Outcome::Response(body) = &invocation.outcome else {
        panic!("{:?}; logs:\n{}", invocation.outcome, invocation.logs);
    };
    let response: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(response["bucketName"], account.bucket.as_str());
    assert_eq!(response["objectName"], "hello.txt");

    let object = account
        .clients
        .s3
        .get_object()
        .bucket(&account.bucket)
        .key("hello.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(response["eTag"].as_str(), object.e_tag());
    let bytes = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], b"Hello, World!");
}

#[tokio::test]
async fn an_event_without_object_name_is_invalid_event() {
    let account = account().await;
    let invocation = invoke(&account, &json!({"bucketName": account.bucket}));
    assert_error(&invocation, "InvalidEvent", "missing field `objectName`");
}

#[tokio::test]
async fn a_missing_bucket_is_no_such_bucket() {
    let account = account().await;
    let missing = unique("iamkit-missing");
    let invocation = invoke(
        &account,
        &json!({"bucketName": missing, "objectName": "hello.txt"}),
    );
    assert_error(
        &invocation,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
}

/// S3's refusals, injected on the wire between the function and the emulator (moto checks no
/// permissions): the same `errorType` values a caller of `lambda:Invoke` sees on AWS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_refusing_or_throttling_the_write_gives_access_denied_or_throttling() {
    let account = std::sync::Arc::new(account().await);
    let proxy = iamkit_e2e::proxy::Proxy::start(&account.emulator.endpoint())
        .await
        .unwrap();
    let event = json!({"bucketName": account.bucket, "objectName": "hello.txt"});

    proxy.set_faults(Faults {
        when: FailWhen::Request(1),
        fault: Fault::Deny,
        ..Faults::default()
    });
    let (acct, endpoint, ev) = (account.clone(), proxy.endpoint(), event.clone());
    let denied = tokio::task::spawn_blocking(move || invoke_at(&acct, &endpoint, &ev))
        .await
        .unwrap();
    assert_error(&denied, "AccessDenied", "hello.txt");
    assert_eq!(proxy.counts().by_action.get("s3:PutObject"), Some(&1));

    proxy.reset_counts();
    proxy.set_faults(Faults {
        when: FailWhen::Fraction { p: 1.0, seed: 7 },
        fault: Fault::Throttle,
        ..Faults::default()
    });
    let (acct, endpoint) = (account.clone(), proxy.endpoint());
    let throttled = tokio::task::spawn_blocking(move || invoke_at(&acct, &endpoint, &event))
        .await
        .unwrap();
    assert_error(&throttled, "Throttling", "Please reduce your request rate.");
    // The SDK's standard retry: three attempts, then the error.
    assert_eq!(proxy.counts().by_action.get("s3:PutObject"), Some(&3));
}

#[tokio::test]
async fn the_bootstrap_exits_cleanly_when_the_runtime_api_stops() {
    let account = account().await;
    let invocation = invoke(
        &account,
        &json!({"bucketName": account.bucket, "objectName": "again.txt"}),
    );
    assert!(matches!(invocation.outcome, Outcome::Response(_)));
    match invocation.end {
        ProcessEnd::Exited(status) => {
            assert!(status.success(), "{status}; logs:\n{}", invocation.logs)
        }
        ProcessEnd::Killed => panic!(
            "bootstrap kept running after the server stopped; logs:\n{}",
            invocation.logs
        ),
    }
    assert!(
        invocation.logs.contains("the Runtime API went away"),
        "{}",
        invocation.logs
    );
    assert!(!invocation.logs.contains("panicked"), "{}", invocation.logs);
}

#[test]
fn the_zip_holds_one_executable_bootstrap_that_runs_on_amazon_linux_2023() {
    let packaged = packaged();
    assert!(packaged.zip.ends_with("lambda/hello/bootstrap.zip"));
    let size = std::fs::metadata(&packaged.zip).unwrap().len();
    assert!(size <= ZIP_LIMIT, "{size} bytes");
    let contents = package::read_zip(&packaged.zip).unwrap();
    assert_eq!(contents.names, ["bootstrap"]);
    assert_eq!(contents.bootstrap_mode.map(|m| m & 0o777), Some(0o755));
    let binary = contents.bootstrap.unwrap();
    let needs = package::glibc_requirement(&binary).unwrap().unwrap();
    assert!(
        needs <= GLIBC_CEILING,
        "the binary needs GLIBC_{needs}; provided.al2023 has {GLIBC_CEILING}"
    );
}

#[test]
fn the_bootstrap_outside_lambda_says_what_is_missing_instead_of_panicking() {
    let task = std::env::temp_dir().join(unique("iamkit-task"));
    let bootstrap = package::unpack(&packaged().zip, &task).unwrap();
    let output = std::process::Command::new(&bootstrap)
        .env_clear()
        .output()
        .unwrap();
    std::fs::remove_dir_all(&task).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not started by a Lambda runtime: AWS_LAMBDA_RUNTIME_API"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
