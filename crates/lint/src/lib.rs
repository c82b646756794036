//! The policy linter: what is wrong in a policy before anything is written to an account.
//!
//! [`lint`] runs every check on one policy document and returns [`Finding`]s, each with a
//! stable code, a severity grouped as IAM Access Analyzer groups them, and the file, line,
//! column and JSON pointer it is about. [`CHECKS`] lists every code. Findings that the user
//! accepted (a [`Suppression`]: a code and a written reason) stay in the output, marked
//! accepted, and do not fail the run.
//!
//! ```
//! use iamkit_lint::{LintOptions, Severity, lint};
//!
//! let source = r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{
//!     "Effect": "Allow",
//!     "Action": "iam:ListVirtualMFADevices",
//!     "Resource": "arn:aws:iam::123456789012:mfa/*"
//!   }]
//! }"#;
//! let findings = lint("enable-mfa.json", source, &LintOptions::default());
//! assert_eq!(findings[0].code, "star-only-action-scoped");
//! assert_eq!((findings[0].line, findings[0].column), (5, 15));
//! assert_eq!(findings[0].severity, Severity::Warning);
//! ```

/// The examples of `README.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

mod checks;
mod ctx;
mod escalation;
mod model;
mod reach;
mod shape;
mod trust;
mod values;

use std::fmt;

use serde::Serialize;

pub use checks::{Attachment, lint_attachments};

/// How bad a finding is, grouped as IAM Access Analyzer groups its policy checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy is invalid, or AWS will reject it.
    Error,
    /// The policy grants more than it should: a security risk.
    Security,
    /// The policy probably does not do what its author meant.
    Warning,
    /// The policy works, but could be written more clearly.
    Suggestion,
}

impl Severity {
    /// Whether a finding of this severity fails the run (error and security).
    pub fn fails(self) -> bool {
        matches!(self, Self::Error | Self::Security)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Security => "security",
            Self::Warning => "warning",
            Self::Suggestion => "suggestion",
        })
    }
}

/// One problem in one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// The stable code of the check (see [`CHECKS`]).
    pub code: &'static str,
    /// The file (or name) the document came from.
    pub file: String,
    /// 1-based line of the element the finding is about.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// JSON pointer to the element, for example `/Statement/0/Action/1`.
    pub pointer: String,
    /// What is wrong, in one line.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// The account the finding is about (`trust-cross-account`): an acceptance must name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The reason the user gave for accepting it, if they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
}

impl Finding {
    /// Whether the finding fails the run: an error or security finding not accepted.
    pub fn fails(&self) -> bool {
        self.severity.fails() && self.accepted.is_none()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let accepted = if self.accepted.is_some() {
            "accepted "
        } else {
            ""
        };
        writeln!(
            f,
            "{accepted}{}[{}]: {}:{}:{}: {}",
            self.severity, self.code, self.file, self.line, self.column, self.message
        )?;
        if !self.pointer.is_empty() {
            writeln!(f, "  --> {}", self.pointer)?;
        }
        write!(f, "  help: {}", self.help)?;
        if let Some(reason) = &self.accepted {
            write!(f, "\n  accepted: {reason}")?;
        }
        Ok(())
    }
}

/// A finding the user accepts, with the reason. It matches findings by code, and optionally
/// by file (the file name, its stem `manage-iam`, or the end of its path
/// `original/manage-iam.json`) and JSON pointer. A finding about an
/// account (`trust-cross-account`) is accepted only by a suppression that names that account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Suppression {
    /// The finding code, for example `pass-role-star`.
    pub code: String,
    /// Why it is acceptable; shown with the finding.
    pub reason: String,
    /// Only findings in this file (name or stem); all files when `None`.
    pub file: Option<String>,
    /// Only the finding at this JSON pointer; anywhere when `None`.
    pub pointer: Option<String>,
    /// Only the finding about this account; required for findings about an account.
    pub account: Option<String>,
}

impl Suppression {
    fn matches(&self, finding: &Finding) -> bool {
        if self.code != finding.code {
            return false;
        }
        if finding.account.is_some() && self.account != finding.account {
            return false;
        }
        if let Some(file) = &self.file {
            let path = std::path::Path::new(&finding.file);
            let stem = path.file_stem().and_then(|n| n.to_str());
            // A file name, a stem, or a path that ends the finding's (`original/enable-mfa.json`).
            if Some(file.as_str()) != stem && !path.ends_with(file) {
                return false;
            }
        }
        self.pointer
            .as_ref()
            .is_none_or(|pointer| *pointer == finding.pointer)
    }
}

/// What kind of policy a document is; it decides which checks apply and which size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyKind {
    /// Decide from the document: a statement with `Principal` makes it a resource policy
    /// (a trust policy when it allows an `sts:` action and names no `Resource`), otherwise an
    /// identity policy.
    #[default]
    Auto,
    /// A customer managed or inline policy attached to a user, group or role.
    Identity,
    /// A role's trust policy.
    Trust,
    /// Another resource-based policy, such as a bucket policy or a key policy.
    Resource,
    /// A service control policy of AWS Organizations.
    Scp,
    /// An AWS managed policy: an identity policy that AWS writes. The customer quota of
    /// 6,144 characters does not bind AWS (81 of its policies are larger).
    AwsManaged,
}

impl PolicyKind {
    /// Every kind, as `--kind` spells it.
    pub const NAMES: &[&str] = &[
        "auto",
        "identity",
        "trust",
        "resource",
        "scp",
        "aws-managed",
    ];

    /// Whether the document is attached to an identity (or bounds one, as an SCP does): its
    /// statements name no principal and need a `Resource`.
    pub fn is_identity(self) -> bool {
        matches!(self, Self::Identity | Self::AwsManaged | Self::Scp)
    }
}

impl std::str::FromStr for PolicyKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "auto" => Self::Auto,
            "identity" => Self::Identity,
            "trust" => Self::Trust,
            "resource" => Self::Resource,
            "scp" => Self::Scp,
            "aws-managed" => Self::AwsManaged,
            other => {
                return Err(format!(
                    "`{other}` is not a policy kind: use one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        })
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Identity => "identity",
            Self::Trust => "trust",
            Self::Resource => "resource",
            Self::Scp => "scp",
            Self::AwsManaged => "aws-managed",
        })
    }
}

/// How to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintOptions {
    /// Findings the user accepts.
    pub suppressions: Vec<Suppression>,
    /// The document is a template: `<account-id>` placeholders are expected and filled in
    /// later. Any other `<placeholder>` (and, when false, `<account-id>` too) is an error.
    pub template: bool,
    /// What kind of policy the document is.
    pub kind: PolicyKind,
    /// The account the policy lives in, when it is known. A trust or resource policy that
    /// names any other account grants cross-account access (`trust-cross-account`); with
    /// `None` that check has nothing to compare with and stays quiet.
    pub account: Option<OwnAccount>,
}

/// The account a policy lives in, as its principals would name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnAccount {
    /// A template's: `<account-id>`, filled in with the caller's account later.
    Placeholder,
    /// This account.
    Id(iamkit_arn::AccountId),
}

impl Default for LintOptions {
    fn default() -> Self {
        Self {
            suppressions: Vec::new(),
            template: true,
            kind: PolicyKind::Auto,
            account: None,
        }
    }
}

/// Lints one policy document. `file` is only used to label the findings.
/// Findings come sorted by position; accepted ones carry their reason.
pub fn lint(file: &str, source: &str, options: &LintOptions) -> Vec<Finding> {
    let mut findings = checks::run(file, source, options);
    accept(&mut findings, &options.suppressions);
    findings
}

/// Marks the findings that a suppression accepts.
pub fn accept(findings: &mut [Finding], suppressions: &[Suppression]) {
    for finding in findings.iter_mut() {
        if let Some(suppression) = suppressions.iter().find(|s| s.matches(finding)) {
            finding.accepted = Some(suppression.reason.clone());
        }
    }
}

/// Whether any finding fails the run (an error or security finding that is not accepted).
pub fn fails(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::fails)
}

/// One line summing up findings: `2 errors, 1 security, 3 warnings, 0 suggestions (1 accepted)`.
pub fn summary(findings: &[Finding]) -> String {
    let count = |severity: Severity| {
        findings
            .iter()
            .filter(|f| f.severity == severity && f.accepted.is_none())
            .count()
    };
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let accepted = findings.iter().filter(|f| f.accepted.is_some()).count();
    format!(
        "{}, {} security, {}, {} ({accepted} accepted)",
        plural(count(Severity::Error), "error"),
        count(Severity::Security),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Suggestion), "suggestion"),
    )
}

/// A check the linter runs: its stable code, severity and what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// The stable code findings carry.
    pub code: &'static str,
    /// The severity of its findings.
    pub severity: Severity,
    /// What it finds, in one line.
    pub summary: &'static str,
}

macro_rules! checks {
    ($($name:ident = $code:literal, $severity:ident, $summary:literal;)*) => {
        /// The stable codes, one constant per check.
        pub mod code {
            $(
                #[doc = $summary]
                pub const $name: &str = $code;
            )*
        }

        /// Every check, in the order the README lists them.
        pub const CHECKS: &[Check] = &[
            $(Check { code: $code, severity: Severity::$severity, summary: $summary },)*
        ];
    };
}

checks! {
    GRAMMAR = "grammar", Error, "the document is not a valid IAM policy (JSON syntax, elements, types)";
    VERSION_MISSING = "version-missing", Warning, "no `Version`: IAM assumes 2008-10-17";
    VERSION_OLD = "version-old", Warning, "`Version` is 2008-10-17 instead of 2012-10-17";
    VARIABLES_WITHOUT_VERSION = "variables-without-version", Error, "policy variables under version 2008-10-17 (or none) are literal text";
    UNKNOWN_SERVICE = "unknown-service", Error, "an action names a service prefix the catalog does not know";
    UNKNOWN_ACTION = "unknown-action", Error, "an action the service does not have";
    WILDCARD_MATCHES_NOTHING = "wildcard-matches-nothing", Error, "a wildcard action that matches no action";
    INVALID_ARN_ACCOUNT = "invalid-arn-account", Error, "an ARN whose account is not a 12-digit account id (`arn:aws:iam::12345:role/x`): it matches nothing";
    RESOURCE_MISMATCH = "resource-mismatch", Warning, "actions that can never apply to any resource the statement lists";
    STAR_ONLY_ACTION_SCOPED = "star-only-action-scoped", Warning, "an action that takes only `\"Resource\": \"*\"` given a scoped ARN: it grants nothing";
    PASS_ROLE_STAR = "pass-role-star", Security, "`iam:PassRole` (directly or through a wildcard) on every role";
    FULL_WILDCARD = "full-wildcard", Security, "`*` or `*:*` allowed on `*`: full administrator access";
    SERVICE_WILDCARD = "service-wildcard", Security, "`service:*` allowed on `*`: every action of a service";
    ALLOW_NOT_ACTION = "allow-not-action", Security, "`Allow` with `NotAction` grants every action not listed, of every service";
    ALLOW_NOT_RESOURCE = "allow-not-resource", Security, "`Allow` with `NotResource` grants every resource not listed";
    TRUST_ANY_PRINCIPAL = "trust-any-principal", Security, "a trust or resource policy allows any AWS principal (`\"AWS\": \"*\"`)";
    TRUST_CROSS_ACCOUNT = "trust-cross-account", Security, "a trust or resource policy names a principal of another account; accepting it takes `account`";
    TRUST_ROOT_WITHOUT_MFA = "trust-root-without-mfa", Security, "a role trusts an account root (every identity of the account) with no MFA condition";
    MFA_BOOL_IF_EXISTS = "mfa-bool-if-exists", Security, "MFA or credential management allowed under `BoolIfExists aws:MultiFactorAuthPresent`, which long-term access keys satisfy";
    UNKNOWN_CONDITION_KEY = "unknown-condition-key", Error, "a condition key that no service (or no global key) defines";
    CONDITION_KEY_NOT_APPLICABLE = "condition-key-not-applicable", Warning, "a condition key that none of the statement's actions supports";
    OPERATOR_TYPE_MISMATCH = "operator-type-mismatch", Warning, "a condition operator of the wrong type for the key (`StringEquals` on a date key)";
    NULL_IF_EXISTS = "null-if-exists", Error, "`Null` with `IfExists`";
    SET_OPERATOR_SINGLE_VALUED = "set-operator-single-valued", Warning, "`ForAllValues` or `ForAnyValue` on a single-valued key";
    REDUNDANT_ACTION = "redundant-action", Suggestion, "an action already covered by a wildcard (or listed twice) in the same statement";
    DUPLICATE_STATEMENT = "duplicate-statement", Suggestion, "two statements that say the same thing";
    POLICY_TOO_LARGE = "policy-too-large", Error, "a policy over the size quota of its kind (managed 6,144, trust 2,048, SCP 5,120 characters), not counting white space";
    TOO_MANY_POLICIES = "too-many-policies", Error, "more than 10 managed policies attached to a group, user or role";
    UNFILLED_PLACEHOLDER = "unfilled-placeholder", Error, "a `<placeholder>` left in the text";
    MISSING_RESOURCE = "missing-resource", Error, "a statement of an identity policy or SCP with neither `Resource` nor `NotResource`";
    MISSING_PRINCIPAL = "missing-principal", Error, "a statement of a trust or resource-based policy with no `Principal`";
    UNSUPPORTED_PRINCIPAL = "unsupported-principal", Error, "`Principal` or `NotPrincipal` in an identity policy or SCP";
    ALLOW_NOT_PRINCIPAL = "allow-not-principal", Security, "`Allow` with `NotPrincipal`: every principal not listed, anonymous ones included";
    SERVICE_PRINCIPAL_FORMAT = "service-principal-format", Error, "a service principal (or `iam:PassedToService` value) not of the form `SERVICE.amazonaws.com`";
    TRUST_SYNTAX = "trust-syntax", Error, "a role trust policy with `Resource`, `NotPrincipal`, or an action that does not assume a role";
    TRUST_ACTION_MISMATCH = "trust-action-mismatch", Error, "a trusted principal whose way of assuming a role (web identity, SAML, AssumeRole) the statement does not allow";
    OIDC_WITHOUT_AUDIENCE = "oidc-without-audience", Warning, "a role trusts an OIDC provider with no condition on its `aud` claim";
    GITHUB_WITHOUT_SUBJECT = "github-without-subject", Security, "a role trusts GitHub's OIDC provider with no condition on `sub` naming the repository";
    SAML_WITHOUT_AUDIENCE = "saml-without-audience", Warning, "a role trusts a SAML provider with no condition on `SAML:aud`";
    SERVICE_WITHOUT_SOURCE = "service-without-source", Security, "a resource-based policy allows a service principal with no `aws:SourceArn` or `aws:SourceAccount` condition";
    SOURCE_IP_PRIVATE = "source-ip-private", Error, "`aws:SourceIp` compared only with private ranges, which it never holds";
    SOURCE_IP_PRIVATE_SUBSET = "source-ip-private-subset", Suggestion, "a private range among public ones for `aws:SourceIp`";
    IP_VALUE_INVALID = "ip-value-invalid", Warning, "an `IpAddress` or `NotIpAddress` value that is not an address or CIDR range";
    IP_RANGE_HOST_BITS = "ip-range-host-bits", Suggestion, "a CIDR range with bits set after its prefix (`203.0.113.7/24`)";
    DATE_VALUE_INVALID = "date-value-invalid", Warning, "a `Date` operator's value that is not a date";
    BOOL_VALUE_INVALID = "bool-value-invalid", Warning, "a `Bool` value other than `true` or `false`";
    NUMERIC_VALUE_INVALID = "numeric-value-invalid", Warning, "a `Numeric` operator's value that is not a number";
    WILDCARD_WITHOUT_LIKE = "wildcard-without-like", Warning, "a `*` or `?` in a value of `StringEquals` (or its negation), which matches only itself";
    CREATE_SLR_STAR = "create-slr-star", Warning, "`iam:CreateServiceLinkedRole` allowed on `*` with no `iam:AWSServiceName` condition";
    PASS_ROLE_STAR_TO_SERVICE = "pass-role-star-to-service", Warning, "`iam:PassRole` on every role, limited by `iam:PassedToService` to some services";
    PRIVILEGE_ESCALATION = "privilege-escalation", Security, "permissions that together let their holder gain more (`iam:CreatePolicyVersion`, `iam:PassRole` with `lambda:CreateFunction` and a way to invoke, ...)";
    EMPTY_SID = "empty-sid", Suggestion, "a `Sid` that is empty";
    DUPLICATE_SID = "duplicate-sid", Warning, "two statements with the same `Sid`";
    REDUNDANT_RESOURCE = "redundant-resource", Suggestion, "a resource already covered by another entry (or listed twice) in the same statement";
    REDUNDANT_PRINCIPAL = "redundant-principal", Suggestion, "a principal listed twice in the same statement";
    ARN_RESOURCE_EMPTY = "arn-resource-empty", Warning, "an ARN with an empty resource part (`arn:aws:organizations::*:`): it matches nothing";
    VARIABLE_OUTSIDE_RESOURCE = "variable-outside-resource", Warning, "a policy variable before an ARN's fifth colon, where the IAM User Guide allows none";
}

/// The check with this code.
pub fn check(code: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_kebab_case() {
        let mut codes: Vec<&str> = CHECKS.iter().map(|c| c.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CHECKS.len());
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
        assert_eq!(
            check("pass-role-star").map(|c| c.severity),
            Some(Severity::Security)
        );
    }

    fn finding(code: &'static str, severity: Severity) -> Finding {
        Finding {
            severity,
            code,
            file: "policies/manage-iam.json".to_owned(),
            line: 7,
            column: 25,
            pointer: "/Statement/0/Resource".to_owned(),
            message: "m".to_owned(),
            help: "h".to_owned(),
            account: None,
            accepted: None,
        }
    }

    #[test]
    fn suppressions_match_by_code_file_and_pointer() {
        let mut findings = vec![
            finding(code::PASS_ROLE_STAR, Severity::Security),
            finding(code::SERVICE_WILDCARD, Severity::Security),
        ];
        assert!(fails(&findings));
        let accept_all = |file: Option<&str>, pointer: Option<&str>| Suppression {
            code: code::PASS_ROLE_STAR.to_owned(),
            reason: "admin passes roles".to_owned(),
            file: file.map(str::to_owned),
            pointer: pointer.map(str::to_owned),
            account: None,
        };
        accept(&mut findings, &[accept_all(Some("develop-s3"), None)]);
        assert_eq!(findings[0].accepted, None);
        accept(
            &mut findings,
            &[accept_all(Some("manage-iam"), Some("/Statement/1"))],
        );
        assert_eq!(findings[0].accepted, None);
        accept(
            &mut findings,
            &[accept_all(
                Some("manage-iam.json"),
                Some("/Statement/0/Resource"),
            )],
        );
        assert_eq!(findings[0].accepted.as_deref(), Some("admin passes roles"));
        assert_eq!(findings[1].accepted, None);
        assert!(fails(&findings), "the service wildcard is not accepted");
        accept(
            &mut findings[1..],
            &[Suppression {
                code: code::SERVICE_WILDCARD.to_owned(),
                reason: "by design".to_owned(),
                ..Suppression::default()
            }],
        );
        assert!(!fails(&findings));
        assert_eq!(
            summary(&findings),
            "0 errors, 0 security, 0 warnings, 0 suggestions (2 accepted)"
        );
    }

    #[test]
    fn rendering() {
        let mut f = finding(code::PASS_ROLE_STAR, Severity::Security);
        assert_eq!(
            f.to_string(),
            "security[pass-role-star]: policies/manage-iam.json:7:25: m\n  --> /Statement/0/Resource\n  help: h"
        );
        f.accepted = Some("why".to_owned());
        assert!(
            f.to_string()
                .starts_with("accepted security[pass-role-star]")
        );
        assert!(f.to_string().ends_with("\n  accepted: why"));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["severity"], "security");
        assert_eq!(json["accepted"], "why");
    }

    fn codes(source: &str, options: &LintOptions) -> Vec<&'static str> {
        lint("p.json", source, options)
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn account_placeholder_is_fine_in_templates_only() {
        let source = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::<account-id>:role/admin"}}"#;
        assert!(codes(source, &LintOptions::default()).is_empty());
        let filled = LintOptions {
            template: false,
            ..LintOptions::default()
        };
        assert_eq!(codes(source, &filled), [code::UNFILLED_PLACEHOLDER]);
    }

    fn identity(element: &str, resource: &str) -> String {
        serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Deny",
            "Action": "sts:AssumeRole", element: resource}})
        .to_string()
    }

    #[test]
    fn an_arn_account_that_is_not_twelve_digits_is_an_error() {
        let options = LintOptions::default();
        for bad in [
            "arn:aws:iam::12345:role/admin",
            "arn:aws:iam::12345678901a:user/x",
            "arn:aws:iam::1234-5678-9012:role/admin",
        ] {
            for element in ["Resource", "NotResource"] {
                let findings = lint("p.json", &identity(element, bad), &options);
                let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
                assert_eq!(codes, [code::INVALID_ARN_ACCOUNT], "{element} {bad}");
                assert_eq!(findings[0].pointer, format!("/Statement/{element}"));
                assert_eq!(findings[0].severity, Severity::Error);
            }
        }
        let dashes = lint(
            "p.json",
            &identity("Resource", "arn:aws:iam::1234-5678-9012:role/admin"),
            &options,
        );
        assert_eq!(
            dashes[0].help,
            "write the account id without separators: `123456789012`"
        );
    }

    #[test]
    fn arn_accounts_that_may_match_stay_quiet() {
        let filled = LintOptions {
            template: false,
            ..LintOptions::default()
        };
        for fine in [
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::bucket/a:b",
            "arn:aws:iam::123456789012:role/admin",
            "arn:aws:iam::*:role/x",
            "arn:aws:iam::1234*:role/x",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "*",
        ] {
            assert!(
                codes(&identity("Resource", fine), &filled).is_empty(),
                "{fine}"
            );
        }
        // The IAM User Guide allows policy variables only after the fifth colon, but IAM
        // accepts them before it (AWS ships one): a warning, once.
        let variable = identity("Resource", "arn:aws:iam::${aws:PrincipalAccount}:role/x");
        assert_eq!(codes(&variable, &filled), [code::VARIABLE_OUTSIDE_RESOURCE]);
        let template = identity("NotResource", "arn:aws:iam::<account-id>:role/admin");
        assert!(codes(&template, &LintOptions::default()).is_empty());
        // Outside a template the placeholder is reported once, as a placeholder.
        assert_eq!(codes(&template, &filled), [code::UNFILLED_PLACEHOLDER]);
    }

    #[test]
    fn principal_arn_accounts() {
        let trust = |kind: &str, principal: &str| {
            serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Principal": {kind: principal}, "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo/app:*"}}}})
            .to_string()
        };
        let oidc = "oidc-provider/token.actions.githubusercontent.com";
        assert_eq!(
            codes(
                &trust("Federated", &format!("arn:aws:iam::12345:{oidc}")),
                &LintOptions::default()
            ),
            [code::INVALID_ARN_ACCOUNT]
        );
        assert!(
            codes(
                &trust("Federated", &format!("arn:aws:iam::<account-id>:{oidc}")),
                &LintOptions::default()
            )
            .is_empty()
        );
        let findings = lint(
            "p.json",
            &trust("AWS", "arn:aws:iam::12345:root"),
            &LintOptions::default(),
        );
        // An AWS principal assumes a role with sts:AssumeRole, which the statement lacks.
        let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [code::INVALID_ARN_ACCOUNT, code::TRUST_ACTION_MISMATCH]
        );
        assert_eq!(findings[0].pointer, "/Statement/Principal/AWS");
        // A bare account id that is not twelve digits is no ARN: the grammar reports it.
        assert_eq!(
            lint("p.json", &trust("AWS", "12345"), &LintOptions::default())
                .iter()
                .map(|f| f.code)
                .collect::<Vec<_>>(),
            [code::GRAMMAR, code::TRUST_ACTION_MISMATCH]
        );
    }

    #[test]
    fn oidc_claims_are_condition_keys_of_web_identity_requests() {
        let statement = |action: &str, key: &str| {
            serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::<account-id>:oidc-provider/token.actions.githubusercontent.com"},
                "Action": action, "Condition": {"StringEquals": {key: "x"}}}})
            .to_string()
        };
        let options = LintOptions::default();
        // Only what this test is about: whether the key is known and applies.
        let codes = |source: &str, options: &LintOptions| -> Vec<&'static str> {
            codes(source, options)
                .into_iter()
                .filter(|c| {
                    [
                        code::UNKNOWN_CONDITION_KEY,
                        code::CONDITION_KEY_NOT_APPLICABLE,
                    ]
                    .contains(c)
                })
                .collect()
        };
        let github = "token.actions.githubusercontent.com";
        for claim in ["aud", "sub"] {
            let key = format!("{github}:{claim}");
            let web_identity = statement("sts:AssumeRoleWithWebIdentity", &key);
            assert!(codes(&web_identity, &options).is_empty(), "{key}");
            assert_eq!(
                codes(&statement("sts:AssumeRole", &key), &options),
                [code::CONDITION_KEY_NOT_APPLICABLE]
            );
        }
        let typo = statement(
            "sts:AssumeRoleWithWebIdentity",
            &format!("{github}:subject"),
        );
        assert_eq!(codes(&typo, &options), [code::UNKNOWN_CONDITION_KEY]);
    }

    #[test]
    fn the_kind_decides_the_trust_checks_and_the_size_limit() {
        let trust = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "<account-id>"}, "Action": "sts:AssumeRole"}}"#;
        assert_eq!(
            codes(trust, &LintOptions::default()),
            [code::TRUST_ROOT_WITHOUT_MFA]
        );
        let resource = LintOptions {
            kind: PolicyKind::Resource,
            ..LintOptions::default()
        };
        assert!(codes(trust, &resource).is_empty());
        // A trust policy over 2,048 characters (not counting white space) is too large.
        let principals: Vec<String> = (0..120)
            .map(|i| format!("\"arn:aws:iam::<account-id>:role/r{i:04}\""))
            .collect();
        let large = format!(
            r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow",
            "Principal": {{"AWS": [{}]}}, "Action": "sts:AssumeRole"}}}}"#,
            principals.join(", ")
        );
        assert_eq!(
            codes(&large, &LintOptions::default()),
            [code::POLICY_TOO_LARGE]
        );
    }

    /// The policy's own account is `<account-id>` in a template, or the one given. Any other
    /// account in an `AWS` principal is cross-account access, which only an acceptance naming
    /// that account accepts. Without an account to compare with, nothing is said.
    #[test]
    fn principals_of_another_account_are_cross_account() {
        let trust = |principal: &str| {
            serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}})
            .to_string()
        };
        let template = LintOptions {
            account: Some(OwnAccount::Placeholder),
            ..LintOptions::default()
        };
        for other in [
            "123456789013",
            "arn:aws:iam::123456789013:root",
            "arn:aws:iam::123456789013:role/auditor",
        ] {
            let findings = lint("p.json", &trust(other), &template);
            let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
            assert_eq!(codes, [code::TRUST_CROSS_ACCOUNT], "{other}");
            assert_eq!(findings[0].account.as_deref(), Some("123456789013"));
            assert_eq!(findings[0].pointer, "/Statement/Principal/AWS");
        }
        for own in ["<account-id>", "arn:aws:iam::<account-id>:role/x", "*"] {
            let findings = lint("p.json", &trust(own), &template);
            assert!(
                findings.iter().all(|f| f.code != code::TRUST_CROSS_ACCOUNT),
                "{own}: {findings:?}"
            );
        }
        let filled = |account: Option<&str>| LintOptions {
            template: false,
            account: account.map(|a| OwnAccount::Id(a.parse().unwrap())),
            ..LintOptions::default()
        };
        let root = trust("arn:aws:iam::123456789013:root");
        assert!(codes(&root, &filled(Some("123456789013"))).is_empty());
        assert_eq!(
            codes(&root, &filled(Some("123456789012"))),
            [code::TRUST_CROSS_ACCOUNT]
        );
        // With no account to compare with, there is nothing to say.
        assert!(codes(&root, &filled(None)).is_empty());
        assert!(codes(&root, &LintOptions::default()).is_empty());

        // Accepting it takes the account.
        let mut findings = lint("p.json", &root, &template);
        let accept = |account: Option<&str>| Suppression {
            code: code::TRUST_CROSS_ACCOUNT.to_owned(),
            reason: "the auditors".to_owned(),
            account: account.map(str::to_owned),
            ..Suppression::default()
        };
        accept_all(&mut findings, &[accept(None), accept(Some("123456789014"))]);
        assert!(fails(&findings));
        accept_all(&mut findings, &[accept(Some("123456789013"))]);
        assert!(!fails(&findings));
    }

    /// A bucket policy that denies everything without TLS is no trust policy, though its
    /// `Action` is `*`: it names a `Resource`, which a trust policy never does.
    #[test]
    fn a_resource_policy_with_every_action_is_no_trust_policy() {
        let bucket = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
            "Action": "*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}"#;
        assert!(codes(bucket, &LintOptions::default()).is_empty());
        let trust = LintOptions {
            kind: PolicyKind::Trust,
            ..LintOptions::default()
        };
        assert_eq!(codes(bucket, &trust), [code::TRUST_SYNTAX]);
    }

    /// A service control policy: its `Allow` sets a ceiling and grants nothing, it names no
    /// principal, and its quota is Organizations' 5,120 characters.
    #[test]
    fn service_control_policies() {
        let scp = LintOptions {
            kind: PolicyKind::Scp,
            ..LintOptions::default()
        };
        // AWS's `FullAWSAccess`.
        let full = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
        assert!(codes(full, &scp).is_empty());
        assert!(codes(full, &LintOptions::default()).contains(&code::FULL_WILDCARD));
        let principal = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Principal": "*", "Action": "iam:DeleteRole", "Resource": "*"}]}"#;
        assert_eq!(codes(principal, &scp), [code::UNSUPPORTED_PRINCIPAL]);
        let actions: Vec<String> = (0..300)
            .map(|i| format!("\"ec2:Describe{i:04}*\""))
            .collect();
        let large = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Deny", "Action": [{}], "Resource": "*"}}]}}"#,
            actions.join(", ")
        );
        assert!(codes(&large, &scp).contains(&code::POLICY_TOO_LARGE));
        let aws_managed = LintOptions {
            kind: PolicyKind::AwsManaged,
            ..LintOptions::default()
        };
        assert!(!codes(&large, &aws_managed).contains(&code::POLICY_TOO_LARGE));
    }

    fn accept_all(findings: &mut [Finding], suppressions: &[Suppression]) {
        accept(findings, suppressions);
    }
}
