//! The shared examples (`../shared/examples/access/`): two accounts in the AWS CLI's format
//! with the expected answers, checked field by field for every principal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};

use iamkit_access::{Analysis, load_details, load_functions};
use serde_json::Value;

/// The examples folder: `$IAMKIT_ACCESS_EXAMPLES`, else `../shared/examples/access/` next to
/// the workspace.
fn examples() -> PathBuf {
    if let Some(dir) = std::env::var_os("IAMKIT_ACCESS_EXAMPLES") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/examples/access")
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
