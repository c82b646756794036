//! The linter on every AWS managed policy: no grammar error, no panic, and every error finding
//! listed, with its reason, in `tests/lint-corpus/reviewed.tsv`. AWS accepts all of these
//! documents, so a new error finding is a false positive until someone reviews it; an entry
//! that matches nothing any more fails too, so the file stays true.

use iamkit_e2e::lint_corpus::{self, Linted, Reviewed};
use iamkit_lint::{Finding, Severity, code};

#[test]
fn every_aws_managed_policy_lints_with_only_reviewed_errors() {
    let policies = iamkit_e2e::corpus::managed_policies().unwrap();
    let options = lint_corpus::options();
    let mut linted = Vec::with_capacity(policies.len());
    for policy in policies {
        // A panic names the policy it happened on.
        let findings =
            std::panic::catch_unwind(|| iamkit_lint::lint(&policy.name, &policy.text, &options))
                .unwrap_or_else(|_| panic!("the linter panicked on {}", policy.name));
        linted.push(Linted {
            name: policy.name.clone(),
            findings,
            elapsed: std::time::Duration::ZERO,
        });
    }
    assert_eq!(linted.len(), 1594);
    let grammar: Vec<String> = linted
        .iter()
        .flat_map(|l| &l.findings)
        .filter(|f| f.code == code::GRAMMAR)
        .map(ToString::to_string)
        .collect();
    assert!(grammar.is_empty(), "{}", grammar.join("\n\n"));

    let reviewed = lint_corpus::reviewed().unwrap();
    let (new, stale) = lint_corpus::compare(&linted, &reviewed);
    let new: Vec<String> = new
        .iter()
        .map(|f| {
            format!(
                "{f}\n  reviewed line: {}",
                lint_corpus::reviewed_line(f, "REASON")
            )
        })
        .collect();
    assert!(
        new.is_empty(),
        "{} error findings are not in {}:\n{}",
        new.len(),
        lint_corpus::REVIEWED,
        new.join("\n\n")
    );
    let stale: Vec<String> = stale
        .iter()
        .map(|r| {
            format!(
                "{}:{}: {} {} {}",
                lint_corpus::REVIEWED,
                r.line,
                r.policy,
                r.pointer,
                r.code
            )
        })
        .collect();
    assert!(stale.is_empty(), "stale entries:\n{}", stale.join("\n"));
}

fn finding(file: &str, pointer: &str, code: &'static str, severity: Severity) -> Finding {
    Finding {
        severity,
        code,
        file: file.to_owned(),
        line: 1,
        column: 1,
        pointer: pointer.to_owned(),
        message: "m".to_owned(),
        help: "h".to_owned(),
        account: None,
        accepted: None,
    }
}

/// What makes the corpus test fail: an error finding the file does not list, and an entry no
/// finding matches. Warnings need no review.
#[test]
fn the_comparison_catches_new_and_stale_entries() {
    let reviewed = lint_corpus::parse_reviewed(
        "# comment\nPolicyA\t/Statement/0/Action/1\tunknown-action\tabsent from the reference\nPolicyB\t/Statement/2\tunknown-service\tabsent from the reference\n",
    )
    .unwrap();
    let linted = vec![Linted {
        name: "PolicyA".to_owned(),
        findings: vec![
            finding(
                "PolicyA",
                "/Statement/0/Action/1",
                code::UNKNOWN_ACTION,
                Severity::Error,
            ),
            finding(
                "PolicyA",
                "/Statement/0/Action/2",
                code::UNKNOWN_ACTION,
                Severity::Error,
            ),
            finding(
                "PolicyA",
                "/Statement/0",
                code::RESOURCE_MISMATCH,
                Severity::Warning,
            ),
        ],
        elapsed: std::time::Duration::ZERO,
    }];
    let (new, stale) = lint_corpus::compare(&linted, &reviewed);
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].pointer, "/Statement/0/Action/2");
    let stale: Vec<&Reviewed> = stale;
    assert_eq!(stale.len(), 1);
    assert_eq!((stale[0].policy.as_str(), stale[0].line), ("PolicyB", 3));
}

#[test]
fn malformed_reviewed_lines_are_refused() {
    for bad in [
        "PolicyA\t/Statement/0\tunknown-action\n",
        "PolicyA\t/Statement/0\tunknown-action\t \n",
        "PolicyA\t/Statement/0\tno-such-code\ta reason\n",
    ] {
        assert!(lint_corpus::parse_reviewed(bad).is_err(), "{bad:?}");
    }
}
