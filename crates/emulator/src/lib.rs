#![doc = include_str!("../README.md")]

pub mod lambda;

use std::{
    fs,
    io::{self, Read, Seek, SeekFrom},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

/// The exact moto version the project runs. Its behaviour is recorded in `shared/notes`.
pub const MOTO_VERSION: &str = "5.2.5";

/// The account id moto uses unless `MOTO_ACCOUNT_ID` says otherwise.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

const LAUNCHER: &str = include_str!("launch.py");
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How many server logs are kept: every start writes one, and a test run starts dozens.
const KEPT_LOGS: usize = 24;

/// What can go wrong while installing, starting or stopping the emulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command could not be started at all (usually: not installed).
    #[error("could not run `{command}`: {source}")]
    Spawn {
        /// The command line, as a user would type it.
        command: String,
        /// Why it could not start.
        source: io::Error,
    },
    /// A command ran and failed.
    #[error("`{command}` failed ({status}); its output is in {}{}", log.display(), tail_suffix(tail))]
    Failed {
        /// The command line, as a user would type it.
        command: String,
        /// How it exited.
        status: String,
        /// The file holding its whole output.
        log: PathBuf,
        /// The last lines of that output.
        tail: String,
    },
    /// The server did not answer `GET /moto-api/` in time, or exited first.
    #[error("the emulator at {endpoint} {what}; its log is {}{}", log.display(), tail_suffix(tail))]
    NotReady {
        /// The endpoint polled.
        endpoint: String,
        /// What happened instead of an answer.
        what: String,
        /// The server's log file.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },
    /// A request to the emulator's control API failed.
    #[error("emulator request `{request}` failed: {message}")]
    Http {
        /// The method and path.
        request: String,
        /// What went wrong.
        message: String,
    },
    /// Reading or writing a file under the install folder failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn tail_suffix(tail: &str) -> String {
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!("\n--- last lines ---\n{}", tail.trim_end())
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// Where the emulator is installed: a folder holding the virtual environment, the launcher
/// script, logs and the record of a detached server.
#[derive(Clone, Debug)]
pub struct Install {
    dir: PathBuf,
}

impl Install {
    /// `$IAMKIT_EMULATOR_DIR` if set, else `emulator/` in the workspace's target folder
    /// (`$CARGO_TARGET_DIR` when set).
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("IAMKIT_EMULATOR_DIR") {
            return PathBuf::from(dir);
        }
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => workspace_root().join("target"),
        };
        target.join("emulator")
    }

    /// An install rooted at `dir` (created on demand).
    pub fn new(dir: impl Into<PathBuf>) -> Install {
        Install { dir: dir.into() }
    }

    /// The install folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn venv(&self) -> PathBuf {
        self.dir.join("venv")
    }

    fn stamp(&self) -> PathBuf {
        self.venv().join(format!(".iamkit-moto-{MOTO_VERSION}"))
    }

    /// The virtual environment's Python interpreter.
    pub fn python(&self) -> PathBuf {
        self.venv().join("bin").join("python")
    }

    /// Whether the pinned moto version is installed.
    pub fn is_installed(&self) -> bool {
        self.stamp().is_file() && self.python().is_file()
    }

    /// Installs the pinned moto server unless it is already there. `progress` receives one
    /// line per step. Safe to interrupt: the environment is built in a side folder and moved
    /// into place only when complete.
    pub fn ensure(&self, progress: &mut dyn FnMut(&str)) -> Result<(), Error> {
        if self.is_installed() {
            return Ok(());
        }
        // One install at a time within this process: the side folder is named after the
        // process, so two threads installing at once would share it.
        static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = INSTALLING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.is_installed() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let partial = self
            .dir
            .join(format!("venv.partial-{}", std::process::id()));
        if partial.exists() {
            fs::remove_dir_all(&partial).map_err(io_err(&partial))?;
        }
        let log = self.dir.join("install.log");
        progress(&format!(
            "installing the emulator (moto[server]=={MOTO_VERSION}) into {}",
            self.venv().display()
        ));
        let python3 = std::env::var("IAMKIT_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        run_logged(
            Command::new(&python3).arg("-m").arg("venv").arg(&partial),
            &format!("{python3} -m venv {}", partial.display()),
            &log,
        )?;
        let partial_python = partial.join("bin").join("python");
        let spec = format!("moto[server]=={MOTO_VERSION}");
        run_logged(
            Command::new(&partial_python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                ])
                .arg(&spec),
            &format!("{} -m pip install '{spec}'", partial_python.display()),
            &log,
        )?;
        let stamp = partial.join(format!(".iamkit-moto-{MOTO_VERSION}"));
        fs::write(&stamp, MOTO_VERSION).map_err(io_err(&stamp))?;
        let venv = self.venv();
        if venv.exists() {
            fs::remove_dir_all(&venv).map_err(io_err(&venv))?;
        }
        if let Err(source) = fs::rename(&partial, &venv) {
            // Another process finished the same install first: theirs is as good as ours.
            let _ = fs::remove_dir_all(&partial);
            if !self.is_installed() {
                return Err(Error::Io { path: venv, source });
            }
        }
        progress("emulator installed");
        Ok(())
    }

    fn launcher(&self) -> Result<PathBuf, Error> {
        let path = self.dir.join("launch.py");
        if fs::read_to_string(&path).ok().as_deref() != Some(LAUNCHER) {
            fs::write(&path, LAUNCHER).map_err(io_err(&path))?;
        }
        Ok(path)
    }

    /// Removes the server logs beyond the `keep` newest, except the detached server's. A log
    /// still being written is among the newest; best effort: a file that cannot be read or
    /// removed stays.
    fn prune_logs(&self, keep: usize) {
        let detached = self.running().map(|r| r.log);
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut logs: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("moto-") && n.ends_with(".log"))
            })
            .filter(|p| detached.as_ref() != Some(p))
            .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
            .collect();
        logs.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
        for (_, old) in logs.into_iter().skip(keep) {
            let _ = fs::remove_file(old);
        }
    }

    fn record(&self) -> PathBuf {
        self.dir.join("running.json")
    }

    /// The detached server recorded by [`Lifetime::Detached`], if it still answers.
    pub fn running(&self) -> Option<Running> {
        let text = fs::read_to_string(self.record()).ok()?;
        let running: Running = serde_json::from_str(&text).ok()?;
        (process_alive(running.pid) && answers(&running.endpoint())).then_some(running)
    }

    /// Stops the detached server, if one is recorded. Returns what was stopped.
    pub fn stop_running(&self) -> Result<Option<Running>, Error> {
        let record = self.record();
        let Ok(text) = fs::read_to_string(&record) else {
            return Ok(None);
        };
        let running: Option<Running> = serde_json::from_str(&text).ok();
        let stopped = match running {
            Some(running) if process_alive(running.pid) && is_our_server(running.pid) => {
                terminate(running.pid)?;
                Some(running)
            }
            _ => None,
        };
        fs::remove_file(&record).map_err(io_err(&record))?;
        Ok(stopped)
    }
}

fn run_logged(command: &mut Command, display: &str, log: &Path) -> Result<(), Error> {
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io_err(log))?;
    let err_file = file.try_clone().map_err(io_err(log))?;
    let status = command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err_file)
        .status()
        .map_err(|source| Error::Spawn {
            command: display.to_owned(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Failed {
            command: display.to_owned(),
            status: status.to_string(),
            log: log.to_owned(),
            tail: tail(log, 15),
        })
    }
}

/// The last `lines` lines of a file, or an empty string.
fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(8192)));
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// How long a started emulator lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// Stopped when the [`Emulator`] is dropped or this process exits, however it exits.
    WithThisProcess,
    /// Keeps running after this process exits; recorded in the install folder so that
    /// [`Install::running`] and [`Install::stop_running`] find it.
    Detached,
}

/// A detached emulator, as recorded in `running.json`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Running {
    /// The server's process id.
    pub pid: u32,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its log file.
    pub log: PathBuf,
}

impl Running {
    /// The endpoint URL to give the AWS SDK.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A running moto server on 127.0.0.1.
#[derive(Debug)]
pub struct Emulator {
    port: u16,
    pid: u32,
    log: PathBuf,
    child: Option<Child>,
    // Held open so that the server stops when this process goes away.
    _stdin: Option<ChildStdin>,
}

impl Emulator {
    /// Starts the server on a free port and waits until it answers. The install must exist
    /// (see [`Install::ensure`]).
    pub fn start(install: &Install, lifetime: Lifetime) -> Result<Emulator, Error> {
        let launcher = install.launcher()?;
        let python = install.python();
        let port = free_port().map_err(io_err(Path::new("127.0.0.1:0")))?;
        install.prune_logs(KEPT_LOGS);
        let log = install.dir().join(format!("moto-{port}.log"));
        let log_file = fs::File::create(&log).map_err(io_err(&log))?;
        let err_file = log_file.try_clone().map_err(io_err(&log))?;
        let mut command = Command::new(&python);
        command.arg(&launcher).arg(port.to_string());
        command.stdout(log_file).stderr(err_file);
        match lifetime {
            Lifetime::WithThisProcess => {
                command.arg("--until-stdin-closes").stdin(Stdio::piped());
            }
            Lifetime::Detached => {
                command.stdin(Stdio::null());
                // Its own process group: a Ctrl-C in the terminal that started it leaves it be.
                std::os::unix::process::CommandExt::process_group(&mut command, 0);
            }
        }
        let display = format!("{} {} {port}", python.display(), launcher.display());
        let mut child = command.spawn().map_err(|source| Error::Spawn {
            command: display,
            source,
        })?;
        let stdin = child.stdin.take();
        let mut emulator = Emulator {
            port,
            pid: child.id(),
            log,
            child: Some(child),
            _stdin: stdin,
        };
        emulator.wait_ready(READY_TIMEOUT)?;
        if lifetime == Lifetime::Detached {
            let running = Running {
                pid: emulator.pid,
                port,
                log: emulator.log.clone(),
            };
            let record = install.record();
            let text = serde_json::to_string_pretty(&running).unwrap_or_default();
            fs::write(&record, text).map_err(io_err(&record))?;
            // Not ours to stop any more.
            emulator.child = None;
        }
        Ok(emulator)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), Error> {
        let endpoint = self.endpoint();
        let deadline = Instant::now() + timeout;
        loop {
            if answers(&endpoint) {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(Error::NotReady {
                    endpoint,
                    what: format!("exited before it answered ({status})"),
                    log: self.log.clone(),
                    tail: tail(&self.log, 15),
                });
            }
            if Instant::now() >= deadline {
                let _ = self.child.as_mut().map(Child::kill);
                return Err(Error::NotReady {
                    endpoint,
                    what: format!("did not answer within {} s", timeout.as_secs()),
                    log: self.log.clone(),
                    tail: tail(&self.log, 15),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The endpoint URL to give the AWS SDK.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Clears every resource in the emulator (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<(), Error> {
        control(&self.endpoint(), "/moto-api/reset", "")
    }

    /// Stops the server (unless it was started [`Lifetime::Detached`]) and waits for it to exit.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = terminate(child.id());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends a control request to a moto server (for example `/moto-api/reset` or
/// `/moto-api/config`). The body goes as `text/plain`: moto loses form-encoded bodies.
pub fn control(endpoint: &str, path: &str, body: &str) -> Result<(), Error> {
    let url = format!("{endpoint}{path}");
    ureq::post(&url)
        .header("Content-Type", "text/plain")
        .send(body)
        .map(|_| ())
        .map_err(|e| Error::Http {
            request: format!("POST {path}"),
            message: e.to_string(),
        })
}

/// Whether a moto server answers `GET /moto-api/` at `endpoint`.
pub fn answers(endpoint: &str) -> bool {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    agent
        .get(&format!("{endpoint}/moto-api/"))
        .call()
        .is_ok_and(|response| response.status().is_success())
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        || Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// The workspace this crate was built in (`crates/emulator/../..`).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// Whether `pid` runs our launcher: guards against a recycled process id.
fn is_our_server(pid: u32) -> bool {
    match fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains("launch.py"),
        // No /proc (macOS): trust the record.
        Err(_) => true,
    }
}

/// Sends SIGTERM, waits up to [`STOP_TIMEOUT`] for the process to go, then SIGKILL.
fn terminate(pid: u32) -> Result<(), Error> {
    let pid_text = pid.to_string();
    let signal = |sig: &str| {
        Command::new("kill")
            .args([sig, &pid_text])
            .stderr(Stdio::null())
            .status()
            .map_err(|source| Error::Spawn {
                command: format!("kill {sig} {pid}"),
                source,
            })
    };
    signal("-TERM")?;
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if !process_alive(pid) || is_zombie(pid) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal("-KILL")?;
    Ok(())
}

fn is_zombie(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = std::env::temp_dir().join(format!("iamkit-emulator-tail-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("log");
        fs::write(&file, "a\nb\nc\nd\n").unwrap();
        assert_eq!(tail(&file, 2), "c\nd");
        assert_eq!(tail(&dir.join("missing"), 2), "");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_python_is_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("iamkit-emulator-nopy-{}", std::process::id()));
        let log = dir.join("install.log");
        fs::create_dir_all(&dir).unwrap();
        let err = run_logged(
            &mut Command::new("/nonexistent/python3"),
            "/nonexistent/python3 -m venv x",
            &log,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not run `/nonexistent/python3 -m venv x`"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_newest_server_logs_are_kept() {
        let dir = std::env::temp_dir().join(format!("iamkit-emulator-logs-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let install = Install::new(&dir);
        let start = std::time::SystemTime::now() - Duration::from_secs(100);
        for i in 0..5u64 {
            let log = dir.join(format!("moto-{}.log", 1000 + i));
            let file = fs::File::create(&log).unwrap();
            file.set_modified(start + Duration::from_secs(i)).unwrap();
        }
        fs::write(dir.join("install.log"), "kept").unwrap();
        install.prune_logs(2);
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["install.log", "moto-1003.log", "moto-1004.log"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_answers_on_a_closed_port() {
        let port = free_port().unwrap();
        assert!(!answers(&format!("http://127.0.0.1:{port}")));
    }
}
