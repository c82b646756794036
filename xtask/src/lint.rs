//! `cargo xtask lint [PATH...] [--output json]`: lint policy files before anything is written.
//!
//! A folder stands for the `*.json` files directly in it (not `*.schema.json`), plus its
//! `baseline.toml` manifest when there is one: the manifest's `[[lint.accept]]` entries accept
//! findings with a reason, and its groups, users and roles are checked against the quota of
//! managed policies. Exit status 1 when an error or security finding is not accepted.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use iamkit_policy::lint::{self, Attachment, LintOptions, Suppression};

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
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{} is neither a file nor a folder", path.display());
        }
    }

    let mut suppressions = Vec::new();
    let mut findings = Vec::new();
    for manifest in &manifests {
        let text = std::fs::read_to_string(manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let label = display(manifest, &root);
        let parsed = read_manifest(&text).with_context(|| format!("reading {label}"))?;
        suppressions.extend(parsed.suppressions);
        findings.extend(lint::lint_attachments(&label, &parsed.attachments));
    }
    let options = LintOptions {
        suppressions,
        ..LintOptions::default()
    };
    for file in &files {
        let source =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        findings.extend(lint::lint(&display(file, &root), &source, &options));
    }
    lint::accept(&mut findings, &options.suppressions);

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
    suppressions: Vec<Suppression>,
    attachments: Vec<Attachment>,
}

/// Reads `[[lint.accept]]` (`code`, `reason`, optional `policy` and `pointer`) and the managed
/// policies of each group, user and role. Groups, users and roles may be arrays of tables with
/// a `name` (`[[groups]]`) or tables keyed by name (`[groups.developer]`); their policy list
/// is `policies` (or `managed_policies`). Everything else in the manifest is ignored here.
fn read_manifest(text: &str) -> Result<ManifestLint> {
    let table: toml::Table = text.parse()?;
    let mut out = ManifestLint::default();
    let accepts = table
        .get("lint")
        .and_then(|lint| lint.get("accept"))
        .and_then(toml::Value::as_array);
    for (i, entry) in accepts.into_iter().flatten().enumerate() {
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        };
        let (Some(code), Some(reason)) = (field("code"), field("reason")) else {
            bail!(
                "[[lint.accept]] entry {} needs a `code` and a `reason`",
                i + 1
            );
        };
        if reason.trim().is_empty() {
            bail!(
                "[[lint.accept]] entry {} for `{code}` gives no reason",
                i + 1
            );
        }
        if lint::check(&code).is_none() {
            bail!(
                "[[lint.accept]] entry {} names `{code}`, which is not a lint code",
                i + 1
            );
        }
        out.suppressions.push(Suppression {
            code,
            reason,
            file: field("policy").or_else(|| field("file")),
            pointer: field("pointer"),
        });
    }
    for (key, kind) in [
        ("groups", "group"),
        ("group", "group"),
        ("users", "user"),
        ("user", "user"),
        ("roles", "role"),
        ("role", "role"),
    ] {
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

/// The line and column where `name` is first written as a quoted string or a table name.
fn locate_name(text: &str, name: &str) -> (usize, usize) {
    let quoted = format!("\"{name}\"");
    let dotted = format!(".{name}]");
    for (i, line) in text.lines().enumerate() {
        if let Some(column) = line.find(&quoted).or_else(|| line.find(&dotted)) {
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
    fn manifest_accepts_and_attachments() {
        let text = r#"
[[groups]]
name = "developer"
policies = ["develop-lambda", "develop-s3"]

[roles.admin]
policies = ["manage-iam"]

[[lint.accept]]
code = "pass-role-star"
policy = "manage-iam"
reason = "admin administers IAM"
"#;
        let parsed = read_manifest(text).unwrap();
        assert_eq!(parsed.suppressions.len(), 1);
        assert_eq!(parsed.suppressions[0].file.as_deref(), Some("manage-iam"));
        assert_eq!(parsed.attachments.len(), 2);
        assert_eq!(parsed.attachments[0].name, "developer");
        assert_eq!(
            (parsed.attachments[0].line, parsed.attachments[0].column),
            (3, 8)
        );
        assert_eq!(parsed.attachments[1].kind, "role");
        assert_eq!(parsed.attachments[1].line, 6);
    }

    #[test]
    fn manifest_rejects_unknown_codes_and_empty_reasons() {
        let err = read_manifest("[[lint.accept]]\ncode = \"nope\"\nreason = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("`nope`"), "{err}");
        let err = read_manifest("[[lint.accept]]\ncode = \"service-wildcard\"\nreason = \" \"\n")
            .unwrap_err();
        assert!(err.to_string().contains("no reason"), "{err}");
    }
}
