//! The harness for iamkit's end-to-end tests: an emulator per test binary (or per test, for
//! tests that need an account of their own), and clients pointed at it.
//!
//! The emulator is installed on first use, like `cargo xtask test` does. When it cannot be
//! installed or started, the test fails with the reason: no test is skipped for a missing
//! service.

#![allow(clippy::panic)] // a harness that cannot start its emulator fails the test, with the reason

pub mod corpus;
pub mod lint_corpus;
pub mod proxy;

use std::sync::OnceLock;

use iamkit_emulator::{Emulator, Install, Lifetime};
use iamkit_provision::{Clients, Target};

/// The region tests use: the article's.
pub const REGION: &str = "ap-northeast-1";

/// The project's emulator install, installed now if it is not yet.
pub fn install() -> Install {
    let install = Install::new(Install::default_dir());
    if let Err(err) = install.ensure(&mut |line| eprintln!("{line}")) {
        panic!("the emulator could not be installed: {err}");
    }
    install
}

/// The emulator this test binary shares between its tests: started on first use, stopped
/// when the binary exits. Tests that share it use names of their own.
pub fn shared() -> &'static Emulator {
    static SHARED: OnceLock<Result<Emulator, String>> = OnceLock::new();
    let started = SHARED.get_or_init(|| {
        Emulator::start(&install(), Lifetime::WithThisProcess).map_err(|e| e.to_string())
    });
    match started {
        Ok(emulator) => emulator,
        Err(err) => panic!("the emulator could not be started: {err}"),
    }
}

/// An emulator of this test's own: a whole empty account, stopped when dropped.
pub fn own() -> Emulator {
    match Emulator::start(&install(), Lifetime::WithThisProcess) {
        Ok(emulator) => emulator,
        Err(err) => panic!("the emulator could not be started: {err}"),
    }
}

/// Clients pointed at `emulator`, built by the provision crate exactly as `cargo xtask` builds
/// them.
pub async fn clients(emulator: &Emulator) -> Clients {
    let target = Target::Emulator {
        endpoint: emulator.endpoint(),
    };
    iamkit_provision::connect(&target, Some(REGION)).await
}

/// A fresh copy of `policies/` (the manifests, the policy files and `lint.toml`), for a test
/// to change.
pub fn policies_copy() -> std::path::PathBuf {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let copy = std::env::temp_dir().join(unique("iamkit-policies"));
    std::fs::create_dir_all(&copy).unwrap_or_else(|e| panic!("{}: {e}", copy.display()));
    let entries =
        std::fs::read_dir(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    for path in entries.flatten().map(|entry| entry.path()) {
        if let (true, Some(name)) = (path.is_file(), path.file_name()) {
            std::fs::copy(&path, copy.join(name))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    copy
}

/// `dir/code.zip`: the smallest valid zip (an empty one), which the emulator takes as a
/// function's code (it stores code and never runs it).
pub fn empty_zip(dir: &std::path::Path) -> std::path::PathBuf {
    let zip = dir.join("code.zip");
    let mut empty = vec![0x50, 0x4b, 0x05, 0x06];
    empty.extend([0u8; 18]);
    std::fs::write(&zip, empty).unwrap_or_else(|e| panic!("{}: {e}", zip.display()));
    zip
}

/// A process's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A name unique to this test run, for resources in the shared emulator.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `cargo xtask ARGS` from the workspace root, as a user would; the emulator endpoint
/// and credentials of this environment are removed, so that only the arguments choose the
/// target.
pub fn xtask(args: &[&str]) -> std::process::Output {
    match xtask_command(args).output() {
        Ok(output) => output,
        Err(err) => panic!("cargo xtask could not be run: {err}"),
    }
}

/// The command [`xtask`] runs, for a test that talks to it while it runs (its standard input
/// and output are the caller's to set).
pub fn xtask_command(args: &[&str]) -> std::process::Command {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = std::process::Command::new(cargo);
    command
        .current_dir(root)
        .args(["run", "--quiet", "--offline", "--package", "xtask", "--"])
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// Teardown's building blocks on a desired state the test made (with its own code or
/// changes): read the stack as teardown reads it, plan its removal, apply. `cargo xtask
/// teardown` runs the library's flow (`iamkit_provision::teardown`), which does the same from
/// a manifest.
pub async fn teardown(
    clients: &Clients,
    desired: &iamkit_stack::Desired,
    options: &iamkit_provision::ApplyOptions,
    progress: &mut (dyn FnMut(&iamkit_stack::Change) + Send),
) -> Result<(iamkit_stack::Plan, iamkit_provision::ApplyReport), iamkit_provision::Error> {
    let observed = iamkit_provision::observe_for_teardown(clients, desired).await?;
    let plan = iamkit_stack::teardown_plan(desired, &observed);
    let report = iamkit_provision::apply(clients, &plan, options, progress).await?;
    Ok((plan, report))
}
