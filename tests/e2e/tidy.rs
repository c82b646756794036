//! Tidy: rules about the source tree that a reviewer would otherwise have to remember.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The core crates are sync and do no IO: no async runtime and no AWS SDK in their tree.
#[test]
fn core_crates_depend_on_neither_tokio_nor_the_aws_sdk() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for package in [
        "iamkit-arn",
        "iamkit-policy",
        "iamkit-catalog",
        "iamkit-lint",
        "iamkit-eval",
        "iamkit-access",
    ] {
        let output = Command::new(&cargo)
            .current_dir(project_root())
            .args([
                "tree",
                "--offline",
                "--edges",
                "normal",
                "--prefix",
                "none",
                "--package",
                package,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8_lossy(&output.stdout);
        let forbidden: Vec<&str> = tree
            .lines()
            .filter(|line| line.starts_with("tokio ") || line.starts_with("aws-"))
            .collect();
        assert!(forbidden.is_empty(), "{package} depends on {forbidden:?}");
        assert!(tree.lines().next().unwrap_or_default().starts_with(package));
    }
}

/// Every Rust file says what it is for, in its first line.
#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut missing = Vec::new();
    let mut seen = 0;
    for dir in ["crates", "xtask", "tests"] {
        walk(&project_root().join(dir), &mut |path| {
            if path.extension().is_some_and(|e| e == "rs") {
                seen += 1;
                let text = fs::read_to_string(path).unwrap();
                if !text.starts_with("//!") {
                    missing.push(
                        path.strip_prefix(project_root())
                            .unwrap()
                            .display()
                            .to_string(),
                    );
                }
            }
        });
    }
    assert!(seen > 10, "tidy read only {seen} files");
    assert!(
        missing.is_empty(),
        "these files do not start with a `//!` doc: {missing:#?}"
    );
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == "fuzz")
            {
                continue;
            }
            walk(&path, visit);
        } else {
            visit(&path);
        }
    }
}
