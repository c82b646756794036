//! The one decision "may this be written": every finding of the linter about a manifest,
//! with the acceptances of the `lint.toml` beside it.
//!
//! [`review`] lints each policy file as the identity policy it will be, the managed policies
//! attached to each group and role against IAM's quota, and each role's trust policy exactly as
//! [`trust_policy`] writes it (with `<account-id>` for the caller's account, so that any other
//! account is a `trust-cross-account` finding). [`Review::gate`] turns every error and every
//! security finding that is not accepted into a located error. `cargo xtask lint`, `cargo
//! xtask setup`, [`crate::load_manifest`] and the library's setup flow all ask these two, so
//! they cannot disagree.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use iamkit_arn::Partition;
use iamkit_lint::{self as lint, Attachment, Finding, LintOptions, OwnAccount, PolicyKind};

use crate::{
    acceptances::ACCEPTANCES,
    desired::trust_policy,
    located::{ManifestError, ManifestErrors},
    manifest::{Manifest, Trust, read_manifest},
    policy_file::{self, ACCOUNT_PLACEHOLDER},
};

/// Everything the linter says about a manifest, acceptances applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Review {
    /// Every finding, sorted by file and position; accepted ones carry their reason.
    pub findings: Vec<Finding>,
}

impl Review {
    /// Whether the manifest may be written: no error, and no security finding that is not
    /// accepted.
    pub fn passes(&self) -> bool {
        !lint::fails(&self.findings)
    }

    /// The findings that stop a run.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.fails())
    }

    /// `Ok` when the manifest may be written; otherwise every finding that stops it, as an
    /// error with its file, line and column.
    pub fn gate(&self) -> Result<(), ManifestErrors> {
        let errors: Vec<ManifestError> = self.failing().map(policy_file::located).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ManifestErrors(errors))
        }
    }

    /// The reason `lint.toml` gives for accepting that role `role`'s trust asks for no MFA
    /// (`trust-root-without-mfa`), if it accepts it.
    pub fn accepted_trust_without_mfa(&self, role: &str) -> Option<&str> {
        let subject = trust_subject(role);
        self.findings
            .iter()
            .find(|f| {
                f.code == lint::code::TRUST_ROOT_WITHOUT_MFA && f.message.starts_with(&subject)
            })
            .and_then(|f| f.accepted.as_deref())
    }

    /// One line: `0 errors, 0 security, 2 warnings, 0 suggestions (5 accepted)`.
    pub fn summary(&self) -> String {
        lint::summary(&self.findings)
    }
}

/// Reads the manifest at `path`, every policy file it names and the `lint.toml` beside it, and
/// checks them: TOML syntax and fields, names, references between sections, then the review
/// ([`review`]): an error or a security finding that `lint.toml` does not accept
/// refuses the manifest. Every problem is reported, with its file, line and column.
pub fn load_manifest(path: &Path) -> Result<Manifest, ManifestErrors> {
    let manifest = read_manifest(path)?;
    review(&manifest).gate()?;
    Ok(manifest)
}

/// Reviews the manifest: its policy files, the managed policies of its groups and roles, and
/// its roles' trust policies, with its acceptances applied.
pub fn review(manifest: &Manifest) -> Review {
    let mut findings = Vec::new();
    for source in manifest.policies.values() {
        findings.extend(policy_file::lint_policy_file(&source.file, &source.text));
    }
    findings.extend(review_structure(manifest));
    lint::accept(&mut findings, &manifest.acceptances);
    Review { findings }
}

/// The findings about the manifest itself: attachments and trust policies.
fn review_structure(manifest: &Manifest) -> Vec<Finding> {
    let label = manifest.file.display().to_string();
    let groups = manifest
        .groups
        .iter()
        .map(|(n, g)| ("group", n, &g.policies));
    let roles = manifest.roles.iter().map(|(n, r)| ("role", n, &r.policies));
    // Users get their policies from their groups: the manifest attaches none to them.
    let attachments: Vec<Attachment> = groups
        .chain(roles)
        .map(|(kind, name, policies)| {
            let (line, column) = manifest.place(kind, name);
            Attachment {
                kind: kind.to_owned(),
                name: name.clone(),
                policies: policies.clone(),
                line,
                column,
            }
        })
        .collect();
    let mut findings = lint::lint_attachments(&label, &attachments);
    for (name, role) in &manifest.roles {
        findings.extend(lint_trust(
            &label,
            name,
            &role.trust,
            manifest.place("role", name),
        ));
    }
    findings
}

/// Lints role `role`'s trust policy as [`trust_policy`] writes it, and reports the findings
/// at the role in the manifest, with advice in the manifest's terms.
fn lint_trust(
    label: &str,
    role: &str,
    trust: &Trust,
    (line, column): (usize, usize),
) -> Vec<Finding> {
    let (source, template) = trust_template(trust);
    let options = LintOptions {
        kind: PolicyKind::Trust,
        template,
        // The caller's account is `<account-id>`: any other account is another's.
        account: template.then_some(OwnAccount::Placeholder),
        ..LintOptions::default()
    };
    lint::lint(&format!("role {role}"), &source, &options)
        .into_iter()
        .map(|finding| Finding {
            help: match finding.code {
                lint::code::TRUST_ROOT_WITHOUT_MFA => {
                    format!("add `require_mfa = true` to the `trust` of role `{role}`")
                }
                lint::code::INVALID_ARN_ACCOUNT => {
                    format!("write a 12-digit account id in the `trust` of role `{role}`")
                }
                lint::code::UNFILLED_PLACEHOLDER => format!(
                    "write the account id in the `trust` of role `{role}`: the provisioner fills `<account-id>` only in policy files"
                ),
                lint::code::TRUST_CROSS_ACCOUNT => format!(
                    "if `{}` is this account, write `account = \"self\"` in the `trust` of role `{role}`; otherwise accept it in `{ACCEPTANCES}` with `code = \"{}\"`, `account = \"{}\"` and a reason",
                    finding.account.as_deref().unwrap_or_default(),
                    finding.code,
                    finding.account.as_deref().unwrap_or_default(),
                ),
                _ => finding.help,
            },
            file: label.to_owned(),
            line,
            column,
            pointer: String::new(),
            message: format!("{}{}", trust_subject(role), finding.message),
            ..finding
        })
        .collect()
}

/// How a finding about role `role`'s trust policy begins.
fn trust_subject(role: &str) -> String {
    format!("role `{role}` trust policy: ")
}

/// Account ids that stand for the caller's account, which a review, offline, does not know.
/// Two, in case the manifest itself names one of them.
const SENTINELS: [&str; 2] = ["000000000000", "999999999999"];

/// The trust policy [`trust_policy`] writes for `trust` (in partition `aws`), with
/// `<account-id>` for the caller's account; and whether the text is a template: it is not when
/// the manifest wrote `<account-id>` itself (in a `provider`), which is filled in as it is.
pub fn trust_template(trust: &Trust) -> (String, bool) {
    let build = |account: &str| match account.parse() {
        Ok(own) => serde_json::to_string_pretty(&trust_policy(trust, &Partition::Aws, &own))
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let [first, second] = SENTINELS;
    let (a, b) = (build(first), build(second));
    let template = !a.contains(ACCOUNT_PLACEHOLDER);
    // The two builds differ only where the caller's account is written: a sentinel that the
    // other build does not hold stands only for it there.
    let source = if !b.contains(first) {
        a.replace(first, ACCOUNT_PLACEHOLDER)
    } else if !a.contains(second) {
        b.replace(second, ACCOUNT_PLACEHOLDER)
    } else {
        a
    };
    (source, template)
}

/// The policy files of a manifest, for a caller that lints a folder: the ones it names are
/// reviewed with it.
pub fn policy_files(manifest: &Manifest) -> BTreeSet<PathBuf> {
    manifest.policies.values().map(|p| p.file.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        acceptances::parse_acceptances, manifest::parse_manifest, policy_file::lint_policy_file,
    };

    fn check_messages(text: &str, expected: &[&str]) {
        let review = Review {
            findings: lint_policy_file(Path::new("p.json"), text),
        };
        let actual: Vec<String> = match review.gate() {
            Ok(()) => Vec::new(),
            Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(actual, expected);
    }

    #[test]
    fn a_valid_policy_passes() {
        check_messages(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}}"#,
            &[],
        );
    }

    #[test]
    fn every_error_is_reported_with_its_place() {
        let findings = lint_policy_file(
            Path::new("p.json"),
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"allow\",\n\"Action\":\"s3:GetObjekt\",\"Resource\":\"*\"}]}",
        );
        let errors = Review { findings }.gate().unwrap_err().0;
        assert!(!errors.is_empty());
        assert!(errors.iter().all(|e| e.location.is_some()), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.message.contains("[grammar]")),
            "{errors:?}"
        );
    }

    #[test]
    fn unfilled_placeholders_are_errors() {
        let findings = lint_policy_file(
            Path::new("p.json"),
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\n\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::<account-id>:role/<role-name>\"}]}",
        );
        let errors = Review { findings }.gate().unwrap_err().0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].location.map(|l| l.0), Some(2));
        assert!(errors[0].message.contains("<role-name>"), "{}", errors[0]);
    }

    const HEAD: &str = r#"stack = "kit"

[policies]
list = "list.json"
"#;
    const LIST: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}"#;
    const ADMIN: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}"#;

    /// The manifest `m/kit.toml` with the two policies and `lint.toml` (`accepted`, if any).
    fn manifest(text: &str, accepted: Option<&str>) -> Result<Manifest, ManifestErrors> {
        let mut manifest = parse_manifest(Path::new("m/kit.toml"), text, &mut |path| match path
            .to_str()
        {
            Some("list.json") => Ok(LIST.to_owned()),
            Some("admin.json") => Ok(ADMIN.to_owned()),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        })?;
        if let Some(text) = accepted {
            manifest.acceptances = parse_acceptances(Path::new("m/lint.toml"), text)?;
        }
        Ok(manifest)
    }

    fn failing(manifest: &Manifest) -> Vec<(&'static str, usize, usize)> {
        review(manifest)
            .failing()
            .map(|f| (f.code, f.line, f.column))
            .collect()
    }

    #[test]
    fn a_security_finding_refuses_the_manifest_until_it_is_accepted() {
        let text = format!(
            "{HEAD}admin = \"admin.json\"\n\n[groups.dev]\npolicies = [\"list\", \"admin\"]\n"
        );
        let open = manifest(&text, None).unwrap();
        let codes: Vec<&str> = failing(&open).iter().map(|f| f.0).collect();
        assert_eq!(codes, ["service-wildcard", "pass-role-star"]);
        let errors = review(&open).gate().unwrap_err().0;
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].file, Path::new("m/admin.json"));
        assert!(
            errors[1]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("accept it in `lint.toml`")),
            "{}",
            errors[1]
        );
        let accepted = manifest(
            &text,
            Some("[[accept]]\ncode = \"service-wildcard\"\npolicy = \"admin\"\nreason = \"r\"\n[[accept]]\ncode = \"pass-role-star\"\nreason = \"r\"\n"),
        )
        .unwrap();
        assert!(review(&accepted).passes());
    }

    #[test]
    fn cross_account_trust_is_its_own_finding_and_its_acceptance_names_the_account() {
        let role = |account: &str| {
            format!(
                "{HEAD}\n[roles.audit]\ntrust = {{ account = \"{account}\", require_mfa = true }}\n"
            )
        };
        let own = manifest(&role("self"), None).unwrap();
        assert!(review(&own).passes(), "{:?}", review(&own).findings);

        let other = role("123456789013");
        let refused = manifest(&other, None).unwrap();
        assert_eq!(failing(&refused), [("trust-cross-account", 6, 8)]);
        let findings = review(&refused).findings;
        let finding = findings.first().unwrap();
        assert_eq!(finding.account.as_deref(), Some("123456789013"));
        assert!(
            finding.help.contains("account = \"self\""),
            "{}",
            finding.help
        );

        // The acceptance of another finding of the trust does not cover it, nor does an
        // acceptance of another account.
        let accept =
            |fields: &str| format!("[[accept]]\n{fields}reason = \"the auditors' account\"\n");
        let mfa = manifest(
            &role("123456789013").replace(", require_mfa = true", ""),
            Some(&accept("code = \"trust-root-without-mfa\"\n")),
        )
        .unwrap();
        assert_eq!(failing(&mfa), [("trust-cross-account", 6, 8)]);
        let wrong = manifest(
            &other,
            Some(&accept(
                "code = \"trust-cross-account\"\naccount = \"123456789014\"\n",
            )),
        )
        .unwrap();
        assert_eq!(failing(&wrong), [("trust-cross-account", 6, 8)]);
        let right = manifest(
            &other,
            Some(&accept(
                "code = \"trust-cross-account\"\naccount = \"123456789013\"\n",
            )),
        )
        .unwrap();
        assert!(review(&right).passes());

        // Without the account, the acceptance itself is an error.
        let errors =
            manifest(&other, Some(&accept("code = \"trust-cross-account\"\n"))).unwrap_err();
        assert_eq!(
            errors.0[0].to_string(),
            "m/lint.toml:2:8: an acceptance of `trust-cross-account` must name the `account` it accepts\n  help: add `account = \"123456789012\"`: accepting one account never accepts another"
        );
    }

    #[test]
    fn trust_policies_are_reviewed_at_their_role() {
        let text = format!(
            "{HEAD}\n[groups.dev]\npolicies = [\"list\"]\n\n[roles.admin]\ntrust = {{ account = \"self\" }}\n"
        );
        let findings = review(&manifest(&text, None).unwrap()).findings;
        let found: Vec<(&str, usize, usize)> = findings
            .iter()
            .map(|f| (f.code, f.line, f.column))
            .collect();
        assert_eq!(found, [("trust-root-without-mfa", 9, 8)]);
        let trust = &findings[0];
        assert_eq!(trust.file, "m/kit.toml");
        assert!(trust.message.starts_with("role `admin` trust policy: "));
        assert_eq!(
            trust.help,
            "add `require_mfa = true` to the `trust` of role `admin`"
        );
    }

    /// Each kind of trust is reviewed as exactly the document the provisioner writes: filling
    /// the placeholder with an account gives what `trust_policy` writes for that account.
    #[test]
    fn trust_templates_are_the_provisioners() {
        let own = "123456789012";
        let trusts = [
            Trust::Account {
                account: None,
                require_mfa: true,
            },
            Trust::Account {
                account: Some("000000000000".parse().unwrap()),
                require_mfa: false,
            },
            Trust::Service("lambda.amazonaws.com".to_owned()),
            Trust::GithubOidc {
                provider: None,
                repository: "octo/iamkit".to_owned(),
                branch: "main".to_owned(),
            },
            Trust::GithubOidc {
                provider: Some(
                    "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"
                        .to_owned(),
                ),
                repository: "octo/iamkit".to_owned(),
                branch: "main".to_owned(),
            },
        ];
        for trust in &trusts {
            let (source, template) = trust_template(trust);
            assert!(template, "{trust:?}");
            let filled: serde_json::Value =
                serde_json::from_str(&source.replace(ACCOUNT_PLACEHOLDER, own)).unwrap();
            assert_eq!(
                filled,
                trust_policy(trust, &Partition::Aws, &own.parse().unwrap()),
                "{trust:?}"
            );
        }
        let (own_root, _) = trust_template(&trusts[0]);
        assert!(
            own_root.contains("arn:aws:iam::<account-id>:root"),
            "{own_root}"
        );
        let (other_root, _) = trust_template(&trusts[1]);
        assert!(
            other_root.contains("arn:aws:iam::000000000000:root"),
            "{other_root}"
        );
    }

    #[test]
    fn a_github_provider_is_reviewed_as_written() {
        let role = |provider: &str| {
            format!(
                "{HEAD}\n[roles.ci]\ntrust = {{ github = \"octo/iamkit\", branch = \"main\", provider = \"{provider}\" }}\n"
            )
        };
        let host = "oidc-provider/token.actions.githubusercontent.com";
        let short = manifest(&role(&format!("arn:aws:iam::12345:{host}")), None).unwrap();
        assert_eq!(failing(&short), [("invalid-arn-account", 6, 8)]);
        // The provisioner fills a placeholder in `provider` with the account id.
        let placeholder =
            manifest(&role(&format!("arn:aws:iam::<account-id>:{host}")), None).unwrap();
        assert!(review(&placeholder).findings.is_empty());
    }
}
