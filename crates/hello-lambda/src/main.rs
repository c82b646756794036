//! `bootstrap`: the hello-world function on the Lambda Runtime API (`provided.al2023`).
//!
//! The S3 client is built once, from the environment the Lambda service provides (region and
//! the execution role's credentials; `AWS_ENDPOINT_URL` too, which points it at the emulator
//! locally), then every invocation runs [`iamkit_hello_lambda::handle_json`]. Handler errors
//! go back to the Runtime API with their stable `errorType`; the process ends only when the
//! Runtime API goes away.

use std::process::ExitCode;

use aws_config::BehaviorVersion;
use lambda_runtime::{LambdaEvent, service_fn};

/// What `lambda_runtime` reads at start; it panics without them, so they are checked first.
const REQUIRED: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|name| std::env::var_os(name).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "bootstrap: not started by a Lambda runtime: {} not set",
            missing.join(", ")
        );
        return ExitCode::FAILURE;
    }
    if std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").is_ok_and(|m| m.parse::<i32>().is_err()) {
        eprintln!("bootstrap: AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a number");
        return ExitCode::FAILURE;
    }

    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::new(&config);
    let handler = service_fn(move |event: LambdaEvent<serde_json::Value>| {
        // A clone shares the connection pool and credentials cache.
        let s3 = s3.clone();
        async move { iamkit_hello_lambda::handle_json(&s3, event.payload).await }
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        // The loop ends only when the Runtime API stops answering: on AWS the sandbox is
        // frozen or killed instead, so this is how a local runtime ends the process.
        Err(err) => {
            eprintln!("bootstrap: the Runtime API went away ({err}); exiting");
            ExitCode::SUCCESS
        }
    }
}
