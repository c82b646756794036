//! The engine's speed per family of cases, beside the other engine's on the same cases:
//! the article's (`blog.json`), the condition cases (`conditions-*.json`), every other
//! hand-written case file, the managed-policy corpus (`corpus.rs`) and its part over the
//! policies with the most actions (`largest`, ReadOnlyAccess among them).
//!
//! Each family is written to `target/bench/FAMILY.json` in the `simulate` format, so both
//! engines read the same file (`cargo xtask simulate target/bench/managed.json --bench`
//! repeats ours). Both are timed in CPU time (our thread's; node's process), so that other
//! work on the machine does not move the figures; `--bench` prints wall time too.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

/// How long each engine runs each family.
const BUDGET: Duration = Duration::from_secs(2);

/// One family's cases and where they were written.
struct Family {
    name: &'static str,
    about: String,
    file: PathBuf,
    cases: Vec<iamkit_eval::cases::Case>,
}

/// Measures every family with our engine, then with the other engine unless `ours_only`.
pub fn run(ours_only: bool) -> Result<()> {
    let families = families()?;
    let mut ours = Vec::new();
    for family in &families {
        let per_second = crate::simulate::bench(&family.cases, BUDGET).per_second();
        say!(
            "engine: {} decisions per CPU second over {} ({} cases), one thread (also: `cargo xtask simulate {} --bench`)",
            thousands(per_second),
            family.about,
            family.cases.len(),
            relative(&family.file),
        );
        ours.push(per_second);
    }
    if ours_only {
        return Ok(());
    }
    let files: Vec<(String, PathBuf)> = families
        .iter()
        .map(|f| (f.name.to_owned(), f.file.clone()))
        .collect();
    let theirs = crate::other_engine::run(&files, BUDGET.as_secs_f64())?;
    say!(
        "\nthe other engine, {} (policies loaded once, `authorize` per decision, node; per second of CPU time):",
        crate::other_engine::package()
    );
    say!(
        "  {:<11} {:>6} {:>12} {:>10} {:>7}  same decision as ours",
        "family",
        "cases",
        "ours/s",
        "theirs/s",
        "ratio"
    );
    for ((family, ours), theirs) in families.iter().zip(&ours).zip(&theirs) {
        let same = family
            .cases
            .iter()
            .filter(|c| {
                theirs
                    .decided
                    .get(&c.name)
                    .is_some_and(|d| *d == c.decide().to_string())
            })
            .count();
        say!(
            "  {:<11} {:>6} {:>12} {:>10} {:>6.0}x  {same} of {} ({} it could not run)",
            theirs.family,
            theirs.cases,
            thousands(*ours),
            thousands(theirs.per_second),
            ours / theirs.per_second.max(f64::MIN_POSITIVE),
            family.cases.len(),
            theirs.errors,
        );
    }
    Ok(())
}

/// Reads the hand-written case files into families, builds the corpus, writes each family.
fn families() -> Result<Vec<Family>> {
    let dir = crate::project_root().join("crates/eval/tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let name_of = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut article = Vec::new();
    let mut conditions = Vec::new();
    let mut others = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let cases: Vec<Value> =
            serde_json::from_str(&text).with_context(|| format!("reading {}", file.display()))?;
        let name = name_of(file);
        match name.as_str() {
            "blog.json" => article.extend(cases),
            n if n.starts_with("conditions-") => conditions.extend(cases),
            _ => others.extend(cases),
        }
    }
    let corpus = crate::corpus::managed()?;
    let about_corpus = format!(
        "the managed-policy corpus ({} of {} AWS managed policies; {} rejected by the parser)",
        corpus.policies - corpus.rejected.len(),
        corpus.policies,
        corpus.rejected.len()
    );
    let groups = [
        (
            "article",
            "the article's cases (blog.json)".to_owned(),
            article,
        ),
        (
            "conditions",
            "the condition cases (conditions-*.json)".to_owned(),
            conditions,
        ),
        (
            "cases",
            "every other hand-written case file".to_owned(),
            others,
        ),
        ("managed", about_corpus, corpus.cases),
        (
            "largest",
            "the corpus's cases of the 20 policies with the most actions".to_owned(),
            corpus.largest,
        ),
    ];
    let out = crate::target_dir().join("bench");
    std::fs::create_dir_all(&out)?;
    groups
        .into_iter()
        .map(|(name, about, cases)| {
            let file = out.join(format!("{name}.json"));
            let text = serde_json::to_string(&cases)?;
            std::fs::write(&file, &text).with_context(|| format!("writing {}", file.display()))?;
            let cases =
                iamkit_eval::cases::parse(&text).map_err(|e| anyhow!("{}:{e}", file.display()))?;
            Ok(Family {
                name,
                about,
                file,
                cases,
            })
        })
        .collect()
}

fn relative(path: &std::path::Path) -> String {
    let root = crate::project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `1234567.8` as `1,234,568`.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(1_234_567.8), "1,234,568");
        assert_eq!(super::thousands(999.0), "999");
        assert_eq!(super::thousands(0.0), "0");
    }
}
