//! `cargo xtask lint [PATH...] [--output json]`: lint policy files before anything is written.
//!
//! A folder stands for the `*.json` files directly in it (not `*.schema.json`), plus two files
//! when they are there: `lint.toml`, whose `[[accept]]` entries accept findings with a written
//! reason, and the `baseline.toml` manifest, read as `cargo xtask setup` reads it, whose groups
//! and roles are checked against the quota of managed policies and whose roles' trust policies
//! are linted as the provisioner writes them (`iamkit_provision::trust_policy`, with the
//! `<account-id>` placeholder for the account). Exit status 1 when an error or security finding
//! is not accepted, or when the manifest itself has a problem.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use iamkit_arn::Template;
use iamkit_policy::lint::{self, Attachment, Finding, LintOptions, PolicyKind, Suppression};
use iamkit_provision::{Trust, parse_manifest, trust_policy};

/// The placeholder the policy templates write for the account id.
const ACCOUNT_PLACEHOLDER: &str = Template::ACCOUNT_ID;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (default: `policies/`).
    paths: Vec<PathBuf>,
    /// `text` for people, `json` for scripts (an array of findings).
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Output {
    Text,
    Json,
}

/// The manifest's file name in a policy folder.
const MANIFEST: &str = "baseline.toml";
/// The accepted findings' file name in a policy folder.
pub(crate) const ACCEPTED: &str = "lint.toml";

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let root = crate::project_root();
    let paths = if args.paths.is_empty() {
        vec![root.join("policies")]
    } else {
        args.paths
    };
    let mut files = Vec::new();
    let mut manifests = Vec::new();
    let mut accepted = Vec::new();
    for path in &paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| is_policy_file(p))
                .collect();
            found.sort();
            files.extend(found);
            let manifest = path.join(MANIFEST);
            if manifest.is_file() {
                manifests.push(manifest);
            }
            let accepts = path.join(ACCEPTED);
            if accepts.is_file() {
                accepted.push(accepts);
            }
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{} is neither a file nor a folder", path.display());
        }
    }

    let (findings, _accepted) = lint_all(&root, &files, &manifests, &accepted)?;

    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&findings)?),
        Output::Text => {
            for finding in &findings {
                println!("{finding}\n");
            }
            println!(
                "{} files: {} in {:.1} ms",
                files.len(),
                lint::summary(&findings),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    let failing = findings.iter().filter(|f| f.fails()).count();
    if failing > 0 {
        bail!("{failing} error or security findings are not accepted");
    }
    Ok(())
}

/// Lints the files and manifests and marks what the `lint.toml` files accept.
fn lint_all(
    root: &Path,
    files: &[PathBuf],
    manifests: &[PathBuf],
    accepted: &[PathBuf],
) -> Result<(Vec<Finding>, usize)> {
    let mut suppressions = Vec::new();
    for path in accepted {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let label = display(path, root);
        suppressions.extend(read_accepted(&text).with_context(|| format!("reading {label}"))?);
    }
    let options = LintOptions {
        suppressions,
        ..LintOptions::default()
    };
    let mut findings = Vec::new();
    for manifest in manifests {
        let text = std::fs::read_to_string(manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let label = display(manifest, root);
        let parsed = read_manifest(manifest, &text).with_context(|| format!("reading {label}"))?;
        findings.extend(lint::lint_attachments(&label, &parsed.attachments));
        for trust in &parsed.trusts {
            findings.extend(lint_trust(&label, trust, &options));
        }
    }
    for file in files {
        let source =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        findings.extend(lint::lint(&display(file, root), &source, &options));
    }
    lint::accept(&mut findings, &options.suppressions);
    Ok((findings, options.suppressions.len()))
}

/// Lints a role's trust policy as the provisioner builds it from the manifest, and reports
/// the findings at the role in the manifest.
fn lint_trust(label: &str, trust: &RoleTrust, options: &LintOptions) -> Vec<Finding> {
    let options = LintOptions {
        kind: PolicyKind::Trust,
        template: trust.template,
        ..options.clone()
    };
    lint::lint(&format!("role {}", trust.role), &trust.source, &options)
        .into_iter()
        .map(|finding| Finding {
            help: match finding.code {
                lint::code::TRUST_ROOT_WITHOUT_MFA => format!(
                    "add `require_mfa = true` to the `trust` of role `{}`",
                    trust.role
                ),
                lint::code::INVALID_ARN_ACCOUNT => format!(
                    "write a 12-digit account id in the `trust` of role `{}`",
                    trust.role
                ),
                lint::code::UNFILLED_PLACEHOLDER => format!(
                    "write the account id in the `trust` of role `{}`: the provisioner fills `<account-id>` only in policy files",
                    trust.role
                ),
                _ => finding.help,
            },
            file: label.to_owned(),
            line: trust.line,
            column: trust.column,
            pointer: String::new(),
            message: format!("role `{}` trust policy: {}", trust.role, finding.message),
            ..finding
        })
        .collect()
}

fn is_policy_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    path.is_file() && name.ends_with(".json") && !name.ends_with(".schema.json")
}

/// The path as the user would write it: relative to the workspace root when inside it.
fn display(path: &Path, root: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    absolute
        .strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What the linter takes from the manifest.
#[derive(Debug, Default, PartialEq)]
struct ManifestLint {
    attachments: Vec<Attachment>,
    trusts: Vec<RoleTrust>,
}

/// A role's trust policy as the provisioner writes it, and where the role is in the manifest.
#[derive(Debug, PartialEq)]
struct RoleTrust {
    role: String,
    /// The document, with `<account-id>` for the caller's account.
    source: String,
    /// Whether `<account-id>` in it is filled in (see [`trust_document`]).
    template: bool,
    line: usize,
    column: usize,
}

/// Reads `lint.toml`: `[[accept]]` entries with `code`, `reason`, and optionally `policy`
/// (a file name or stem) and `pointer`.
pub(crate) fn read_accepted(text: &str) -> Result<Vec<Suppression>> {
    let table: toml::Table = text.parse()?;
    let mut out = Vec::new();
    let entries = table.get("accept").and_then(toml::Value::as_array);
    for (i, entry) in entries.into_iter().flatten().enumerate() {
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        };
        let (Some(code), Some(reason)) = (field("code"), field("reason")) else {
            bail!("[[accept]] entry {} needs a `code` and a `reason`", i + 1);
        };
        if reason.trim().is_empty() {
            bail!("[[accept]] entry {} for `{code}` gives no reason", i + 1);
        }
        if lint::check(&code).is_none() {
            bail!(
                "[[accept]] entry {} names `{code}`, which is not a lint code",
                i + 1
            );
        }
        out.push(Suppression {
            code,
            reason,
            file: field("policy"),
            pointer: field("pointer"),
        });
    }
    Ok(out)
}

/// What each policy file the manifest names stands for while the manifest is read here: the
/// files are linted on their own, so an error in one does not keep the manifest's roles and
/// attachments from being linted (and is not reported twice).
const STAND_IN_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#;

/// Reads the manifest as the provisioner does (`iamkit_provision::parse_manifest`): the
/// managed policies of each group and role, and each role's trust policy, built by
/// `iamkit_provision::trust_policy`. A problem in the manifest itself (a bad name, a
/// reference to a policy it does not list, a trust it cannot build) fails the lint, as it
/// fails `cargo xtask setup`.
fn read_manifest(path: &Path, text: &str) -> Result<ManifestLint> {
    let dir = path.parent().unwrap_or(Path::new("")).to_owned();
    let manifest = parse_manifest(path, text, &mut |file| {
        std::fs::metadata(dir.join(file)).map(|_| STAND_IN_POLICY.to_owned())
    })
    .map_err(|errors| anyhow!("{errors}"))?;
    let mut out = ManifestLint::default();
    let groups = manifest
        .groups
        .iter()
        .map(|(n, g)| ("group", n, &g.policies));
    let roles = manifest.roles.iter().map(|(n, r)| ("role", n, &r.policies));
    // Users get their policies from their groups: the manifest attaches none to them.
    for (kind, name, policies) in groups.chain(roles) {
        let (line, column) = locate_name(text, kind, name);
        out.attachments.push(Attachment {
            kind: kind.to_owned(),
            name: name.clone(),
            policies: policies.clone(),
            line,
            column,
        });
    }
    for (name, role) in &manifest.roles {
        let (source, template) = trust_document(&role.trust)?;
        let (line, column) = locate_name(text, "role", name);
        out.trusts.push(RoleTrust {
            role: name.clone(),
            source,
            template,
            line,
            column,
        });
    }
    Ok(out)
}

/// Account ids that stand for the account `cargo xtask setup` will find, which the lint,
/// offline, does not know. Two, in case the manifest itself names one of them.
const SENTINELS: [&str; 2] = ["000000000000", "999999999999"];

/// The trust policy `iamkit_provision::trust_policy` writes for `trust` (in partition `aws`),
/// with the caller's account id as the `<account-id>` placeholder, so that findings show the
/// placeholder rather than a made-up id. Also whether the text is a template: it is not when
/// the manifest wrote `<account-id>` itself (in a `provider`), which the provisioner writes to
/// AWS as it is.
fn trust_document(trust: &Trust) -> Result<(String, bool)> {
    let build = |account: &str| -> Result<String> {
        let own = account.parse()?;
        Ok(serde_json::to_string_pretty(&trust_policy(
            trust, "aws", &own,
        ))?)
    };
    let [first, second] = SENTINELS;
    let (a, b) = (build(first)?, build(second)?);
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
    Ok((source, template))
}

/// The line and column of `name`'s table (`[roles.admin]`), or else of where `name` is first
/// written as a quoted string or a table name.
fn locate_name(text: &str, kind: &str, name: &str) -> (usize, usize) {
    let header = format!("[{kind}s.{name}]");
    let quoted = format!("\"{name}\"");
    let dotted = format!(".{name}]");
    let position = |needle: &str, skip: usize| {
        text.lines().enumerate().find_map(|(i, line)| {
            let column = line.find(needle)? + skip;
            Some((
                i + 1,
                line.get(..column).map_or(0, |s| s.chars().count()) + 1,
            ))
        })
    };
    position(&header, kind.len() + 3)
        .or_else(|| {
            position(&quoted, 0)
                .into_iter()
                .chain(position(&dotted, 1))
                .min()
        })
        .unwrap_or((1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest next to the baseline's policy files, which it may name.
    fn read(text: &str) -> Result<ManifestLint> {
        read_manifest(&crate::project_root().join("policies/test.toml"), text)
    }

    const HEAD: &str = r#"stack = "iamkit"

[policies]
develop-lambda = "develop-lambda.json"
develop-s3 = "develop-s3.json"
manage-iam = "manage-iam.json"
"#;

    fn codes(parsed: &ManifestLint, role: &str) -> Vec<&'static str> {
        let trust = parsed.trusts.iter().find(|t| t.role == role).unwrap();
        lint_trust("policies/baseline.toml", trust, &LintOptions::default())
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn manifest_attachments_and_trust_policies() {
        let text = format!(
            r#"{HEAD}
[groups.developer]
policies = ["develop-lambda", "develop-s3"]

[roles.admin]
trust = {{ account = "self" }}
policies = ["manage-iam"]

[roles.exec-lambda]
trust = {{ service = "lambda.amazonaws.com" }}

[roles.audited]
trust = {{ account = "123456789012", require_mfa = true }}

[roles.ci]
trust = {{ github = "octo/iamkit", branch = "main" }}
"#
        );
        let parsed = read(&text).unwrap();
        let names: Vec<(&str, &str, usize)> = parsed
            .attachments
            .iter()
            .map(|a| (a.kind.as_str(), a.name.as_str(), a.line))
            .collect();
        assert_eq!(
            names,
            [
                ("group", "developer", 8),
                ("role", "admin", 11),
                ("role", "audited", 18),
                ("role", "ci", 21),
                ("role", "exec-lambda", 15),
            ]
        );
        assert_eq!(parsed.trusts.len(), 4);
        assert_eq!(codes(&parsed, "admin"), ["trust-root-without-mfa"]);
        assert!(codes(&parsed, "audited").is_empty());
        assert!(codes(&parsed, "exec-lambda").is_empty());
        // GitHub's OIDC trust is linted too, with the caller's account as the placeholder.
        assert!(codes(&parsed, "ci").is_empty());
        let ci = parsed.trusts.iter().find(|t| t.role == "ci").unwrap();
        let document: serde_json::Value = serde_json::from_str(&ci.source).unwrap();
        assert_eq!(
            document["Statement"][0]["Principal"]["Federated"],
            "arn:aws:iam::<account-id>:oidc-provider/token.actions.githubusercontent.com"
        );
        assert_eq!(
            document["Statement"][0]["Action"],
            "sts:AssumeRoleWithWebIdentity"
        );
        let admin = parsed.trusts.iter().find(|t| t.role == "admin").unwrap();
        let finding = &lint_trust("policies/baseline.toml", admin, &LintOptions::default())[0];
        assert_eq!((finding.line, finding.column), (11, 8));
        assert!(finding.message.starts_with("role `admin` trust policy: "));
        assert_eq!(
            finding.help,
            "add `require_mfa = true` to the `trust` of role `admin`"
        );
    }

    /// Each kind of trust is linted as exactly the document the provisioner writes: filling
    /// the placeholder with an account gives what `trust_policy` writes for that account.
    #[test]
    fn trust_documents_are_the_provisioners() {
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
            let (source, template) = trust_document(trust).unwrap();
            assert!(template, "{trust:?}");
            let filled: serde_json::Value =
                serde_json::from_str(&source.replace(ACCOUNT_PLACEHOLDER, own)).unwrap();
            assert_eq!(
                filled,
                trust_policy(trust, "aws", &own.parse().unwrap()),
                "{trust:?}"
            );
        }
        let (own_root, _) = trust_document(&trusts[0]).unwrap();
        assert!(
            own_root.contains("arn:aws:iam::<account-id>:root"),
            "{own_root}"
        );
        let (other_root, _) = trust_document(&trusts[1]).unwrap();
        assert!(
            other_root.contains("arn:aws:iam::000000000000:root"),
            "{other_root}"
        );
    }

    #[test]
    fn a_github_provider_is_linted_as_written() {
        let role = |provider: &str| {
            format!(
                "{HEAD}\n[roles.ci]\ntrust = {{ github = \"octo/iamkit\", branch = \"main\", provider = \"{provider}\" }}\n"
            )
        };
        let host = "oidc-provider/token.actions.githubusercontent.com";
        let short = read(&role(&format!("arn:aws:iam::12345:{host}"))).unwrap();
        assert_eq!(codes(&short, "ci"), ["invalid-arn-account"]);
        let finding = &lint_trust(
            "policies/baseline.toml",
            &short.trusts[0],
            &LintOptions::default(),
        )[0];
        assert_eq!((finding.line, finding.column), (8, 8));
        // The provisioner fills a placeholder in `provider` with the account id.
        let placeholder = read(&role(&format!("arn:aws:iam::<account-id>:{host}"))).unwrap();
        assert!(placeholder.trusts[0].template);
        assert!(codes(&placeholder, "ci").is_empty());
    }

    #[test]
    fn a_problem_in_the_manifest_fails_the_lint() {
        let text = format!("{HEAD}\n[roles.admin]\ntrust = {{ account = \"12345\" }}\n");
        let error = read(&text).unwrap_err();
        assert!(error.to_string().contains("test.toml:9:"), "{error}");
        let text = format!("{HEAD}\n[groups.developer]\npolicies = [\"missing\"]\n");
        assert!(read(&text).is_err());
    }

    #[test]
    fn accepted_findings_need_a_known_code_and_a_reason() {
        let text = "[[accept]]\ncode = \"pass-role-star\"\npolicy = \"manage-iam\"\nreason = \"admin administers IAM\"\n";
        let accepted = read_accepted(text).unwrap();
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].file.as_deref(), Some("manage-iam"));
        let err = read_accepted("[[accept]]\ncode = \"nope\"\nreason = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("`nope`"), "{err}");
        let err =
            read_accepted("[[accept]]\ncode = \"service-wildcard\"\nreason = \" \"\n").unwrap_err();
        assert!(err.to_string().contains("no reason"), "{err}");
    }

    /// The done-when of the linter: the baseline has no error finding, and every security
    /// finding left is accepted in `policies/lint.toml` with a reason.
    #[test]
    fn the_baseline_passes_with_its_accepted_findings() {
        let root = crate::project_root();
        let dir = root.join("policies");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| is_policy_file(p))
            .collect();
        files.sort();
        assert_eq!(files.len(), 9);
        let manifests: Vec<PathBuf> = Some(dir.join(MANIFEST))
            .filter(|p| p.is_file())
            .into_iter()
            .collect();
        let (findings, accepted) =
            lint_all(&root, &files, &manifests, &[dir.join(ACCEPTED)]).unwrap();
        assert!(accepted > 0);
        let failing: Vec<String> = findings
            .iter()
            .filter(|f| f.fails())
            .map(|f| f.to_string())
            .collect();
        assert!(failing.is_empty(), "{}", failing.join("\n"));
        assert!(findings.iter().all(|f| f.severity != lint::Severity::Error));
        assert!(findings.iter().any(|f| f.accepted.is_some()));
    }
}
