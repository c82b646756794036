//! `cargo xtask lint [PATH...] [--output json]`: lint policy files before anything is written.
//!
//! A folder stands for the `*.json` files directly in it (not `*.schema.json`), plus two files
//! when they are there: `lint.toml`, whose `[[accept]]` entries accept findings with a written
//! reason, and the `baseline.toml` manifest, whose groups, users and roles are checked against
//! the quota of managed policies and whose roles' trust policies are linted as the provisioner
//! writes them. Exit status 1 when an error or security finding is not accepted.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use iamkit_policy::lint::{self, Attachment, Finding, LintOptions, PolicyKind, Suppression};

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
        let parsed = read_manifest(&text).with_context(|| format!("reading {label}"))?;
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
        ..options.clone()
    };
    let source = serde_json::to_string_pretty(&trust.policy).unwrap_or_default();
    lint::lint(&format!("role {}", trust.role), &source, &options)
        .into_iter()
        .map(|finding| Finding {
            help: if finding.code == lint::code::TRUST_ROOT_WITHOUT_MFA {
                format!(
                    "add `require_mfa = true` to the `trust` of role `{}`",
                    trust.role
                )
            } else {
                finding.help
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
    policy: serde_json::Value,
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

/// Reads the managed policies of each group, user and role (tables keyed by name:
/// `[groups.developer] policies = [...]`) and each role's `trust` (`account = "self"` or an
/// account id, with `require_mfa`; or `service`). Everything else in the manifest is the
/// provisioner's and is ignored here.
fn read_manifest(text: &str) -> Result<ManifestLint> {
    let table: toml::Table = text.parse()?;
    let mut out = ManifestLint::default();
    for (key, kind) in [("groups", "group"), ("users", "user"), ("roles", "role")] {
        let identities: Vec<(String, &toml::Value)> = match table.get(key) {
            Some(toml::Value::Array(items)) => items
                .iter()
                .filter_map(|item| {
                    let name = item.get("name")?.as_str()?.to_owned();
                    Some((name, item))
                })
                .collect(),
            Some(toml::Value::Table(map)) => map
                .iter()
                .map(|(name, item)| (name.clone(), item))
                .collect(),
            _ => Vec::new(),
        };
        for (name, item) in identities {
            let policies = item
                .get("policies")
                .or_else(|| item.get("managed_policies"))
                .and_then(toml::Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let (line, column) = locate_name(text, &name);
            if kind == "role"
                && let Some(policy) = item.get("trust").and_then(trust_policy)
            {
                out.trusts.push(RoleTrust {
                    role: name.clone(),
                    policy,
                    line,
                    column,
                });
            }
            out.attachments.push(Attachment {
                kind: kind.to_owned(),
                name,
                policies,
                line,
                column,
            });
        }
    }
    Ok(out)
}

/// The trust policy the provisioner writes for a manifest `trust` table (the same document as
/// `iamkit_provision::trust_policy`, with the `<account-id>` placeholder for this account).
fn trust_policy(trust: &toml::Value) -> Option<serde_json::Value> {
    if let Some(service) = trust.get("service").and_then(toml::Value::as_str) {
        return Some(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }],
        }));
    }
    let account = trust.get("account")?.as_str()?;
    let account = if account == "self" {
        "<account-id>"
    } else {
        account
    };
    let mut statement = serde_json::json!({
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "sts:AssumeRole",
    });
    let require_mfa = trust.get("require_mfa").and_then(toml::Value::as_bool) == Some(true);
    if require_mfa && let Some(object) = statement.as_object_mut() {
        object.insert(
            "Condition".to_owned(),
            serde_json::json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        );
    }
    Some(serde_json::json!({"Version": "2012-10-17", "Statement": [statement]}))
}

/// The line and column where `name` is first written as a quoted string or a table name.
fn locate_name(text: &str, name: &str) -> (usize, usize) {
    let quoted = format!("\"{name}\"");
    let dotted = format!(".{name}]");
    for (i, line) in text.lines().enumerate() {
        let found = line
            .find(&quoted)
            .or_else(|| line.find(&dotted).map(|at| at + 1));
        if let Some(column) = found {
            return (
                i + 1,
                line.get(..column).map_or(0, |s| s.chars().count()) + 1,
            );
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_attachments_and_trust_policies() {
        let text = r#"
[groups.developer]
policies = ["develop-lambda", "develop-s3"]

[roles.admin]
trust = { account = "self" }
policies = ["manage-iam"]

[roles.exec-lambda]
trust = { service = "lambda.amazonaws.com" }

[roles.audited]
trust = { account = "123456789012", require_mfa = true }
"#;
        let parsed = read_manifest(text).unwrap();
        let names: Vec<(&str, &str, usize)> = parsed
            .attachments
            .iter()
            .map(|a| (a.kind.as_str(), a.name.as_str(), a.line))
            .collect();
        assert_eq!(
            names,
            [
                ("group", "developer", 2),
                ("role", "admin", 5),
                ("role", "audited", 12),
                ("role", "exec-lambda", 9)
            ]
        );
        assert_eq!(parsed.trusts.len(), 3);
        let options = LintOptions::default();
        let codes = |role: &str| -> Vec<&'static str> {
            let trust = parsed.trusts.iter().find(|t| t.role == role).unwrap();
            lint_trust("policies/baseline.toml", trust, &options)
                .iter()
                .map(|f| f.code)
                .collect()
        };
        assert_eq!(codes("admin"), ["trust-root-without-mfa"]);
        assert!(codes("audited").is_empty());
        assert!(codes("exec-lambda").is_empty());
        let admin = parsed.trusts.iter().find(|t| t.role == "admin").unwrap();
        let finding = &lint_trust("policies/baseline.toml", admin, &options)[0];
        assert_eq!((finding.line, finding.column), (5, 8));
        assert!(finding.message.starts_with("role `admin` trust policy: "));
        assert_eq!(
            finding.help,
            "add `require_mfa = true` to the `trust` of role `admin`"
        );
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
