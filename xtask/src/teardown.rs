//! `cargo xtask teardown`: removes everything of the stack's, in the order AWS requires. The
//! flow is the library's (`iamkit_provision::teardown`); this prints it and answers it.

use std::path::PathBuf;

use anyhow::{Result, bail};
use iamkit_provision::{ApplyOptions, SetupOptions};

use crate::{
    printer::Printer,
    setup::{self, Output},
    target::{self, TargetArgs},
};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The manifest (default: policies/baseline.toml).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Print what would be removed and stop.
    #[arg(long)]
    dry_run: bool,
    /// `text` for people (coloured on a terminal), `json` for scripts.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// With `--aws`: remove without asking (for scripts). Without it, the plan must be
    /// confirmed on a terminal.
    #[arg(long)]
    yes: bool,
}

pub fn run(args: Args) -> Result<()> {
    let manifest = setup::read_manifest(args.manifest.as_deref())?;
    let target = target::resolve(&args.target)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let json = args.output == Output::Json;
    runtime.block_on(async {
        let clients = setup::connect(&args.target, &target, &manifest).await;
        // Teardown writes no passwords; the folder is never used.
        let options = SetupOptions {
            adopt: false,
            dry_run: args.dry_run,
            apply: ApplyOptions::new(std::env::temp_dir()),
        };
        let mut printer = Printer::new("teardown", json, args.yes);
        let outcome =
            match iamkit_provision::teardown(&clients, &manifest, &options, &mut printer).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    printer.print_plan_json();
                    return Err(e.into());
                }
            };
        let Some(report) = outcome.applied else {
            printer.print_plan_json();
            return Ok(());
        };
        if json {
            let out = serde_json::json!({
                "plan": outcome.plan,
                "applied": report.changes,
                "left": outcome.left,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            println!("\nTeardown complete: {} changes made.", report.changes);
        }
        if !outcome.left.is_empty() {
            bail!(
                "{} change(s) still to make after teardown: {}; run `cargo xtask teardown` again",
                outcome.left.len(),
                outcome.left.join(", ")
            );
        }
        Ok(())
    })
}
