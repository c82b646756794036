//! Running a deployed function: the one way `cargo xtask invoke` and `verify` run it.
//!
//! On AWS it is `lambda:Invoke`. On the emulator, which does not run code, the deployment
//! package's `bootstrap` runs through the local Lambda Runtime API (`iamkit_emulator::lambda`)
//! with the credentials of the function's execution role, as Lambda would run it; and only
//! when the package is the deployed code (its SHA-256 is the function's `CodeSha256`), so that
//! running it proves something about the account.

use std::path::PathBuf;

use aws_sdk_iam::error::SdkError;
use aws_smithy_types::{Blob, error::metadata::ProvideErrorMetadata};
use iamkit_emulator::lambda::{Credentials, LocalFunction, Outcome, invoke_local};
use iamkit_stack::Code;

use crate::{
    clients::{Clients, Target},
    error::describe,
};

/// How a function is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runner {
    /// `lambda:Invoke` on the deployed function (AWS).
    Lambda,
    /// The deployment package's `bootstrap`, run through the local Lambda Runtime API against
    /// the emulator, with the temporary credentials of the function's execution role.
    Local {
        /// The unpacked `bootstrap` executable.
        bootstrap: PathBuf,
        /// Its package: it must be the deployed code.
        code: Code,
    },
}

/// A function's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// The response body.
    pub body: String,
    /// How it ran: `lambda:Invoke hello`, or where and as whom it ran locally, and how fast.
    pub how: String,
    /// What the function logged (local runs only).
    pub logs: String,
}

fn sdk<E, R>(e: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    describe(&e)
}

/// Runs function `name` with `event` (JSON text), signed with `clients`. An `Err` says why it
/// did not answer, or what error it answered with.
pub async fn invoke(
    clients: &Clients,
    name: &str,
    event: &str,
    runner: &Runner,
) -> Result<Invocation, String> {
    match runner {
        Runner::Lambda => invoke_lambda(clients, name, event).await,
        Runner::Local { bootstrap, code } => {
            run_locally(clients, name, event, bootstrap, code).await
        }
    }
}

async fn invoke_lambda(clients: &Clients, name: &str, event: &str) -> Result<Invocation, String> {
    let out = clients
        .lambda
        .invoke()
        .function_name(name)
        .payload(Blob::new(event.to_owned()))
        .send()
        .await
        .map_err(|e| format!("lambda:Invoke {name}: {}", sdk(e)))?;
    let body = out
        .payload()
        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
        .unwrap_or_default();
    if let Some(kind) = out.function_error() {
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        return Err(format!(
            "the function failed ({kind}): {}: {}",
            parsed["errorType"].as_str().unwrap_or("Unknown"),
            parsed["errorMessage"].as_str().unwrap_or(&body)
        ));
    }
    Ok(Invocation {
        body,
        how: format!("lambda:Invoke {name}"),
        logs: String::new(),
    })
}

/// What Lambda does before it starts a function: read its configuration, check (here) that
/// the package is the deployed code, and assume its role.
async fn run_locally(
    clients: &Clients,
    name: &str,
    event: &str,
    bootstrap: &std::path::Path,
    code: &Code,
) -> Result<Invocation, String> {
    let Target::Emulator { endpoint } = &clients.target else {
        return Err("the local runtime runs only against the emulator".to_owned());
    };
    let deployed = clients
        .lambda
        .get_function()
        .function_name(name)
        .send()
        .await
        .map_err(|e| format!("lambda:GetFunction {name}: {}", sdk(e)))?;
    let config = deployed.configuration();
    let role = config.and_then(|c| c.role()).unwrap_or_default().to_owned();
    let sha = config.and_then(|c| c.code_sha256()).unwrap_or_default();
    if sha != code.sha256_base64() {
        return Err(format!(
            "the deployed code (CodeSha256 {sha}) is not this package ({}): running it locally would prove nothing; `cargo xtask setup` with the same package deploys it",
            code.sha256_base64()
        ));
    }
    let mut function = LocalFunction::new(
        bootstrap,
        name,
        role_credentials(clients, &role, name).await?,
    );
    function.endpoint_url = Some(endpoint.clone());
    if let Some(region) = clients.config.region() {
        function.region = region.to_string();
    }
    if let Some(account) = role
        .parse::<iamkit_arn::Arn>()
        .ok()
        .and_then(|a| a.account_id())
    {
        function.account_id = account.to_string();
    }
    let event = event.as_bytes().to_vec();
    let invocation = tokio::task::spawn_blocking(move || invoke_local(&function, &event))
        .await
        .map_err(|e| format!("the local runtime stopped: {e}"))?
        .map_err(|e| format!("the local runtime failed: {e}"))?;
    let ms = invocation.first_response.map_or_else(String::new, |d| {
        format!(" in {:.0} ms", d.as_secs_f64() * 1e3)
    });
    match invocation.outcome {
        Outcome::Response(body) => Ok(Invocation {
            body,
            how: format!("ran the deployed package locally as {role}{ms}"),
            logs: invocation.logs,
        }),
        Outcome::Error {
            error_type,
            error_message,
        } => Err(format!(
            "the function failed: {error_type}: {error_message}"
        )),
        Outcome::InitError {
            error_type,
            error_message,
        } => Err(format!(
            "the function could not start: {error_type}: {error_message}"
        )),
        Outcome::Exited(status) => Err(format!("bootstrap exited before answering ({status})")),
        Outcome::TimedOut => Err("the function did not answer within its timeout".to_owned()),
    }
}

/// Temporary credentials of the execution role, as the Lambda service gets them.
async fn role_credentials(
    clients: &Clients,
    role: &str,
    session: &str,
) -> Result<Credentials, String> {
    let assumed = clients
        .sts
        .assume_role()
        .role_arn(role)
        .role_session_name(session)
        .send()
        .await
        .map_err(|e| format!("sts:AssumeRole {role} for the function: {}", sdk(e)))?;
    let credentials = assumed
        .credentials()
        .ok_or("sts:AssumeRole returned no credentials")?;
    Ok(Credentials {
        access_key_id: credentials.access_key_id().to_owned(),
        secret_access_key: credentials.secret_access_key().to_owned(),
        session_token: Some(credentials.session_token().to_owned()),
    })
}
