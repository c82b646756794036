//! `cargo xtask schema`: write `policies/schema/policy.schema.json` from the policy wire
//! types; with `--check`, fail when the committed file is stale instead.

use std::fs;

use anyhow::{Context, Result, bail};

/// Where the generated schema lives, relative to the workspace root.
const SCHEMA_PATH: &str = "policies/schema/policy.schema.json";

#[derive(clap::Args)]
pub struct Args {
    /// Do not write; fail if the file differs from what the types generate.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: Args) -> Result<()> {
    let path = crate::project_root().join(SCHEMA_PATH);
    let generated = iamkit_policy::wire::schema_text();
    let current = fs::read_to_string(&path).ok();
    if current.as_deref() == Some(generated.as_str()) {
        say!("{SCHEMA_PATH} is up to date");
        return Ok(());
    }
    if args.check {
        bail!("{SCHEMA_PATH} is stale: run `cargo xtask schema` and commit the result");
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(&path, generated).with_context(|| format!("writing {}", path.display()))?;
    say!("wrote {SCHEMA_PATH}");
    Ok(())
}
