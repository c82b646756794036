//! Tidy: rules about the source tree that a reviewer would otherwise have to remember.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The core crates are sync and do no IO: no async runtime and no AWS SDK in their tree.
#[test]
fn core_crates_depend_on_neither_tokio_nor_the_aws_sdk() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for package in [
        "iamkit-arn",
        "iamkit-policy",
        "iamkit-catalog",
        "iamkit-lint",
        "iamkit-eval",
        "iamkit-access",
        "iamkit-stack",
    ] {
        let output = Command::new(&cargo)
            .current_dir(project_root())
            .args([
                "tree",
                "--offline",
                "--edges",
                "normal",
                "--prefix",
                "none",
                "--package",
                package,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8_lossy(&output.stdout);
        let forbidden: Vec<&str> = tree
            .lines()
            .filter(|line| line.starts_with("tokio ") || line.starts_with("aws-"))
            .collect();
        assert!(forbidden.is_empty(), "{package} depends on {forbidden:?}");
        assert!(tree.lines().next().unwrap_or_default().starts_with(package));
    }
}

/// Every Rust file says what it is for, in its first line (a crate root, in its README).
#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut missing = Vec::new();
    let mut seen = 0;
    for dir in ["crates", "xtask", "tests"] {
        walk(&project_root().join(dir), &mut |path| {
            if path.extension().is_some_and(|e| e == "rs") {
                seen += 1;
                let text = fs::read_to_string(path).unwrap();
                // A crate root may take its doc from the crate's README.
                let documented = text.starts_with("//!")
                    || text.starts_with("#![doc = include_str!(\"../README.md\")]");
                if !documented {
                    missing.push(
                        path.strip_prefix(project_root())
                            .unwrap()
                            .display()
                            .to_string(),
                    );
                }
            }
        });
    }
    assert!(seen > 10, "tidy read only {seen} files");
    assert!(
        missing.is_empty(),
        "these files do not start with a `//!` doc: {missing:#?}"
    );
}

/// The product code of every crate and of xtask: each `src` folder with its files' text up to
/// their `#[cfg(test)]` module.
fn product_sources() -> Vec<(PathBuf, Vec<(PathBuf, String)>)> {
    let mut roots: Vec<PathBuf> = fs::read_dir(project_root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    roots.push(project_root().join("xtask/src"));
    roots.sort();
    roots
        .into_iter()
        .map(|root| {
            let mut files = Vec::new();
            walk(&root, &mut |path| {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if path.extension().is_some_and(|e| e == "rs") && name != "tests.rs" {
                    let text = fs::read_to_string(path).unwrap();
                    let product = match text.find("#[cfg(test)]\nmod ") {
                        Some(at) => text[..at].to_owned(),
                        None => text,
                    };
                    files.push((path.to_path_buf(), product));
                }
            });
            (root, files)
        })
        .collect()
}

/// ARNs are built by iamkit-arn's builders, which check every part: no product code outside
/// `crates/arn` writes one with `format!`.
#[test]
fn arns_are_built_only_by_the_arn_crate() {
    let mut found = Vec::new();
    for (root, files) in product_sources() {
        if root.starts_with(project_root().join("crates/arn")) {
            continue;
        }
        for (path, text) in files {
            for (n, line) in text.lines().enumerate() {
                let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
                if compact.contains("format!(\"arn:") {
                    found.push(format!("{}:{}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "ARNs built by hand: {found:#?}");
}

/// No two modules of one crate import each other, directly or around a loop: each concept
/// has one place, and dependencies run one way.
#[test]
fn no_module_imports_itself_through_another() {
    let mut cycles = Vec::new();
    for (root, files) in product_sources() {
        let module = |path: &Path| {
            let rel = path.strip_prefix(&root).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let first = first.trim_end_matches(".rs").to_owned();
            if first == "lib" || first == "main" {
                "lib".to_owned()
            } else {
                first
            }
        };
        let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for (path, text) in &files {
            let from = module(path);
            let deps = edges.entry(from.clone()).or_default();
            // Comments name paths without importing them.
            let code: String = text
                .lines()
                .map(|line| line.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            for target in crate_paths(&code) {
                if target != from {
                    deps.insert(target);
                }
            }
        }
        let modules: std::collections::BTreeSet<String> = edges.keys().cloned().collect();
        for (from, deps) in &edges {
            for to in deps.iter().filter(|d| modules.contains(*d)) {
                if reaches(&edges, to, from, &mut Default::default()) {
                    cycles.push(format!("{}: {from} <-> {to}", root.display()));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles: {cycles:#?}");
}

/// The first module of every `crate::` path in `text`, including those in `use crate::{..}`.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            let end = list.find("};").unwrap_or(list.len());
            let mut depth = 0;
            let mut item = String::new();
            for c in list[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let head = item.trim().split("::").next().unwrap_or("").to_owned();
                        if !head.is_empty() {
                            out.push(head);
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn reaches(
    edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut std::collections::BTreeSet<String>,
) -> bool {
    if from == to {
        return true;
    }
    if !seen.insert(from.to_owned()) {
        return false;
    }
    edges
        .get(from)
        .is_some_and(|deps| deps.iter().any(|d| reaches(edges, d, to, seen)))
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == "fuzz")
            {
                continue;
            }
            walk(&path, visit);
        } else {
            visit(&path);
        }
    }
}
