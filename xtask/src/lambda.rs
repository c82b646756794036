//! `cargo xtask package-lambda` and `cargo xtask invoke`: the hello-world Lambda, zipped for
//! `provided.al2023`, and run: locally through the emulator's Runtime API, or on AWS.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use iamkit_emulator::lambda::{Credentials, LocalFunction, Outcome, ProcessEnd, invoke_local};
use iamkit_provision::{Clients, Target};

use crate::target::{self, TargetArgs};

pub use iamkit_hello_lambda::package::PackagedLambda;

/// The function's name, locally and as deployed.
pub const FUNCTION: &str = "hello";

/// The role the function runs as.
pub const EXECUTION_ROLE: &str = "exec-lambda";

/// Builds `bootstrap` with the `lambda` profile and writes `target/lambda/hello/bootstrap.zip`
/// (checked: glibc at most 2.34, at most 5 MB). `setup` deploys this zip; its `code_sha256`
/// is Lambda's `CodeSha256`.
pub fn package() -> Result<PackagedLambda> {
    iamkit_hello_lambda::package::package().context("packaging the hello-world Lambda")
}

/// `cargo xtask package-lambda`.
pub fn run_package() -> Result<()> {
    let packaged = package()?;
    print_packaged(&packaged);
    Ok(())
}

fn print_packaged(packaged: &PackagedLambda) {
    let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!("{}", packaged.zip.display());
    println!(
        "  zip      {} bytes ({:.2} MB)",
        packaged.zip_size,
        mb(packaged.zip_size)
    );
    println!(
        "  binary   {} bytes ({:.2} MB), needs glibc {}",
        packaged.binary_size,
        mb(packaged.binary_size),
        packaged
            .glibc
            .map_or_else(|| "nothing".to_owned(), |v| format!("{v} (<= 2.34)"))
    );
    println!("  sha256   {}", packaged.sha256);
    println!("  CodeSha256 {}", packaged.code_sha256);
    println!("  build    {:.1} s", packaged.build_time.as_secs_f64());
}

#[derive(clap::Args)]
pub struct InvokeArgs {
    /// The function: `hello`, the article's S3 hello-world.
    function: String,
    /// The event, as JSON: `{"bucketName": "...", "objectName": "hello.txt"}`.
    event: String,
    #[command(flatten)]
    target: TargetArgs,
}

/// `cargo xtask invoke hello EVENT`: on the emulator, packages the function and runs the
/// zip's `bootstrap` through a local Runtime API as role exec-lambda; with `--aws`, calls
/// `lambda:Invoke` on the deployed function.
pub fn run_invoke(args: InvokeArgs) -> Result<()> {
    if args.function != FUNCTION {
        bail!(
            "unknown function `{}`; the project has one: `{FUNCTION}`",
            args.function
        );
    }
    let event: serde_json::Value = serde_json::from_str(&args.event)
        .with_context(|| format!("the event `{}` is not JSON", args.event))?;
    let target = target::resolve(&args.target)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let clients = runtime.block_on(target::clients(&target, &args.target));
    match &target {
        Target::Aws => runtime.block_on(invoke_aws(&clients, &event)),
        Target::Emulator { endpoint } => {
            let credentials = runtime.block_on(assume_execution_role(&clients))?;
            invoke_on_emulator(&clients, endpoint, credentials, &event)
        }
    }
}

/// Assumes exec-lambda, as the Lambda service does before it starts the function.
async fn assume_execution_role(clients: &Clients) -> Result<Credentials> {
    let role = clients
        .iam
        .get_role()
        .role_name(EXECUTION_ROLE)
        .send()
        .await
        .map_err(|e| e.into_service_error())
        .with_context(|| {
            format!("role `{EXECUTION_ROLE}` is not in the account; `cargo xtask setup` creates it")
        })?;
    let role_arn = role
        .role()
        .map(|r| r.arn().to_owned())
        .context("GetRole returned no role")?;
    let assumed = clients
        .sts
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name(FUNCTION)
        .send()
        .await
        .map_err(|e| e.into_service_error())
        .with_context(|| format!("sts:AssumeRole on `{role_arn}`"))?;
    let credentials = assumed
        .credentials()
        .context("AssumeRole returned no credentials")?;
    Ok(Credentials {
        access_key_id: credentials.access_key_id().to_owned(),
        secret_access_key: credentials.secret_access_key().to_owned(),
        session_token: Some(credentials.session_token().to_owned()),
    })
}

fn invoke_on_emulator(
    clients: &Clients,
    endpoint: &str,
    credentials: Credentials,
    event: &serde_json::Value,
) -> Result<()> {
    let packaged = package()?;
    let task_dir = packaged
        .zip
        .parent()
        .map(|dir| dir.join(format!("task-{}", std::process::id())))
        .unwrap_or_else(|| PathBuf::from("task"));
    let bootstrap = iamkit_hello_lambda::package::unpack(&packaged.zip, &task_dir)?;
    let mut function = LocalFunction::new(&bootstrap, FUNCTION, credentials);
    function.endpoint_url = Some(endpoint.to_owned());
    if let Some(region) = clients.config.region() {
        function.region = region.to_string();
    }
    eprintln!(
        "running {} as {EXECUTION_ROLE} against {endpoint}",
        packaged.zip.display()
    );
    let invocation = invoke_local(&function, event.to_string().as_bytes());
    let _ = std::fs::remove_dir_all(&task_dir);
    let invocation = invocation?;
    for line in invocation.logs.lines() {
        eprintln!("  | {line}");
    }
    let ms = |d: Option<std::time::Duration>| {
        d.map_or_else(
            || "-".to_owned(),
            |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
        )
    };
    eprintln!(
        "request {}: init {}, first response {} (process start to result)",
        invocation.request_id,
        ms(invocation.init),
        ms(invocation.first_response)
    );
    match invocation.end {
        ProcessEnd::Exited(status) => {
            eprintln!("bootstrap exited ({status}) when the runtime stopped")
        }
        ProcessEnd::Killed => eprintln!("bootstrap did not exit when the runtime stopped; killed"),
    }
    match invocation.outcome {
        Outcome::Response(body) => {
            println!("{body}");
            Ok(())
        }
        Outcome::Error {
            error_type,
            error_message,
        } => bail!("the function failed: {error_type}: {error_message}"),
        Outcome::InitError {
            error_type,
            error_message,
        } => bail!("the function could not start: {error_type}: {error_message}"),
        Outcome::Exited(status) => bail!("bootstrap exited before answering ({status})"),
        Outcome::TimedOut => bail!(
            "no answer within the function's timeout of {} s",
            function.timeout.as_secs()
        ),
    }
}

async fn invoke_aws(clients: &Clients, event: &serde_json::Value) -> Result<()> {
    let output = clients
        .lambda
        .invoke()
        .function_name(FUNCTION)
        .payload(aws_smithy_types::Blob::new(event.to_string()))
        .send()
        .await
        .map_err(|e| e.into_service_error())
        .with_context(|| format!("lambda:Invoke on `{FUNCTION}`"))?;
    let body = output
        .payload()
        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
        .unwrap_or_default();
    if let Some(kind) = output.function_error() {
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        bail!(
            "the function failed ({kind}): {}: {}",
            parsed["errorType"].as_str().unwrap_or("Unknown"),
            parsed["errorMessage"].as_str().unwrap_or(&body)
        );
    }
    println!("{body}");
    Ok(())
}
