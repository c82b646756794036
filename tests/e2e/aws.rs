//! `--aws` with no way to reach AWS: the checks that stop a run before any write, run through
//! `cargo xtask` itself with an empty environment and a fresh HOME (no profile, no keys).

use std::{path::PathBuf, process::Command};

fn project_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `cargo xtask ARGS` with nothing from this environment but what cargo needs.
fn xtask_without_credentials(args: &[&str]) -> std::process::Output {
    let home = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-empty-home"));
    std::fs::create_dir_all(&home).unwrap();
    let real_home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".rustup"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(project_root())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["run", "--quiet", "--offline", "--package", "xtask", "--"])
        .args(args);
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        command.env("CARGO_TARGET_DIR", dir);
    }
    let output = command.output().unwrap();
    std::fs::remove_dir_all(&home).unwrap();
    output
}

/// No environment variables, no `~/.aws`: `setup --aws` names the problem and what to do,
/// exits 1, and sends nothing (the plan is never read, let alone applied).
#[test]
fn setup_on_aws_without_credentials_stops_with_advice_and_no_write() {
    let zip = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-empty.zip"));
    std::fs::write(&zip, b"PK").unwrap();
    let output = xtask_without_credentials(&[
        "setup",
        "--aws",
        "--region",
        "eu-west-1",
        "--lambda-zip",
        zip.to_str().unwrap(),
    ]);
    std::fs::remove_file(&zip).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: no AWS credentials"), "{stderr}");
    assert!(stderr.contains("help: run `aws configure`"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!stderr.contains("Plan:"), "{stderr}");
}
