//! `cargo xtask lint [PATH...] [--kind KIND] [--output json]`: lint policy files before
//! anything is written.
//!
//! A folder stands for the `*.json` files directly in it (not `*.schema.json`), plus two files
//! when they are there: the `baseline.toml` manifest and the `lint.toml` of accepted findings.
//! A `.toml` file given by name is a manifest. A manifest is reviewed exactly as `cargo xtask
//! setup` reviews it before it writes anything (`iamkit_stack::review`): its policy files,
//! its groups' and roles' managed policies, and its roles' trust policies as the provisioner
//! writes them. Other policy files are linted on their own, with the folder's `lint.toml`.
//! `--kind identity|trust|resource|scp|aws-managed` says what a lone policy file is (by default
//! the linter decides from the document: a `Principal` makes it a resource-based policy, and
//! an `sts:` action with no `Resource` a trust policy); a manifest knows what each of its
//! policies is.
//! Exit status 1 when an error or security finding is not accepted, or when a manifest itself
//! has a problem: exactly when `cargo xtask setup` would refuse to write.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use iamkit_lint::{self as lint, Finding, LintOptions, PolicyKind, Suppression};
use iamkit_stack::{ACCEPTANCES, parse_acceptances, review};

use crate::global::{Global, Output};

#[derive(clap::Args)]
pub struct Args {
    /// Policy files, manifests (`.toml`) or folders (default: `policies/`).
    paths: Vec<PathBuf>,
    /// What the policy files given are: identity, trust, resource, scp or aws-managed (default:
    /// decided from each document). Manifests say it themselves.
    #[arg(long, default_value_t = PolicyKind::Auto)]
    kind: PolicyKind,
    /// Lint every AWS managed policy of the pinned corpus instead, timed, and compare its
    /// error findings with `tests/lint-corpus/reviewed.tsv`.
    #[arg(long, conflicts_with = "paths")]
    corpus: bool,
}

/// The manifest's file name in a policy folder.
const MANIFEST: &str = "baseline.toml";

pub fn run(args: Args, global: &Global) -> Result<()> {
    if args.corpus {
        return crate::lint_corpus::run(global.json());
    }
    let started = Instant::now();
    let root = crate::project_root();
    let paths = if args.paths.is_empty() {
        vec![root.join("policies")]
    } else {
        args.paths
    };
    let mut inputs = Inputs::default();
    for path in &paths {
        inputs.add(path)?;
    }
    let findings = lint_all(&root, &inputs, args.kind)?;

    match global.output() {
        Output::Json => say!("{}", serde_json::to_string_pretty(&findings)?),
        Output::Text => {
            for finding in &findings {
                say!("{finding}\n");
            }
            say!(
                "{} files: {} in {:.1} ms",
                inputs.files.len() + inputs.manifests.len(),
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

/// What to lint: manifests, policy files, and the acceptances for the policy files that no
/// manifest names.
#[derive(Default)]
struct Inputs {
    manifests: Vec<PathBuf>,
    files: Vec<PathBuf>,
    acceptances: Vec<PathBuf>,
}

impl Inputs {
    fn add(&mut self, path: &Path) -> Result<()> {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| is_policy_file(p))
                .collect();
            found.sort();
            self.files.extend(found);
            let manifest = path.join(MANIFEST);
            if manifest.is_file() {
                self.manifests.push(manifest);
            }
            let accepted = path.join(ACCEPTANCES);
            if accepted.is_file() {
                self.acceptances.push(accepted);
            }
        } else if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            self.manifests.push(path.to_owned());
        } else if path.is_file() {
            self.files.push(path.to_owned());
        } else {
            bail!("{} is neither a file nor a folder", path.display());
        }
        Ok(())
    }
}

/// Reviews the manifests as setup does, lints the policy files no manifest names, and marks
/// what the acceptances accept. Paths are shown relative to the workspace root.
fn lint_all(root: &Path, inputs: &Inputs, kind: PolicyKind) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut reviewed = BTreeSet::new();
    for path in &inputs.manifests {
        let label = display(path, root);
        let manifest = iamkit_stack::read_manifest(path)
            .map_err(|errors| anyhow::anyhow!("{errors}"))
            .with_context(|| format!("reading {label}"))?;
        reviewed.extend(review::policy_files(&manifest).iter().map(|p| canonical(p)));
        findings.extend(review::review(&manifest).findings);
        crate::setup::warn_escalations(&manifest);
    }
    let mut suppressions: Vec<Suppression> = Vec::new();
    for path in &inputs.acceptances {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        suppressions
            .extend(parse_acceptances(path, &text).map_err(|errors| anyhow::anyhow!("{errors}"))?);
    }
    let options = LintOptions {
        suppressions,
        kind,
        ..LintOptions::default()
    };
    for file in &inputs.files {
        if reviewed.contains(&canonical(file)) {
            continue;
        }
        let source =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        findings.extend(lint::lint(&file.display().to_string(), &source, &options));
    }
    for finding in &mut findings {
        finding.file = display(Path::new(&finding.file), root);
    }
    Ok(findings)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
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
    let absolute = canonical(path);
    let root = canonical(root);
    absolute
        .strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The done-when of the linter: the baseline has no error finding, and every security
    /// finding left is accepted in `policies/lint.toml` with a reason.
    #[test]
    fn the_baseline_passes_with_its_accepted_findings() {
        let root = crate::project_root();
        let mut inputs = Inputs::default();
        inputs.add(&root.join("policies")).unwrap();
        assert_eq!(inputs.files.len(), 9);
        assert_eq!(inputs.manifests.len(), 1);
        let findings = lint_all(&root, &inputs, PolicyKind::Auto).unwrap();
        let failing: Vec<String> = findings
            .iter()
            .filter(|f| f.fails())
            .map(|f| f.to_string())
            .collect();
        assert!(failing.is_empty(), "{}", failing.join("\n"));
        assert!(findings.iter().all(|f| f.severity != lint::Severity::Error));
        assert!(findings.iter().any(|f| f.accepted.is_some()));
        // Every policy file is reviewed once, through the manifest, and named from the root.
        assert!(
            findings.iter().all(|f| !f.file.starts_with('/')),
            "{findings:?}"
        );
        let admin: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.code == lint::code::TRUST_ROOT_WITHOUT_MFA)
            .collect();
        assert_eq!(admin.len(), 1, "{findings:?}");
        assert_eq!(admin[0].file, "policies/baseline.toml");
    }

    /// `--kind` says what a lone file is: the same bucket policy statement without a principal
    /// is fine as an identity policy's and an error as a resource-based policy's.
    #[test]
    fn the_kind_of_a_lone_file() {
        let root = crate::project_root();
        let mut inputs = Inputs::default();
        inputs
            .add(&root.join("crates/lint/tests/lint/missing-principal.json"))
            .unwrap();
        let codes = |kind| -> Vec<&'static str> {
            lint_all(&root, &inputs, kind)
                .unwrap()
                .iter()
                .map(|f| f.code)
                .collect()
        };
        assert!(!codes(PolicyKind::Auto).contains(&lint::code::MISSING_PRINCIPAL));
        assert_eq!(codes(PolicyKind::Resource), [lint::code::MISSING_PRINCIPAL]);
        assert_eq!("scp".parse::<PolicyKind>(), Ok(PolicyKind::Scp));
        assert!("bucket".parse::<PolicyKind>().is_err());
    }
}
