//! Golden tests of the linter: every file in `tests/lint/` triggers the check its name says
//! (`clean.json` none), rendered as its `.expected` snapshot; every check has such a file; the
//! article's own policies give the findings the project promises, at the right lines; and AWS's
//! own example policies in `tests/clean/` give none. A `.kind` file beside a case names its
//! kind of policy (`resource`, `trust`, ...); without one the linter decides.
//! `UPDATE_EXPECT=1 cargo test -p iamkit-lint --test golden` rewrites the snapshots.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use iamkit_lint::{
    Attachment, CHECKS, Finding, LintOptions, OwnAccount, PolicyKind, Severity, lint,
    lint_attachments, summary,
};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint")
}

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&finding.to_string());
        out.push_str("\n\n");
    }
    out.push_str(&summary(findings));
    out.push('\n');
    out
}

/// Compares with the snapshot, or writes it when `UPDATE_EXPECT` is set.
fn expect(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        fs::write(path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_EXPECT=1", path.display()));
    assert_eq!(actual, expected, "{} differs", path.display());
}

/// Lints a case; a case that writes its own account as `<account-id>` is a template of that
/// account, so any other account it names is another's.
fn lint_file(path: &Path, label: &str) -> Vec<Finding> {
    let source = fs::read_to_string(path).unwrap();
    let kind = fs::read_to_string(path.with_extension("kind"))
        .map_or(PolicyKind::Auto, |k| k.trim().parse().unwrap());
    let options = LintOptions {
        account: source
            .contains("<account-id>")
            .then_some(OwnAccount::Placeholder),
        kind,
        ..LintOptions::default()
    };
    lint(label, &source, &options)
}

/// AWS's own example policies (`tests/clean/SOURCES.md` names their pages) say nothing wrong.
#[test]
fn aws_examples_are_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clean");
    let files = json_files(&dir);
    assert_eq!(files.len(), 4);
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(path.with_extension("kind").is_file(), "{name} has no .kind");
        let findings = lint_file(&path, &format!("tests/clean/{name}"));
        assert!(findings.is_empty(), "{}", render(&findings));
    }
}

#[test]
fn every_case_triggers_its_check_and_matches_its_snapshot() {
    for path in json_files(&cases_dir()) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let findings = lint_file(&path, &format!("tests/lint/{name}.json"));
        if name == "clean" {
            assert!(findings.is_empty(), "{}", render(&findings));
        } else {
            assert!(
                findings.iter().any(|f| f.code == name),
                "{name}.json does not trigger `{name}`:\n{}",
                render(&findings)
            );
        }
        expect(&path.with_extension("expected"), &render(&findings));
    }
}

#[test]
fn every_check_has_a_case() {
    for check in CHECKS {
        // The quota on attachments is about the manifest, not a policy: tested below.
        if check.code == "too-many-policies" {
            continue;
        }
        let case = cases_dir().join(format!("{}.json", check.code));
        assert!(case.is_file(), "no golden case for `{}`", check.code);
    }
}

#[test]
fn too_many_policies_on_one_identity() {
    let identity = |kind: &str, name: &str, count: usize| Attachment {
        kind: kind.to_owned(),
        name: name.to_owned(),
        policies: (0..count).map(|i| format!("policy-{i}")).collect(),
        line: 3,
        column: 8,
    };
    let findings = lint_attachments(
        "policies/baseline.toml",
        &[
            identity("group", "developer", 11),
            identity("role", "admin", 10),
            identity("user", "dev-user", 12),
        ],
    );
    assert!(findings.iter().all(|f| f.code == "too-many-policies"));
    expect(
        &cases_dir().join("too-many-policies.expected"),
        &render(&findings),
    );
}

/// `(code, file stem, line)` of every finding.
fn located(findings: &[Finding]) -> Vec<(&'static str, String, usize)> {
    findings
        .iter()
        .map(|f| {
            let stem = Path::new(&f.file)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (f.code, stem, f.line)
        })
        .collect()
}

#[test]
fn the_articles_policies_show_what_the_article_gets_wrong() {
    let mut findings = Vec::new();
    for path in json_files(&policies_dir().join("original")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        findings.extend(lint_file(&path, &format!("policies/original/{name}")));
    }
    let located = located(&findings);
    for expected in [
        // `s3:*` on objects only: no bucket-level action, no ListAllMyBuckets.
        ("resource-mismatch", "develop-s3", 7),
        // ListVirtualMFADevices takes only `*`.
        ("star-only-action-scoped", "enable-mfa", 9),
        // DeactivateMFADevice under BoolIfExists: long-term keys need no MFA.
        ("mfa-bool-if-exists", "enable-mfa", 28),
        // iam:* on * includes PassRole on every role.
        ("pass-role-star", "manage-iam", 7),
    ] {
        let expected = (expected.0, expected.1.to_owned(), expected.2);
        assert!(
            located.contains(&expected),
            "{expected:?} not in {located:?}"
        );
    }
    let s3 = findings
        .iter()
        .find(|f| f.code == "resource-mismatch")
        .unwrap();
    assert!(
        s3.message.contains("62 take a bucket") && s3.message.contains("`s3:ListAllMyBuckets`"),
        "{}",
        s3.message
    );
    expect(&cases_dir().join("original.expected"), &render(&findings));
}

#[test]
fn the_baseline_has_no_error_finding() {
    let mut findings = Vec::new();
    for path in json_files(&policies_dir()) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        findings.extend(lint_file(&path, &format!("policies/{name}")));
    }
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The article's flaws that the baseline fixes are gone.
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    for fixed in ["mfa-bool-if-exists", "star-only-action-scoped"] {
        assert!(!codes.contains(&fixed), "{fixed} is still in the baseline");
    }
}

#[test]
fn json_output_carries_every_field() {
    let path = cases_dir().join("pass-role-star.json");
    let findings = lint_file(&path, "tests/lint/pass-role-star.json");
    let json = serde_json::to_value(&findings).unwrap();
    let first = &json[0];
    for field in [
        "severity", "code", "file", "line", "column", "pointer", "message", "help",
    ] {
        assert!(first.get(field).is_some(), "no `{field}` in {first}");
    }
    assert_eq!(first["severity"], "security");
}

mod never_panics {
    use iamkit_lint::{LintOptions, PolicyKind, lint};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("s3:*".to_owned()),
            Just("s3:Get*".to_owned()),
            Just("*".to_owned()),
            Just("iam:PassRole".to_owned()),
            Just("arn:aws:s3:::*/*".to_owned()),
            Just("arn:aws:iam::<account-id>:role/*".to_owned()),
            Just("arn:aws:iam::123456789012:root".to_owned()),
            Just("${aws:username}".to_owned()),
            Just("<x>".to_owned()),
            Just("10.0.0.0/8".to_owned()),
            Just("203.0.113.7/24".to_owned()),
            Just("fc00::/7".to_owned()),
            Just("2026-12-31T23:59:59+09:00".to_owned()),
            Just(
                "arn:aws:iam::<account-id>:oidc-provider/token.actions.githubusercontent.com"
                    .to_owned()
            ),
            Just("arn:aws:iam::123456789012:saml-provider/x".to_owned()),
            Just("lambda.amazonaws.com".to_owned()),
            Just("arn:aws:organizations::*:".to_owned()),
            Just("arn:aws:kms:*:${aws:PrincipalAccount}:key/*".to_owned()),
            "[a-zA-Z0-9.:*?/${}<>-]{0,12}",
        ]
    }

    fn one_or_many() -> impl Strategy<Value = Value> {
        prop_oneof![
            piece().prop_map(Value::String),
            prop::collection::vec(piece().prop_map(Value::String), 0..4).prop_map(Value::Array),
            Just(json!(7)),
        ]
    }

    fn statement() -> impl Strategy<Value = Value> {
        (
            prop_oneof![Just("Allow"), Just("Deny"), Just("Maybe")],
            prop::sample::select(vec!["Action", "NotAction", "Actions"]),
            one_or_many(),
            prop::sample::select(vec!["Resource", "NotResource", "Principal", "NotPrincipal"]),
            one_or_many(),
            prop::sample::select(vec![
                "Bool",
                "BoolIfExists",
                "NullIfExists",
                "ForAllValues:StringLike",
                "DateLessThan",
                "IpAddress",
                "NotIpAddress",
                "StringEquals",
                "NumericLessThan",
                "Nope",
            ]),
            prop::sample::select(vec![
                "aws:MultiFactorAuthPresent",
                "aws:CurrentTime",
                "aws:SourceIp",
                "iam:PassedToService",
                "token.actions.githubusercontent.com:sub",
                "s3:prefix",
                "x:y",
                "",
            ]),
            one_or_many(),
        )
            .prop_map(
                |(effect, action_name, action, resource_name, resource, op, key, value)| {
                    let mut statement = serde_json::Map::new();
                    statement.insert("Effect".into(), json!(effect));
                    statement.insert(action_name.into(), action);
                    statement.insert(resource_name.into(), resource);
                    statement.insert("Condition".into(), json!({op: {key: value}}));
                    Value::Object(statement)
                },
            )
    }

    proptest! {
        #[test]
        fn on_policy_shaped_documents(
            statements in prop::collection::vec(statement(), 0..4),
            version in prop::sample::select(vec![Some("2012-10-17"), Some("2008-10-17"), None]),
        ) {
            let mut document = serde_json::Map::new();
            if let Some(version) = version {
                document.insert("Version".into(), json!(version));
            }
            document.insert("Statement".into(), Value::Array(statements));
            let source = serde_json::to_string_pretty(&Value::Object(document)).unwrap();
            for kind in [PolicyKind::Auto, PolicyKind::Trust, PolicyKind::Resource, PolicyKind::Scp] {
                let options = LintOptions { kind, ..LintOptions::default() };
                for finding in lint("p.json", &source, &options) {
                    prop_assert!(finding.line >= 1 && finding.column >= 1);
                    prop_assert!(finding.line <= source.lines().count().max(1));
                }
            }
        }

        #[test]
        fn on_any_text(source in "\\PC{0,200}") {
            let _ = lint("p.json", &source, &LintOptions::default());
        }
    }

    /// Long names and ARNs are linted in linear time: no "did you mean" edit distance on a
    /// megabyte, no automaton over a pattern longer than IAM's ARN limit.
    #[test]
    fn large_inputs() {
        let long = "a".repeat(1_000_000);
        for (action, resource) in [
            (format!("s3:{long}"), "*".to_owned()),
            (
                "s3:GetObject".to_owned(),
                format!("arn:aws:s3:::{long}*/*?"),
            ),
            (format!("s{long}:Get"), "*".to_owned()),
        ] {
            let source = json!({
                "Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Action": action, "Resource": resource},
            })
            .to_string();
            let started = std::time::Instant::now();
            let _ = lint("p.json", &source, &LintOptions::default());
            // Generous, for a loaded machine: a quadratic step here would take far longer.
            assert!(started.elapsed().as_secs() < 20);
        }
    }
}
