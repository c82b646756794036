//! The shared examples: two accounts in the AWS CLI's format with the expected answers (the
//! article's baseline, and the same with MFA required on admin's trust), checked field by
//! field for every principal. `tests/examples/` holds a copy of the project's shared
//! `examples/access/` folder, so the test runs wherever the repository is checked out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use iamkit_access::{Analysis, load_details, load_functions};
use serde_json::Value;

/// The examples folder: `$IAMKIT_ACCESS_EXAMPLES` (to run against another copy), else the
/// crate's `tests/examples/`.
fn examples() -> PathBuf {
    match std::env::var_os("IAMKIT_ACCESS_EXAMPLES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/examples"),
    }
}

fn check(scenario: &str) {
    let dir = examples();
    let read = |name: String| {
        let path = dir.join(&name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    };
    let mut account = load_details(&read(format!("{scenario}.json")))
        .unwrap_or_else(|e| panic!("{}", e.render(scenario)));
    account.functions = load_functions(&read(format!("{scenario}.lambda.json"))).unwrap();
    let expected: Value = serde_json::from_str(&read(format!("{scenario}.expect.json"))).unwrap();
    let report = Analysis::new(&account).paths();
    let got = serde_json::to_value(&report).unwrap();
    let principals = expected["principals"].as_object().unwrap();
    assert_eq!(
        got["principals"].as_array().unwrap().len(),
        principals.len(),
        "{scenario}: one entry per user and role"
    );
    for (arn, want) in principals {
        let entry = got["principals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["arn"] == arn.as_str())
            .unwrap_or_else(|| panic!("{scenario}: no entry for {arn}"));
        for field in ["admin", "reaches_admin", "without_mfa", "via"] {
            assert_eq!(
                entry[field],
                want[field],
                "{scenario}: {arn}: {field}\n{}",
                report.to_text()
            );
        }
    }
}

#[test]
fn article_baseline() {
    check("article-baseline");
}

#[test]
fn article_baseline_with_mfa_on_admin() {
    check("article-baseline-mfa");
}
