//! `cargo xtask test`: check that generated files are fresh, install the emulator if needed,
//! then `cargo test --workspace`. It needs only the Rust toolchain and python3; the workflow
//! lint, which needs node, runs in `cargo xtask ci` and `.ci/run`.

use anyhow::Result;
use iamkit_emulator::Install;
use xshell::{Shell, cmd};

#[derive(clap::Args)]
pub struct Args {
    /// Arguments passed on to `cargo test` (after `--`), for example a test name filter.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    crate::schema::run(crate::schema::Args { check: true })?;
    let sh = Shell::new()?;
    sh.change_dir(crate::project_root());
    Install::new(Install::default_dir()).ensure(&mut |line| eprintln!("{line}"))?;
    let rest = &args.rest;
    cmd!(sh, "cargo test --workspace {rest...}").run()?;
    Ok(())
}
