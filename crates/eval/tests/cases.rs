//! The data-driven evaluation tests: every `tests/cases/*.json` file is a case list in the
//! `cargo xtask simulate` format, and every case must come out as its `expect` says.

use std::path::Path;

#[test]
fn every_case_file_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut names = std::collections::HashSet::new();
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let raw: Vec<serde_json::Value> = serde_json::from_str(&source).unwrap();
        for case in &raw {
            let name = case["name"].as_str().unwrap();
            assert!(
                names.insert(name.to_owned()),
                "case name `{name}` is used twice"
            );
            assert!(case["expect"].is_string(), "case `{name}` has no `expect`");
            assert!(
                case["why"].as_str().is_some_and(|w| !w.is_empty()),
                "case `{name}` does not say why (cite the documentation)"
            );
        }
        let cases =
            iamkit_eval::cases::parse(&source).unwrap_or_else(|e| panic!("{}:{e}", file.display()));
        for case in &cases {
            total += 1;
            let outcome = case.run();
            if !outcome.passed() {
                failures.push(format!(
                    "{}: `{}`: expected {:?}, got {} ({})",
                    file.file_name().unwrap().to_string_lossy(),
                    case.name,
                    case.expect,
                    outcome.evaluation.decision,
                    outcome
                        .evaluation
                        .reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 180, "only {total} cases");
}
