//! The report: one check per line, grouped, with a summary; as a table and as JSON.

use std::fmt;

use serde::Serialize;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As intended.
    Pass,
    /// Not as intended: verify exits non-zero.
    Fail,
    /// Worth fixing, but not a failure.
    Warn,
    /// Not checked, with the reason in the detail.
    #[serde(rename = "skip")]
    Skipped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Warn => "warn",
            Status::Skipped => "skip",
        })
    }
}

/// The groups checks come in, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// The account against the manifest.
    Drift,
    /// Expectations decided by our engine over the policies read back.
    Access,
    /// Paths to admin over the snapshot, decided by iamkit-access.
    Escalation,
    /// Calls made with the principals' own credentials.
    Live,
    /// Baseline account controls.
    Account,
}

impl Group {
    /// The heading of the group in the table.
    pub fn title(self) -> &'static str {
        match self {
            Group::Drift => "drift: the account against the manifest",
            Group::Access => {
                "static access: iamkit-eval over the policies read back from the account"
            }
            Group::Escalation => {
                "escalation: paths to admin over the account read back (iamkit-access)"
            }
            Group::Live => "live: calls made with the principals' own credentials",
            Group::Account => "account controls",
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Its group.
    pub group: Group,
    /// A short stable name: `dev-user-lists-buckets`, `root-mfa`, ...
    pub name: String,
    /// How it came out.
    pub status: Status,
    /// What was seen, and for decisions the deciding statement.
    pub detail: String,
    /// What to do about a failure or a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Check {
    /// A check.
    pub fn new(group: Group, name: &str, status: Status, detail: impl Into<String>) -> Check {
        Check {
            group,
            name: name.to_owned(),
            status,
            detail: detail.into(),
            help: None,
        }
    }

    /// The same check with advice.
    pub fn help(mut self, help: impl Into<String>) -> Check {
        self.help = Some(help.into());
        self
    }
}

/// Everything verify found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The stack.
    pub stack: String,
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
    /// `emulator` or `aws`.
    pub target: String,
    /// The checks, grouped, in the order they ran.
    pub checks: Vec<Check>,
    /// How many checks came out each way.
    pub summary: Summary,
}

/// Counts of checks by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// Skipped.
    pub skipped: usize,
}

impl Report {
    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.summary.fail == 0
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    /// The check named `name`, if it ran.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    pub(crate) fn push(&mut self, check: Check) {
        match check.status {
            Status::Pass => self.summary.pass += 1,
            Status::Fail => self.summary.fail += 1,
            Status::Warn => self.summary.warn += 1,
            Status::Skipped => self.summary.skipped += 1,
        }
        self.checks.push(check);
    }
}

/// The table: one line per check, grouped, then the summary.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "verify: stack {}, account {}, region {} ({})",
            self.stack, self.account, self.region, self.target
        )?;
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut group = None;
        for check in &self.checks {
            if group != Some(check.group) {
                group = Some(check.group);
                writeln!(f)?;
                writeln!(f, "{}", check.group.title())?;
            }
            writeln!(
                f,
                "  {}  {:width$}  {}",
                check.status, check.name, check.detail
            )?;
            if let Some(help) = &check.help
                && check.status != Status::Pass
            {
                for line in help.lines() {
                    writeln!(f, "  {:4}  {:width$}  help: {line}", "", "")?;
                }
            }
        }
        writeln!(f)?;
        let s = &self.summary;
        write!(
            f,
            "{}: {} passed, {} failed, {} warning(s), {} skipped",
            if self.passed() {
                "verified"
            } else {
                "NOT verified"
            },
            s.pass,
            s.fail,
            s.warn,
            s.skipped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_groups_checks_and_counts_them() {
        let mut report = Report {
            stack: "iamkit".into(),
            account: "123456789012".into(),
            region: "ap-northeast-1".into(),
            target: "emulator".into(),
            ..Report::default()
        };
        report.push(Check::new(Group::Drift, "drift", Status::Pass, "empty"));
        report.push(
            Check::new(
                Group::Access,
                "dev-user-lists-buckets",
                Status::Fail,
                "expected Allow",
            )
            .help("fix develop-s3"),
        );
        report.push(Check::new(
            Group::Account,
            "root-mfa",
            Status::Skipped,
            "emulator",
        ));
        let table = report.to_string();
        assert!(!report.passed());
        assert_eq!(report.summary.fail, 1);
        assert!(
            table.contains("  FAIL  dev-user-lists-buckets  expected Allow\n"),
            "{table}"
        );
        assert!(table.contains("help: fix develop-s3"), "{table}");
        assert!(table.contains(Group::Access.title()), "{table}");
        assert!(
            table.ends_with("NOT verified: 1 passed, 1 failed, 0 warning(s), 1 skipped"),
            "{table}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["checks"][1]["status"], "fail");
        assert_eq!(json["summary"]["fail"], 1);
    }
}
