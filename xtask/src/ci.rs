//! `cargo xtask ci`: what CI checks, in the order that fails fastest.

use anyhow::Result;
use xshell::{Shell, cmd};

pub fn run() -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(crate::project_root());
    cmd!(sh, "cargo fmt --all --check").run()?;
    cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings").run()?;
    crate::actionlint::run()?;
    crate::test::run(crate::test::Args { rest: Vec::new() })?;
    let _doc = sh.push_env("RUSTDOCFLAGS", "-D warnings");
    cmd!(sh, "cargo doc --workspace --no-deps").run()?;
    Ok(())
}
