//! `cargo xtask package-lambda` and `cargo xtask invoke`: the hello-world Lambda, zipped for
//! `provided.al2023`, and run: locally through the emulator's Runtime API, or on AWS.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use iamkit_provision::{Runner, Target};
use iamkit_stack::Code;

use crate::global::Global;

pub use iamkit_hello_lambda::package::PackagedLambda;

/// The function's name, locally and as deployed.
pub const FUNCTION: &str = "hello";

/// Builds `bootstrap` with the `lambda` profile and writes `target/lambda/hello/bootstrap.zip`
/// (checked: glibc at most 2.34, at most 5 MB). `setup` deploys this zip; its `code_sha256`
/// is Lambda's `CodeSha256`.
pub fn package() -> Result<PackagedLambda> {
    iamkit_hello_lambda::package::package().context("packaging the hello-world Lambda")
}

/// The function's code, one rule for `setup`, `verify`, `invoke` and `demo`: `--lambda-zip`,
/// else the hello-world Lambda built and zipped now (quick when it is fresh). `setup` deploys
/// it; `verify` checks that the deployed code is it, then runs it; `invoke` on the emulator
/// runs it only when it is the deployed code (on AWS, `lambda:Invoke` runs what is deployed).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CodeArgs {
    /// The function's deployment package, a zip with `bootstrap` for provided.al2023 (default:
    /// the hello-world Lambda, built and zipped now, as `cargo xtask package-lambda` does).
    #[arg(long, value_name = "ZIP")]
    pub lambda_zip: Option<PathBuf>,
}

impl CodeArgs {
    /// The package: `--lambda-zip`, else the hello-world Lambda packaged now.
    pub fn zip(&self) -> Result<PathBuf> {
        if let Some(path) = &self.lambda_zip {
            if !path.is_file() {
                bail!(
                    "--lambda-zip {}: no such file\n  help: `cargo xtask package-lambda` builds the hello-world package",
                    path.display()
                );
            }
            return Ok(path.clone());
        }
        let packaged = package()?;
        eprintln!(
            "lambda package {} (sha256 {})",
            packaged.zip.display(),
            packaged.sha256
        );
        Ok(packaged.zip)
    }
}

/// The code of each function, read from the package at `zip`.
pub fn code(zip: &Path) -> Result<BTreeMap<String, Code>> {
    let bytes = std::fs::read(zip).with_context(|| format!("reading {}", zip.display()))?;
    Ok(BTreeMap::from([(
        FUNCTION.to_owned(),
        Code::from_zip(bytes),
    )]))
}

/// `cargo xtask package-lambda`.
pub fn run_package() -> Result<()> {
    let packaged = package()?;
    print_packaged(&packaged);
    Ok(())
}

fn print_packaged(packaged: &PackagedLambda) {
    let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    say!("{}", packaged.zip.display());
    say!(
        "  zip      {} bytes ({:.2} MB)",
        packaged.zip_size,
        mb(packaged.zip_size)
    );
    say!(
        "  binary   {} bytes ({:.2} MB), needs glibc {}",
        packaged.binary_size,
        mb(packaged.binary_size),
        packaged
            .glibc
            .map_or_else(|| "nothing".to_owned(), |v| format!("{v} (<= 2.34)"))
    );
    say!("  sha256   {}", packaged.sha256);
    say!("  CodeSha256 {}", packaged.code_sha256);
    say!("  build    {:.1} s", packaged.build_time.as_secs_f64());
}

#[derive(clap::Args)]
pub struct InvokeArgs {
    /// The function: `hello`, the article's S3 hello-world.
    function: String,
    /// The event, as JSON: `{"bucketName": "...", "objectName": "hello.txt"}`.
    event: String,
    #[command(flatten)]
    code: CodeArgs,
}

/// `cargo xtask invoke hello EVENT`: runs the deployed function, as `verify` does
/// (`iamkit_provision::invoke`): with `--aws`, `lambda:Invoke`; on the emulator, which runs no
/// code, the package's `bootstrap` through a local Runtime API as the function's role, and
/// only when the package is the deployed code.
pub fn run_invoke(args: InvokeArgs, global: &Global) -> Result<()> {
    if args.function != FUNCTION {
        bail!(
            "unknown function `{}`; the project has one: `{FUNCTION}`",
            args.function
        );
    }
    let event: serde_json::Value = serde_json::from_str(&args.event)
        .with_context(|| format!("the event `{}` is not JSON", args.event))?;
    let manifest = global.read_manifest()?;
    let target = global.target()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let clients = runtime.block_on(global.connect(&target, Some(&manifest)))?;
    let task_dir = std::env::temp_dir().join(format!("iamkit-invoke-{}", std::process::id()));
    // Who we are first: no credentials, or no emulator, is reported before a build.
    runtime.block_on(iamkit_provision::whoami(&clients))?;
    let runner = match &target {
        Target::Aws { .. } => Runner::Lambda,
        Target::Emulator { .. } => {
            let zip = args.code.zip()?;
            let bytes =
                std::fs::read(&zip).with_context(|| format!("reading {}", zip.display()))?;
            Runner::Local {
                bootstrap: iamkit_hello_lambda::package::unpack(&zip, &task_dir)?,
                code: Code::from_zip(bytes),
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
    say!("{}", answer.body);
    Ok(())
}
