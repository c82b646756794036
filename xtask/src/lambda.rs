//! `cargo xtask package-lambda` and `cargo xtask invoke`: the hello-world Lambda, zipped for
//! `provided.al2023`, and run: locally through the emulator's Runtime API, or on AWS.

use anyhow::{Context, Result, bail};
use iamkit_provision::{Runner, Target};
use iamkit_stack::Code;

use crate::target::{self, TargetArgs};

pub use iamkit_hello_lambda::package::PackagedLambda;

/// The function's name, locally and as deployed.
pub const FUNCTION: &str = "hello";

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

/// `cargo xtask invoke hello EVENT`: runs the deployed function, as `verify` does
/// (`iamkit_provision::invoke`): with `--aws`, `lambda:Invoke`; on the emulator, which runs no
/// code, the package's `bootstrap` through a local Runtime API as the function's role, and
/// only when the package is the deployed code.
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
    let task_dir = std::env::temp_dir().join(format!("iamkit-invoke-{}", std::process::id()));
    let runner = match &target {
        Target::Aws { .. } => Runner::Lambda,
        Target::Emulator { .. } => {
            let packaged = package()?;
            let zip = std::fs::read(&packaged.zip)
                .with_context(|| format!("reading {}", packaged.zip.display()))?;
            Runner::Local {
                bootstrap: iamkit_hello_lambda::package::unpack(&packaged.zip, &task_dir)?,
                code: Code::from_zip(zip),
            }
        }
    };
    let answer = runtime.block_on(iamkit_provision::invoke(
        &clients,
        FUNCTION,
        &event.to_string(),
        &runner,
    ));
    let _ = std::fs::remove_dir_all(&task_dir);
    let answer = answer.map_err(|e| anyhow::anyhow!("{e}"))?;
    for line in answer.logs.lines() {
        eprintln!("  | {line}");
    }
    eprintln!("{}", answer.how);
    println!("{}", answer.body);
    Ok(())
}
