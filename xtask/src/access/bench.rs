//! `cargo xtask access bench [--pmapper]`: `access paths` on the generated benchmark account
//! (1,000 users, 500 roles, 2,000 policies), and with `--pmapper` the same account read by
//! PMapper (`principalmapper` from PyPI).
//!
//! PMapper reads accounts only through the AWS API, so the account is created in a moto
//! server by `populate.py`, and PMapper is pointed at it with its `--localstack-endpoint`
//! option. Two version constraints shape this, both measured: PMapper 1.1.5 imports
//! `collections.Mapping`, which Python 3.10 removed, so its virtual environment is made with
//! `$IAMKIT_PMAPPER_PYTHON` (default `python3.9`); and the project's moto (5.2.5) leaves
//! `PolicyName` out of managed policies in `GetAccountAuthorizationDetails`, which PMapper
//! reads, so the server is moto 4.2.14 from PMapper's environment (its answer names them).
//! Neither version is used anywhere else. Everything goes under `target/access-bench/`,
//! never committed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use iamkit_access::synthetic::{ACCOUNT, Shape, generate};
use iamkit_access::{Analysis, PathsReport, load_details, load_functions};
use xshell::{Shell, cmd};

const PMAPPER: &str = "principalmapper==1.1.5";
const MOTO: &str = "moto[server]==4.2.14";
const POPULATE: &str = include_str!("populate.py");

#[derive(clap::Args)]
pub struct Args {
    /// How many times to run `access paths`.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Also run PMapper on the same account (installs it and the emulator under target/).
    #[arg(long)]
    pmapper: bool,
    /// Users of the generated account (the benchmark's: 1,000).
    #[arg(long, default_value_t = Shape::benchmark().users)]
    users: usize,
    /// Roles (the benchmark's: 500).
    #[arg(long, default_value_t = Shape::benchmark().roles)]
    roles: usize,
    /// Customer-managed policies (the benchmark's: 2,000).
    #[arg(long, default_value_t = Shape::benchmark().policies)]
    policies: usize,
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Short names of the principals that are admin, and of those that reach admin (PMapper's
/// "can escalate", which takes MFA-gated steps too).
fn ours(report: &PathsReport) -> (BTreeSet<String>, BTreeSet<String>) {
    let short = |arn: &str| arn.splitn(6, ':').nth(5).unwrap_or(arn).to_owned();
    let admins = report
        .principals
        .iter()
        .filter(|p| p.admin)
        .map(|p| short(&p.arn))
        .collect();
    let reach = report
        .principals
        .iter()
        .filter(|p| p.reaches_admin && !p.admin)
        .map(|p| short(&p.arn))
        .collect();
    (admins, reach)
}

pub fn run(args: Args) -> Result<()> {
    let dir = crate::target_dir().join("access-bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let shape = Shape {
        users: args.users,
        roles: args.roles,
        policies: args.policies,
        ..Shape::benchmark()
    };
    let generated = generate(&shape);
    let details = dir.join("details.json");
    let functions = dir.join("functions.json");
    std::fs::write(&details, serde_json::to_string_pretty(&generated.details)?)?;
    std::fs::write(
        &functions,
        serde_json::to_string_pretty(&generated.functions)?,
    )?;
    say!(
        "account: {} users, {} roles, {} policies, {} groups, {} functions ({})",
        shape.users,
        shape.roles,
        shape.policies,
        shape.groups,
        shape.functions,
        details.display()
    );
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    say!(
        "build: {build}; cores: {}",
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    let (details_text, functions_text) = (
        std::fs::read_to_string(&details)?,
        std::fs::read_to_string(&functions)?,
    );
    let mut loads = Vec::new();
    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..args.runs.max(1) {
        let start = Instant::now();
        let mut account = load_details(&details_text).map_err(|e| anyhow::anyhow!("{e}"))?;
        account.functions = load_functions(&functions_text).map_err(|e| anyhow::anyhow!("{e}"))?;
        loads.push(start.elapsed());
        let start = Instant::now();
        let report = Analysis::new(&account).paths();
        runs.push(start.elapsed());
        last = Some(report);
    }
    let report = last.context("no run")?;
    let (admins, reach) = ours(&report);
    let free = report
        .principals
        .iter()
        .filter(|p| p.without_mfa && !p.admin)
        .count();
    say!(
        "iamkit access paths: median {:.0} ms over {} runs (+ {:.0} ms to read the two files)",
        median(runs).as_secs_f64() * 1000.0,
        args.runs.max(1),
        median(loads).as_secs_f64() * 1000.0
    );
    say!(
        "  {} admin-equivalent, {} more reach admin ({} of them without MFA)",
        admins.len(),
        reach.len(),
        free
    );
    if args.pmapper {
        // The emulator keeps no permissions boundary of a user: compare PMapper with our
        // answer on the account as the emulator holds it.
        let mut account = load_details(&details_text).map_err(|e| anyhow::anyhow!("{e}"))?;
        account.functions = load_functions(&functions_text).map_err(|e| anyhow::anyhow!("{e}"))?;
        account.users.iter_mut().for_each(|u| u.boundary = None);
        let (admins, reach) = ours(&Analysis::new(&account).paths());
        pmapper(&dir, &details, &functions, &admins, &reach)?;
    }
    Ok(())
}

/// The PMapper virtual environment (PMapper and the moto it reads from), made on first use;
/// its `bin` folder.
fn pmapper_venv(sh: &Shell, dir: &Path) -> Result<PathBuf> {
    let venv = dir.join("pmapper-venv");
    let bin = venv.join("bin");
    let stamp = venv.join(".iamkit-principalmapper-1.1.5-moto-4.2.14");
    if !stamp.is_file() {
        let python = std::env::var("IAMKIT_PMAPPER_PYTHON").unwrap_or_else(|_| "python3.9".into());
        eprintln!("installing {PMAPPER} with {python} into {}", venv.display());
        cmd!(sh, "{python} -m venv {venv}")
            .run()
            .context("cannot make PMapper's virtual environment\n  help: PMapper 1.1.5 needs Python 3.9 or older; set IAMKIT_PMAPPER_PYTHON to one")?;
        let pip = bin.join("pip");
        cmd!(sh, "{pip} install --quiet {PMAPPER} {MOTO}").run()?;
        std::fs::write(&stamp, "")?;
    }
    Ok(bin)
}

fn pmapper(
    dir: &Path,
    details: &Path,
    functions: &Path,
    admins: &BTreeSet<String>,
    reach: &BTreeSet<String>,
) -> Result<()> {
    let sh = Shell::new()?;
    let bin = pmapper_venv(&sh, dir)?;
    let (python, pmapper) = (bin.join("python"), bin.join("pmapper"));
    let server = Moto::start(&python, dir)?;
    let endpoint = server.endpoint.clone();
    // Functions are stored, never run.
    let _ = iamkit_emulator::control(
        &endpoint,
        "/moto-api/config",
        r#"{"lambda": {"use_docker": false}}"#,
    );
    let script = dir.join("populate.py");
    std::fs::write(&script, POPULATE)?;
    let populated = cmd!(sh, "{python} {script} {endpoint} {details} {functions}").read()?;
    say!("emulator (moto 4.2.14): account created with {populated}");

    let storage = dir.join("pmapper-storage");
    let _ = std::fs::remove_dir_all(&storage);
    let _env = [
        sh.push_env("PMAPPER_STORAGE", &storage),
        sh.push_env("AWS_ACCESS_KEY_ID", "testing"),
        sh.push_env("AWS_SECRET_ACCESS_KEY", "testing"),
        sh.push_env("AWS_DEFAULT_REGION", "us-east-1"),
        sh.push_env("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let start = Instant::now();
    cmd!(
        sh,
        "{pmapper} graph create --localstack-endpoint {endpoint} --include-regions us-east-1"
    )
    .quiet()
    .ignore_stdout()
    .run()?;
    let created = start.elapsed();
    let start = Instant::now();
    let out = cmd!(sh, "{pmapper} --account {ACCOUNT} query 'preset privesc *'").read()?;
    let queried = start.elapsed();
    say!(
        "pmapper graph create (reads the account from the emulator, then finds edges): {:.1} s",
        created.as_secs_f64()
    );
    say!(
        "pmapper query 'preset privesc *' (on its stored graph): {:.1} s",
        queried.as_secs_f64()
    );
    compare(&out, admins, reach)?;
    drop(server);
    Ok(())
}

/// A moto server from PMapper's environment, stopped (through its process handle) when
/// dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Moto {
    fn start(python: &Path, dir: &Path) -> Result<Moto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(dir.join("moto.log"))?;
        let child = std::process::Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start moto from PMapper's environment")?;
        let server = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !iamkit_emulator::answers(&server.endpoint) {
            if Instant::now() > deadline {
                let log = dir.join("moto.log");
                bail!(
                    "moto did not answer within 60 s\n  help: see {}",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Compares PMapper's privilege escalation answer with ours.
fn compare(out: &str, admins: &BTreeSet<String>, reach: &BTreeSet<String>) -> Result<()> {
    let mut their_admins = BTreeSet::new();
    let mut their_reach = BTreeSet::new();
    for line in out.lines() {
        if let Some(name) = line.strip_suffix(" is an administrative principal") {
            their_admins.insert(name.to_owned());
        } else if let Some((name, _)) = line.split_once(" can escalate privileges by accessing") {
            their_reach.insert(name.to_owned());
        }
    }
    if their_admins.is_empty() {
        bail!("PMapper named no administrative principal; its output:\n{out}");
    }
    let show = |label: &str, a: &BTreeSet<String>, b: &BTreeSet<String>| {
        let only: Vec<&String> = a.difference(b).collect();
        say!(
            "  {label}: {} {:?}",
            only.len(),
            only.iter().take(8).collect::<Vec<_>>()
        );
    };
    say!(
        "pmapper: {} administrative, {} more can escalate; iamkit: {} admin-equivalent, {} more reach admin",
        their_admins.len(),
        their_reach.len(),
        admins.len(),
        reach.len()
    );
    show("admin for iamkit only", admins, &their_admins);
    show("admin for PMapper only", &their_admins, admins);
    show("reach admin for iamkit only", reach, &their_reach);
    show("escalate for PMapper only", &their_reach, reach);
    Ok(())
}
