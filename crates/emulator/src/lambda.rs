//! A local Lambda Runtime API: runs a real `bootstrap` for one event, as Lambda would.
//!
//! moto stores functions but never runs their code. This module is the missing piece for
//! a custom runtime (`provided.al2023`): an HTTP server on 127.0.0.1 that speaks the
//! documented Runtime API (`GET /2018-06-01/runtime/invocation/next`,
//! `POST .../invocation/{id}/response`, `POST .../invocation/{id}/error`,
//! `POST .../init/error`), a process started with the environment the Lambda service gives
//! (`AWS_LAMBDA_RUNTIME_API`, function name, memory, version, region, the execution role's
//! credentials, and `AWS_ENDPOINT_URL` pointing at the emulator), one event handed over, the
//! result collected, then the server stopped and the process's exit awaited.
//!
//! The server is std threads over `TcpListener`, with `httparse` for request heads: the API
//! is four routes on one loopback connection, and owning the sockets lets the server end a
//! held `next` request exactly as a Runtime API that goes away would.
//!
//! ```no_run
//! use iamkit_emulator::lambda::{Credentials, LocalFunction, Outcome, invoke_local};
//!
//! let mut function = LocalFunction::new(
//!     "target/lambda/hello/task/bootstrap",
//!     "hello",
//!     Credentials { access_key_id: "ASIA...".into(), secret_access_key: "...".into(), session_token: None },
//! );
//! function.endpoint_url = Some("http://127.0.0.1:5000".into());
//! let invocation = invoke_local(&function, br#"{"bucketName": "b", "objectName": "hello.txt"}"#)?;
//! if let Outcome::Response(body) = &invocation.outcome {
//!     println!("{body} in {:?}", invocation.first_response);
//! }
//! # Ok::<(), iamkit_emulator::Error>(())
//! ```

use std::{
    fmt,
    io::{self, BufRead, BufReader, Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread::JoinHandle,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::Error;

const API: &str = "/2018-06-01/runtime";
/// How long the process may take to exit after the server stopped, before it is killed.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest request body accepted (Lambda's synchronous payload limit).
const MAX_BODY: usize = 6 * 1024 * 1024;

/// The execution role's credentials, as Lambda puts them in the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN` (temporary credentials always have one).
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// A function to run locally: the executable and the configuration Lambda would give it.
#[derive(Clone, Debug)]
pub struct LocalFunction {
    /// The `bootstrap` executable; its folder is the task root (`/var/task` on Lambda).
    pub bootstrap: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub name: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB.
    pub memory_mb: u32,
    /// `AWS_LAMBDA_FUNCTION_VERSION`.
    pub version: String,
    /// `AWS_REGION` and `AWS_DEFAULT_REGION`.
    pub region: String,
    /// The account in the invoked function's ARN.
    pub account_id: String,
    /// The function's timeout: the deadline header, and when the process is killed.
    pub timeout: Duration,
    /// The execution role's credentials.
    pub credentials: Credentials,
    /// `AWS_ENDPOINT_URL`: where the function's AWS SDK sends requests (the emulator).
    pub endpoint_url: Option<String>,
}

impl LocalFunction {
    /// A function with Lambda's defaults: 128 MB, `$LATEST`, 3 s, region `ap-northeast-1`,
    /// the emulator's account, no endpoint override.
    pub fn new(
        bootstrap: impl Into<PathBuf>,
        name: &str,
        credentials: Credentials,
    ) -> LocalFunction {
        LocalFunction {
            bootstrap: bootstrap.into(),
            name: name.to_owned(),
            memory_mb: 128,
            version: "$LATEST".to_owned(),
            region: "ap-northeast-1".to_owned(),
            account_id: crate::DEFAULT_ACCOUNT_ID.to_owned(),
            timeout: Duration::from_secs(3),
            credentials,
            endpoint_url: None,
        }
    }

    /// The function's ARN, as the Runtime API reports it.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account_id, self.name
        )
    }

    /// The environment the process gets, and nothing else (the caller's is not inherited).
    pub fn environment(&self, runtime_api: &str, request_id: &str) -> Vec<(String, String)> {
        let task_root = self
            .bootstrap
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .display()
            .to_string();
        let mut env = vec![
            ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
            ("AWS_LAMBDA_FUNCTION_NAME", self.name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION", self.version.clone()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.name),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("local/[{}]{request_id}", self.version),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_DEFAULT_REGION", self.region.clone()),
            ("AWS_ACCESS_KEY_ID", self.credentials.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY",
                self.credentials.secret_access_key.clone(),
            ),
            ("_HANDLER", "bootstrap".to_owned()),
            ("LAMBDA_TASK_ROOT", task_root.clone()),
            ("LAMBDA_RUNTIME_DIR", task_root),
            ("PATH", "/usr/local/bin:/usr/bin:/bin".to_owned()),
            ("LANG", "en_US.UTF-8".to_owned()),
            ("TZ", ":UTC".to_owned()),
            // Not set by Lambda: keeps a function whose credentials are missing from probing
            // the instance metadata address of the developer's machine.
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ];
        if let Some(token) = &self.credentials.session_token {
            env.push(("AWS_SESSION_TOKEN", token.clone()));
        }
        if let Some(endpoint) = &self.endpoint_url {
            env.push(("AWS_ENDPOINT_URL", endpoint.clone()));
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

/// What the invocation produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The function posted a response: its body, as sent.
    Response(String),
    /// The function posted an invocation error.
    Error {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
    /// The runtime reported that it could not initialise (`/init/error`).
    InitError {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
    /// The process exited before posting a result.
    Exited(String),
    /// No result within the function's timeout; the process was killed.
    TimedOut,
}

/// How the process ended after the server stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessEnd {
    /// It exited on its own, with this status.
    Exited(ExitStatus),
    /// It did not exit within 5 s and was killed.
    Killed,
}

/// One local invocation, start to end.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The request id given to the function.
    pub request_id: String,
    /// What it produced.
    pub outcome: Outcome,
    /// From process start to its first `GET .../invocation/next` (the init phase).
    pub init: Option<Duration>,
    /// From process start to the posted result: the cold start as a caller sees it.
    pub first_response: Option<Duration>,
    /// How the process ended once the server was gone.
    pub end: ProcessEnd,
    /// Everything the process wrote to stdout and stderr (CloudWatch Logs on AWS).
    pub logs: String,
}

/// Runs `function` for one `event` (JSON bytes): starts the Runtime API server and the
/// process, hands over the event, waits for the result (at most the function's timeout),
/// stops the server, and waits for the process to exit.
pub fn invoke_local(function: &LocalFunction, event: &[u8]) -> Result<Invocation, Error> {
    let io = |source| Error::Io {
        path: PathBuf::from("127.0.0.1:0"),
        source,
    };
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io)?;
    let address = listener.local_addr().map_err(io)?;
    let request_id = request_id();
    let shared = Arc::new(Shared {
        state: Mutex::new(State::new(function, event, &request_id)),
        changed: Condvar::new(),
    });
    let server = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || serve(&listener, &shared))
    };

    let started = Instant::now();
    let spawned = spawn(function, &address.to_string(), &request_id);
    let (mut child, readers) = match spawned {
        Ok(spawned) => spawned,
        Err(err) => {
            stop_server(&shared, address, server);
            return Err(err);
        }
    };
    let outcome = wait_for_outcome(&shared, &mut child, started + function.timeout);
    let (init, first_response) = {
        let state = lock(&shared);
        let since = |at: Instant| at.saturating_duration_since(started);
        (
            state.first_next.map(since),
            state.result.as_ref().map(|(_, at)| since(*at)),
        )
    };
    stop_server(&shared, address, server);
    let end = wait_for_exit(&mut child);
    let logs = readers
        .into_iter()
        .map(|reader| reader.join().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("");
    Ok(Invocation {
        request_id,
        outcome,
        init,
        first_response,
        end,
        logs,
    })
}

impl State {
    /// The state of a server that hands `event` to `function` as request `request_id`.
    fn new(function: &LocalFunction, event: &[u8], request_id: &str) -> State {
        let deadline_ms = SystemTime::now()
            .checked_add(function.timeout)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_millis())
            .unwrap_or_default();
        State {
            event: Some(event.to_vec()),
            request_id: request_id.to_owned(),
            deadline_ms,
            function_arn: function.arn(),
            first_next: None,
            result: None,
            stopping: false,
            streams: Vec::new(),
        }
    }
}

/// Waits for the function's result, its exit, or its timeout (then kills it), woken by the
/// server's changes; the periodic wake-up only notices an exit, which signals nothing.
fn wait_for_outcome(shared: &Shared, child: &mut Child, timeout_at: Instant) -> Outcome {
    let mut state = lock(shared);
    loop {
        if let Some((outcome, _)) = &state.result {
            return outcome.clone();
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Outcome::Exited(status.to_string());
        }
        if Instant::now() >= timeout_at {
            let _ = child.kill();
            return Outcome::TimedOut;
        }
        state = shared
            .changed
            .wait_timeout(state, Duration::from_millis(10))
            .map(|(guard, _)| guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    }
}

type LogReader = JoinHandle<String>;

fn spawn(
    function: &LocalFunction,
    runtime_api: &str,
    request_id: &str,
) -> Result<(Child, Vec<LogReader>), Error> {
    let mut command = Command::new(&function.bootstrap);
    command
        .env_clear()
        .envs(function.environment(runtime_api, request_id))
        .current_dir(
            function
                .bootstrap
                .parent()
                .unwrap_or_else(|| Path::new(".")),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A file just written may still be open for writing in a process forked by another thread
    // (until that process execs): Linux then refuses to execute it for a moment.
    let busy_until = Instant::now() + Duration::from_secs(2);
    let mut child = loop {
        match command.spawn() {
            Ok(child) => break child,
            Err(err)
                if err.kind() == io::ErrorKind::ExecutableFileBusy
                    && Instant::now() < busy_until =>
            {
                std::thread::yield_now();
            }
            Err(source) => {
                return Err(Error::Spawn {
                    command: function.bootstrap.display().to_string(),
                    source,
                });
            }
        }
    };
    let mut readers = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        readers.push(std::thread::spawn(move || read_all(stdout)));
    }
    if let Some(stderr) = child.stderr.take() {
        readers.push(std::thread::spawn(move || read_all(stderr)));
    }
    Ok((child, readers))
}

fn read_all(mut from: impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = from.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn wait_for_exit(child: &mut Child) -> ProcessEnd {
    let deadline = Instant::now() + EXIT_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return ProcessEnd::Exited(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return ProcessEnd::Killed;
            }
        }
    }
}

/// A request id in the UUID shape Lambda uses, unique enough for one machine.
fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let hex = format!(
        "{:016x}{:08x}{:08x}",
        nanos as u64,
        std::process::id(),
        n as u32
    );
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or("0");
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    event: Option<Vec<u8>>,
    request_id: String,
    deadline_ms: u128,
    function_arn: String,
    first_next: Option<Instant>,
    result: Option<(Outcome, Instant)>,
    stopping: bool,
    streams: Vec<TcpStream>,
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut connections = Vec::new();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        {
            let mut state = lock(shared);
            if state.stopping {
                break;
            }
            if let Ok(clone) = stream.try_clone() {
                state.streams.push(clone);
            }
        }
        let shared = Arc::clone(shared);
        connections.push(std::thread::spawn(move || connection(stream, &shared)));
    }
    for handle in connections {
        let _ = handle.join();
    }
}

/// Stops the server as a Runtime API that goes away would: held requests get no answer,
/// every connection is closed, and nothing more is accepted.
fn stop_server(shared: &Shared, address: std::net::SocketAddr, server: JoinHandle<()>) {
    {
        let mut state = lock(shared);
        state.stopping = true;
        for stream in state.streams.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
    shared.changed.notify_all();
    // Wakes the accept loop, which then sees `stopping`.
    let _ = TcpStream::connect(address);
    let _ = server.join();
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn connection(stream: TcpStream, shared: &Shared) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Ok(Some(request)) = read_request(&mut reader) {
        let Some(response) = route(&request, shared) else {
            // A held `next` during shutdown: close without answering.
            let _ = writer.shutdown(Shutdown::Both);
            return;
        };
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

/// Reads one HTTP/1.1 request; `Ok(None)` when the peer closed the connection.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader.read_until(b'\n', &mut head)?;
        if n == 0 {
            return Ok(None);
        }
        let line = head.get(before..).unwrap_or_default();
        if line == b"\r\n" || line == b"\n" {
            if before == 0 {
                // A blank line between requests.
                head.clear();
                continue;
            }
            break;
        }
        if head.len() > 64 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    let status = parsed
        .parse(&head)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    if status.is_partial() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "partial head"));
    }
    let mut request = Request {
        method: parsed.method.unwrap_or_default().to_owned(),
        path: parsed.path.unwrap_or_default().to_owned(),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body: Vec::new(),
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        request.body = read_chunked(reader)?;
    } else if let Some(length) = request.header("content-length") {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad content-length"))?;
        if length > MAX_BODY {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
        }
        request.body = vec![0; length];
        reader.read_exact(&mut request.body)?;
    }
    Ok(Some(request))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(invalid("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(body.get_mut(start..).unwrap_or_default())?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn api_error(status: &str, error_type: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({"errorMessage": message, "errorType": error_type});
    response(
        status,
        &[("Content-Type", "application/json".to_owned())],
        body.to_string().as_bytes(),
    )
}

fn accepted() -> Vec<u8> {
    response(
        "202 Accepted",
        &[("Content-Type", "application/json".to_owned())],
        br#"{"status":"OK"}"#,
    )
}

/// The error a runtime posted: `errorType`/`errorMessage` from the JSON body, else the
/// `Lambda-Runtime-Function-Error-Type` header and the raw body.
fn posted_error(request: &Request) -> (String, String) {
    let json: Option<serde_json::Value> = serde_json::from_slice(&request.body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let error_type = field("errorType")
        .or_else(|| {
            request
                .header("lambda-runtime-function-error-type")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "Unknown".to_owned());
    let error_message =
        field("errorMessage").unwrap_or_else(|| String::from_utf8_lossy(&request.body).into());
    (error_type, error_message)
}

/// Answers one request; `None` means: close the connection without an answer.
fn route(request: &Request, shared: &Shared) -> Option<Vec<u8>> {
    let Some(path) = request.path.strip_prefix(API) else {
        return Some(api_error("404 Not Found", "NotFound", "unknown path"));
    };
    let state = lock(shared);
    match (request.method.as_str(), path) {
        ("GET", "/invocation/next") => next(shared, state),
        ("POST", "/init/error") => {
            let (error_type, error_message) = posted_error(request);
            let outcome = Outcome::InitError {
                error_type,
                error_message,
            };
            Some(post(shared, state, outcome, false).unwrap_or_else(|e| e))
        }
        ("POST", invocation) => Some(post_result(request, shared, state, invocation)),
        _ => Some(api_error("404 Not Found", "NotFound", "unknown path")),
    }
}

/// `GET /invocation/next`: the event, once; then held until the server stops, like a Runtime
/// API with nothing more to give (AWS would freeze the sandbox here).
fn next(shared: &Shared, mut state: std::sync::MutexGuard<'_, State>) -> Option<Vec<u8>> {
    state.first_next.get_or_insert_with(Instant::now);
    if let Some(event) = state.event.take() {
        let headers = [
            ("Content-Type", "application/json".to_owned()),
            ("Lambda-Runtime-Aws-Request-Id", state.request_id.clone()),
            ("Lambda-Runtime-Deadline-Ms", state.deadline_ms.to_string()),
            (
                "Lambda-Runtime-Invoked-Function-Arn",
                state.function_arn.clone(),
            ),
            (
                "Lambda-Runtime-Trace-Id",
                format!("Root=1-00000000-{};Sampled=0", state.request_id),
            ),
        ];
        return Some(response("200 OK", &headers, &event));
    }
    while !state.stopping {
        state = shared
            .changed
            .wait(state)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
    None
}

/// `POST /invocation/ID/response` or `/error`: the invocation's result, once.
fn post_result(
    request: &Request,
    shared: &Shared,
    state: std::sync::MutexGuard<'_, State>,
    invocation: &str,
) -> Vec<u8> {
    let Some((id, what)) = invocation
        .strip_prefix("/invocation/")
        .and_then(|rest| rest.split_once('/'))
    else {
        return api_error("404 Not Found", "NotFound", "unknown path");
    };
    if id != state.request_id {
        return api_error(
            "400 Bad Request",
            "InvalidRequestID",
            &format!("no invocation with request id `{id}`"),
        );
    }
    let outcome = match what {
        "response" => Outcome::Response(String::from_utf8_lossy(&request.body).into()),
        "error" => {
            let (error_type, error_message) = posted_error(request);
            Outcome::Error {
                error_type,
                error_message,
            }
        }
        _ => return api_error("404 Not Found", "NotFound", "unknown path"),
    };
    post(shared, state, outcome, true).unwrap_or_else(|e| e)
}

/// Records `outcome` as the invocation's result and wakes whoever waits for it. A second
/// result is refused when `once` (an invocation posts one); an init error after a result is
/// ignored.
fn post(
    shared: &Shared,
    mut state: std::sync::MutexGuard<'_, State>,
    outcome: Outcome,
    once: bool,
) -> Result<Vec<u8>, Vec<u8>> {
    if state.result.is_some() {
        if once {
            return Err(api_error(
                "403 Forbidden",
                "InvalidStateTransition",
                "a result was already posted for this invocation",
            ));
        }
    } else {
        state.result = Some((outcome, Instant::now()));
    }
    shared.changed.notify_all();
    Ok(accepted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Request {
        read_request(&mut BufReader::new(raw)).unwrap().unwrap()
    }

    #[test]
    fn requests_with_a_length_or_chunks_are_read_whole() {
        let request = parse(b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/a")
        );
        assert_eq!(request.body, b"hello");
        let chunked = parse(
            b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        );
        assert_eq!(chunked.body, b"hello world");
        assert!(
            read_request(&mut BufReader::new(&b""[..]))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_posted_error_is_read_from_the_body_or_the_header() {
        let mut request = parse(
            b"POST /x HTTP/1.1\r\nContent-Length: 45\r\n\r\n{\"errorType\":\"T\",\"errorMessage\":\"went wrong\"}",
        );
        assert_eq!(posted_error(&request), ("T".into(), "went wrong".into()));
        request.body = b"plain".to_vec();
        request.headers.push((
            "Lambda-Runtime-Function-Error-Type".into(),
            "Runtime.Crash".into(),
        ));
        assert_eq!(
            posted_error(&request),
            ("Runtime.Crash".into(), "plain".into())
        );
    }

    #[test]
    fn the_environment_is_lambda_s_and_credentials_are_not_in_debug_output() {
        let mut function = LocalFunction::new(
            "/task/bootstrap",
            "hello",
            Credentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "very-secret".into(),
                session_token: Some("token-secret".into()),
            },
        );
        function.endpoint_url = Some("http://127.0.0.1:5000".into());
        let env = function.environment("127.0.0.1:9001", "id-1");
        let get = |k: &str| {
            env.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("AWS_LAMBDA_RUNTIME_API"), Some("127.0.0.1:9001"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("128"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_VERSION"), Some("$LATEST"));
        assert_eq!(get("AWS_SESSION_TOKEN"), Some("token-secret"));
        assert_eq!(get("AWS_ENDPOINT_URL"), Some("http://127.0.0.1:5000"));
        assert_eq!(get("LAMBDA_TASK_ROOT"), Some("/task"));
        let debug = format!("{function:?}");
        assert!(!debug.contains("very-secret") && !debug.contains("token-secret"));
        assert!(debug.contains("ASIAEXAMPLE"));
        assert_eq!(
            function.arn(),
            "arn:aws:lambda:ap-northeast-1:123456789012:function:hello"
        );
    }

    #[test]
    fn request_ids_are_unique_and_uuid_shaped() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }

    /// Writes `script` as an executable `bootstrap` in a folder of its own; returns the
    /// function and the folder (to remove).
    fn script_function(name: &str, script: &str) -> (LocalFunction, PathBuf) {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("iamkit-rapi-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bootstrap");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let credentials = Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: "s".into(),
            session_token: None,
        };
        (LocalFunction::new(&path, name, credentials), dir)
    }

    #[test]
    fn a_script_that_speaks_the_runtime_api_gets_the_event_and_its_answer_is_collected() {
        let (function, dir) = script_function("echo", ECHO_RUNTIME);
        let invocation = invoke_local(&function, br#"{"hello":"world"}"#).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            invocation.outcome,
            Outcome::Response(r#"{"hello":"world"}"#.into()),
            "logs: {}",
            invocation.logs
        );
        assert!(invocation.first_response.is_some());
        assert!(invocation.init.is_some());
        assert!(
            matches!(invocation.end, ProcessEnd::Exited(status) if status.success()),
            "{:?}, logs: {}",
            invocation.end,
            invocation.logs
        );
    }

    #[test]
    fn an_init_error_is_collected() {
        let (function, dir) = script_function("broken", INIT_ERROR_RUNTIME);
        let invocation = invoke_local(&function, b"{}").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            invocation.outcome,
            Outcome::InitError {
                error_type: "Runtime.NoConfig".into(),
                error_message: "cannot start".into()
            },
            "logs: {}",
            invocation.logs
        );
        assert_eq!(invocation.init, None);
    }

    #[test]
    fn a_process_that_exits_without_answering_is_reported_with_its_logs() {
        let (function, dir) =
            script_function("crash", "#!/bin/sh\necho 'about to fail' >&2\nexit 3\n");
        let invocation = invoke_local(&function, b"{}").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(invocation.outcome, Outcome::Exited("exit status: 3".into()));
        assert_eq!(invocation.logs, "about to fail\n");
        assert!(matches!(invocation.end, ProcessEnd::Exited(status) if status.code() == Some(3)));
    }

    #[test]
    fn a_function_past_its_timeout_is_killed() {
        let (mut function, dir) = script_function("slow", "#!/bin/sh\nexec sleep 30\n");
        function.timeout = Duration::from_millis(200);
        let started = Instant::now();
        let invocation = invoke_local(&function, b"{}").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(invocation.outcome, Outcome::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    /// A runtime in bash that reports an init error and exits.
    const INIT_ERROR_RUNTIME: &str = r#"#!/bin/bash
set -u
exec 3<>/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API#*:}
body='{"errorType":"Runtime.NoConfig","errorMessage":"cannot start"}'
printf 'POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Error-Type: Runtime.NoConfig\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body" >&3
IFS= read -r status <&3
exit 1
"#;

    /// A runtime in bash: one `next`, the event posted back as the response, then one more
    /// `next` that ends when the server goes away.
    const ECHO_RUNTIME: &str = r#"#!/bin/bash
set -u
trap '' PIPE  # the server may already be gone when the second `next` is sent
host=${AWS_LAMBDA_RUNTIME_API%:*}
port=${AWS_LAMBDA_RUNTIME_API#*:}
exec 3<>/dev/tcp/$host/$port
printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n' >&3
id=""; length=0
while IFS= read -r line <&3; do
  line=${line%$'\r'}
  [ -z "$line" ] && break
  case "${line,,}" in
    lambda-runtime-aws-request-id:*) id=${line#*: } ;;
    content-length:*) length=${line#*: } ;;
  esac
done
body=$(head -c "$length" <&3)
printf 'POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s' "$id" "${#body}" "$body" >&3
IFS= read -r status <&3
echo "posted: $status" >&2
while IFS= read -r line <&3; do line=${line%$'\r'}; [ -z "$line" ] && break; done
head -c 15 <&3 >/dev/null
printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n' >&3 2>/dev/null
cat <&3 >/dev/null
echo "runtime API closed" >&2
exit 0
"#;
}
