//! The linter on every AWS managed policy ([`crate::corpus`]): each policy linted as the AWS
//! managed policy it is, timed, and its error findings compared with the reviewed list in
//! `tests/lint-corpus/reviewed.tsv`.
//!
//! AWS accepts every one of these documents, so an error finding on one of them is either a
//! real defect of AWS's (an action the Service Authorization Reference does not list, say) or
//! a false positive of ours. The reviewed file lists the first kind, each with its reason;
//! anything else fails `tests/e2e/lint_corpus.rs`, and so does an entry that no longer matches
//! a finding.
//!
//! ```no_run
//! let policies = iamkit_e2e::corpus::managed_policies().unwrap();
//! let linted = iamkit_e2e::lint_corpus::lint_all(policies);
//! let reviewed = iamkit_e2e::lint_corpus::reviewed().unwrap();
//! let (new, stale) = iamkit_e2e::lint_corpus::compare(&linted, &reviewed);
//! assert!(new.is_empty() && stale.is_empty());
//! ```

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use iamkit_lint::{Finding, LintOptions, PolicyKind, Severity};

use crate::corpus::ManagedPolicy;

/// One policy's findings and how long linting it took.
#[derive(Clone, Debug)]
pub struct Linted {
    /// The policy's name, such as `ReadOnlyAccess`.
    pub name: String,
    /// Every finding, labelled with the policy's name.
    pub findings: Vec<Finding>,
    /// Wall time of the `lint` call.
    pub elapsed: Duration,
}

/// How every policy of the corpus is linted: as an AWS managed policy, whose text is final
/// (no `<account-id>` to fill in) and whose account is AWS's.
pub fn options() -> LintOptions {
    LintOptions {
        kind: PolicyKind::AwsManaged,
        template: false,
        ..LintOptions::default()
    }
}

/// Lints every policy, one after the other on this thread, timing each.
pub fn lint_all(policies: &[ManagedPolicy]) -> Vec<Linted> {
    let options = options();
    policies
        .iter()
        .map(|policy| {
            let started = Instant::now();
            let findings = iamkit_lint::lint(&policy.name, &policy.text, &options);
            Linted {
                name: policy.name.clone(),
                findings,
                elapsed: started.elapsed(),
            }
        })
        .collect()
}

/// One reviewed error finding: the policy, the JSON pointer and the code it is at, and why it
/// is AWS's defect rather than ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewed {
    /// The policy's name.
    pub policy: String,
    /// The finding's JSON pointer.
    pub pointer: String,
    /// The finding's code.
    pub code: String,
    /// Why the finding is right.
    pub reason: String,
    /// The line of the entry in the file.
    pub line: usize,
}

/// The reviewed file, relative to the workspace root.
pub const REVIEWED: &str = "tests/lint-corpus/reviewed.tsv";

/// The reviewed file's path.
pub fn reviewed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lint-corpus/reviewed.tsv")
}

/// Reads the reviewed file: `policy<TAB>pointer<TAB>code<TAB>reason` lines; `#` starts a
/// comment line. Every malformed line is reported.
pub fn reviewed() -> Result<Vec<Reviewed>, String> {
    let path = reviewed_path();
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    parse_reviewed(&text)
}

/// [`reviewed`] on text.
pub fn parse_reviewed(text: &str) -> Result<Vec<Reviewed>, String> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            [policy, pointer, code, reason] if !reason.trim().is_empty() => {
                if iamkit_lint::check(code).is_none() {
                    errors.push(format!("{REVIEWED}:{}: `{code}` is not a lint code", i + 1));
                }
                entries.push(Reviewed {
                    policy: (*policy).to_owned(),
                    pointer: (*pointer).to_owned(),
                    code: (*code).to_owned(),
                    reason: (*reason).to_owned(),
                    line: i + 1,
                });
            }
            _ => errors.push(format!(
                "{REVIEWED}:{}: expected four tab-separated fields, policy, pointer, code and a reason",
                i + 1
            )),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors.join("\n"))
    }
}

/// The error findings that no entry lists, and the entries that list no error finding.
pub fn compare<'a>(
    linted: &'a [Linted],
    reviewed: &'a [Reviewed],
) -> (Vec<&'a Finding>, Vec<&'a Reviewed>) {
    let errors: Vec<&Finding> = linted
        .iter()
        .flat_map(|l| &l.findings)
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let listed = |f: &Finding, r: &Reviewed| {
        r.policy == f.file && r.pointer == f.pointer && r.code == f.code
    };
    let new = errors
        .iter()
        .copied()
        .filter(|f| !reviewed.iter().any(|r| listed(f, r)))
        .collect();
    let stale = reviewed
        .iter()
        .filter(|r| !errors.iter().any(|f| listed(f, r)))
        .collect();
    (new, stale)
}

/// A finding as a line of the reviewed file, with `reason` as its reason.
pub fn reviewed_line(finding: &Finding, reason: &str) -> String {
    format!(
        "{}\t{}\t{}\t{reason}",
        finding.file, finding.pointer, finding.code
    )
}
