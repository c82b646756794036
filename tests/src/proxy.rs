//! A fault-injecting HTTP proxy between the AWS SDK and the emulator, for tests only.
//!
//! It forwards every request to the emulator and, as configured, answers some of them itself
//! with the errors AWS sends (IAM's `Throttling`, S3's `SlowDown`, a 500, a denial) or drops
//! the connection; it can add a fixed latency to every request; and it counts requests by
//! action (`iam:CreateUser`, `s3:PutObject`, ...), telling reads from writes. It also keeps
//! every secret that crosses it (secret access keys and session tokens in IAM and STS answers,
//! passwords in IAM requests), so that tests can check that no output shows them.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode, body::Incoming, service::service_fn};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioIo},
};
use tokio::{net::TcpListener, sync::Notify, task::JoinHandle};

/// How an injected failure looks on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Throttling as each service sends it: IAM/STS `Throttling` (400), S3 `SlowDown` (503),
    /// Lambda `TooManyRequestsException` (429). The SDK retries these.
    Throttle,
    /// A 500 `InternalFailure`. The SDK retries it.
    ServerError,
    /// The connection is closed without an answer.
    Drop,
    /// A 403 `AccessDenied`: not retried by anyone, so the run fails at once.
    Deny,
    /// No answer at all: the request waits until the client goes away. A run cut off this
    /// way is stuck at a known point, where a test can kill it.
    Hang,
}

/// Which requests fail.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FailWhen {
    /// None.
    Never,
    /// The Nth write (1-based) and every request after it: the run is cut off at write N.
    FromWrite(usize),
    /// Only the Nth request (1-based).
    Request(usize),
    /// Each request with this probability, from a seeded generator (repeatable).
    Fraction {
        /// Probability in 0..=1.
        p: f64,
        /// Seed of the generator.
        seed: u64,
    },
}

/// The proxy's configuration.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// Which requests fail.
    pub when: FailWhen,
    /// How they fail.
    pub fault: Fault,
    /// Added before forwarding every request.
    pub latency: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            when: FailWhen::Never,
            fault: Fault::Throttle,
            latency: Duration::ZERO,
        }
    }
}

/// What the proxy has seen since it started or since [`Proxy::reset_counts`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests by action, forwarded or failed.
    pub by_action: BTreeMap<String, usize>,
    /// All requests.
    pub total: usize,
    /// Requests whose action changes something.
    pub writes: usize,
    /// Requests the proxy failed on purpose.
    pub injected: usize,
}

impl Counts {
    /// The write actions seen, in order of name.
    pub fn write_actions(&self) -> Vec<&str> {
        self.by_action
            .keys()
            .map(String::as_str)
            .filter(|a| is_write(a))
            .collect()
    }
}

#[derive(Default)]
struct State {
    faults: Faults,
    counts: Counts,
    rng: u64,
    secrets: BTreeSet<String>,
}

/// A running proxy; stopped when dropped.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    seen: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on a free port of 127.0.0.1 in front of `upstream` (`http://127.0.0.1:P`).
    pub async fn start(upstream: &str) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let upstream: Arc<str> = Arc::from(upstream.trim_end_matches('/'));
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let task_state = Arc::clone(&state);
        let seen = Arc::new(Notify::new());
        let task_seen = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&task_state);
                let seen = Arc::clone(&task_seen);
                let upstream = Arc::clone(&upstream);
                let client = client.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        handle(
                            req,
                            Arc::clone(&state),
                            Arc::clone(&seen),
                            Arc::clone(&upstream),
                            client.clone(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Proxy {
            addr,
            state,
            seen,
            task,
        })
    }

    /// Waits until the counts satisfy `done`: an event the proxy observes (a request counted),
    /// never a guess at how long a run takes. Bounded by `deadline`; `false` when it passed.
    pub async fn wait_until(&self, deadline: Duration, done: impl Fn(&Counts) -> bool) -> bool {
        let waiting = async {
            loop {
                // Registered before the check: a request counted in between still wakes it.
                let next = self.seen.notified();
                if done(&self.counts()) {
                    return;
                }
                next.await;
            }
        };
        tokio::time::timeout(deadline, waiting).await.is_ok()
    }

    /// The endpoint to give the SDK instead of the emulator's.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the configuration; the fault schedule starts again from this request.
    pub fn set_faults(&self, faults: Faults) {
        let mut state = lock(&self.state);
        if let FailWhen::Fraction { seed, .. } = faults.when {
            state.rng = seed | 1;
        }
        state.faults = faults;
        state.counts = Counts::default();
    }

    /// What the proxy has seen.
    pub fn counts(&self) -> Counts {
        lock(&self.state).counts.clone()
    }

    /// Every secret seen so far: `SecretAccessKey` and `SessionToken` values in IAM and STS
    /// answers, `Password` and `NewPassword` values in IAM requests.
    pub fn secrets(&self) -> BTreeSet<String> {
        lock(&self.state).secrets.clone()
    }

    /// Forgets what the proxy has seen (the fault schedule counts from here too).
    pub fn reset_counts(&self) {
        lock(&self.state).counts = Counts::default();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Returned by the service to make hyper drop the connection.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the test proxy")
    }
}

impl std::error::Error for DroppedConnection {}

enum Verdict {
    Forward,
    Fail(Fault),
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
    seen: Arc<Notify>,
    upstream: Arc<str>,
    client: Client<HttpConnector, Full<Bytes>>,
) -> Result<Response<Full<Bytes>>, DroppedConnection> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let service = signing_service(&parts.headers);
    let action = action_of(&service, &parts.method, parts.uri.path(), &parts.uri, &body);

    if service == "iam" || service == "sts" {
        let sent = request_secrets(&body);
        lock(&state).secrets.extend(sent);
    }
    let (verdict, latency) = {
        let mut state = lock(&state);
        let state = &mut *state;
        state.counts.total += 1;
        if is_write(&action) {
            state.counts.writes += 1;
        }
        *state.counts.by_action.entry(action.clone()).or_default() += 1;
        let fail = match state.faults.when {
            FailWhen::Never => false,
            FailWhen::FromWrite(n) => state.counts.writes >= n && n > 0,
            FailWhen::Request(n) => state.counts.total == n,
            FailWhen::Fraction { p, .. } => {
                // xorshift64: repeatable for a seed, good enough to spread faults.
                state.rng ^= state.rng << 13;
                state.rng ^= state.rng >> 7;
                state.rng ^= state.rng << 17;
                (state.rng >> 11) as f64 / (1u64 << 53) as f64 <= p
            }
        };
        if fail {
            state.counts.injected += 1;
        }
        let verdict = if fail {
            Verdict::Fail(state.faults.fault)
        } else {
            Verdict::Forward
        };
        (verdict, state.faults.latency)
    };
    seen.notify_waiters();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match verdict {
        // An error from the service makes hyper close the connection without answering.
        Verdict::Fail(Fault::Drop) => Err(DroppedConnection),
        Verdict::Fail(Fault::Hang) => std::future::pending().await,
        Verdict::Fail(fault) => Ok(failure(fault, &service)),
        Verdict::Forward => {
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut forward = Request::builder()
                .method(parts.method.clone())
                .uri(format!("{upstream}{path}"));
            for (name, value) in &parts.headers {
                forward = forward.header(name, value);
            }
            let Ok(forward) = forward.body(Full::new(body)) else {
                return Ok(failure(Fault::ServerError, &service));
            };
            match client.request(forward).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    if service == "iam" || service == "sts" {
                        let issued = answer_secrets(&body);
                        lock(&state).secrets.extend(issued);
                    }
                    Ok(Response::from_parts(parts, Full::new(body)))
                }
                Err(_) => Ok(failure(Fault::ServerError, &service)),
            }
        }
    }
}

/// Passwords in a form-encoded IAM request (`CreateLoginProfile`, `UpdateLoginProfile`,
/// `ChangePassword`).
fn request_secrets(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| matches!(*key, "Password" | "NewPassword" | "OldPassword"))
        .map(|(_, value)| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|value| !value.is_empty())
        .collect()
}

/// Secret access keys and session tokens in an IAM or STS answer (XML).
fn answer_secrets(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for tag in ["SecretAccessKey", "SessionToken"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut rest = text.as_ref();
        while let Some(start) = rest.find(&open) {
            rest = &rest[start + open.len()..];
            let Some(end) = rest.find(&close) else { break };
            let value = rest[..end].trim();
            if !value.is_empty() {
                out.push(value.to_owned());
            }
            rest = &rest[end..];
        }
    }
    out
}

/// The service named in the SigV4 credential scope: `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
fn signing_service(headers: &hyper::HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned()
}

fn action_of(
    service: &str,
    method: &hyper::Method,
    path: &str,
    uri: &hyper::Uri,
    body: &[u8],
) -> String {
    match service {
        "iam" | "sts" => {
            let body = String::from_utf8_lossy(body);
            let action = body
                .split('&')
                .find_map(|pair| pair.strip_prefix("Action="))
                .unwrap_or("Unknown");
            format!("{service}:{action}")
        }
        "s3" => format!("s3:{}", s3_action(method, path, uri.query().unwrap_or(""))),
        "lambda" => format!("lambda:{}", lambda_action(method, path)),
        other => format!("{other}:{method} {path}"),
    }
}

fn s3_action(method: &hyper::Method, path: &str, query: &str) -> &'static str {
    // Path-style addressing: `/BUCKET` or `/BUCKET/` is the bucket, `/BUCKET/KEY` an object.
    let is_object = path
        .trim_start_matches('/')
        .split_once('/')
        .is_some_and(|(_, key)| !key.is_empty());
    let has = |key: &str| {
        query
            .split('&')
            .any(|q| q == key || q.starts_with(&format!("{key}=")))
    };
    match (method.as_str(), is_object) {
        ("GET", _) if path == "/" => "ListAllMyBuckets",
        ("GET", false) if has("tagging") => "GetBucketTagging",
        ("GET", false) if has("location") => "GetBucketLocation",
        ("GET", false) => "ListBucket",
        ("HEAD", false) => "HeadBucket",
        ("PUT", false) if has("tagging") => "PutBucketTagging",
        ("PUT", false) => "CreateBucket",
        ("DELETE", false) => "DeleteBucket",
        ("POST", false) if has("delete") => "DeleteObjects",
        ("GET", true) => "GetObject",
        ("HEAD", true) => "HeadObject",
        ("PUT", true) => "PutObject",
        ("DELETE", true) => "DeleteObject",
        _ => "Other",
    }
}

fn lambda_action(method: &hyper::Method, path: &str) -> &'static str {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("POST", [_, "functions"]) => "CreateFunction",
        ("GET", [_, "functions"]) => "ListFunctions",
        ("GET", [_, "functions", _]) => "GetFunction",
        ("DELETE", [_, "functions", _]) => "DeleteFunction",
        ("PUT", [_, "functions", _, "code"]) => "UpdateFunctionCode",
        ("PUT", [_, "functions", _, "configuration"]) => "UpdateFunctionConfiguration",
        ("GET", [_, "functions", _, "configuration"]) => "GetFunctionConfiguration",
        ("POST", [_, "functions", _, "invocations"]) => "Invoke",
        ("POST", [_, "tags", ..]) => "TagResource",
        ("GET", [_, "tags", ..]) => "ListTags",
        _ => "Other",
    }
}

/// Whether an action (as counted, `service:Name`) changes something.
pub fn is_write(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    const READS: [&str; 8] = [
        "Get",
        "List",
        "Head",
        "Describe",
        "Simulate",
        "Generate",
        "AssumeRole",
        "Invoke",
    ];
    !READS.iter().any(|prefix| name.starts_with(prefix)) && name != "Other" && name != "Unknown"
}

fn failure(fault: Fault, service: &str) -> Response<Full<Bytes>> {
    let xml_query_error = |status: StatusCode, code: &str, message: &str| {
        let body = format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        );
        response(status, "text/xml", None, body)
    };
    let s3_error = |status: StatusCode, code: &str, message: &str| {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
             <RequestId>0000000000000000</RequestId></Error>"
        );
        response(status, "application/xml", None, body)
    };
    let lambda_error = |status: StatusCode, code: &str, message: &str| {
        let body = format!("{{\"Type\":\"User\",\"message\":\"{message}\"}}");
        response(status, "application/json", Some(code), body)
    };
    let (status, code, message) = match fault {
        Fault::Throttle => match service {
            "s3" => (
                StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "Please reduce your request rate.",
            ),
            "lambda" => (
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate exceeded",
            ),
            _ => (StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded"),
        },
        Fault::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "injected by the test proxy",
        ),
        Fault::Deny => (
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "injected by the test proxy",
        ),
        // Handled by the caller: the connection is closed without a response, or never.
        Fault::Drop | Fault::Hang => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "dropped",
        ),
    };
    match service {
        "s3" => s3_error(status, code, message),
        "lambda" => lambda_error(status, code, message),
        _ => xml_query_error(status, code, message),
    }
}

fn response(
    status: StatusCode,
    content_type: &str,
    error_type: Option<&str>,
    body: String,
) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", content_type);
    if let Some(error_type) = error_type {
        builder = builder.header("x-amzn-errortype", error_type);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_are_told_apart() {
        assert!(is_write("iam:CreateUser"));
        assert!(is_write("s3:PutObject"));
        assert!(is_write("iam:TagUser"));
        assert!(!is_write("iam:GetUser"));
        assert!(!is_write("iam:ListAttachedGroupPolicies"));
        assert!(!is_write("sts:GetCallerIdentity"));
        assert!(!is_write("s3:HeadBucket"));
    }

    #[test]
    fn s3_requests_are_named_by_method_and_path() {
        let m = |s: &str| hyper::Method::from_bytes(s.as_bytes()).unwrap();
        assert_eq!(s3_action(&m("PUT"), "/bucket", ""), "CreateBucket");
        assert_eq!(s3_action(&m("PUT"), "/bucket/key.txt", ""), "PutObject");
        assert_eq!(s3_action(&m("GET"), "/", ""), "ListAllMyBuckets");
        assert_eq!(
            s3_action(&m("PUT"), "/bucket", "tagging"),
            "PutBucketTagging"
        );
    }
}
