//! `cargo xtask teardown`: removes everything of the stack's, in the order AWS requires.

use std::path::PathBuf;

use anyhow::Result;
use iamkit_provision::{ApplyOptions, Change, apply, observe_for_teardown, teardown_plan};

use crate::{
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
    runtime.block_on(async {
        let clients = setup::connect(&args.target, &target, &manifest).await;
        let desired = setup::desired(&clients, &manifest, Default::default()).await?;
        let observed = observe_for_teardown(&clients, &desired).await?;
        let plan = teardown_plan(&desired, &observed);
        let json = args.output == Output::Json;
        if !json {
            setup::print_plan(&plan, "teardown");
        }
        for note in &plan.notes {
            eprintln!("note: {note}");
        }
        if !plan.is_empty() {
            setup::preflight(&clients, &plan, &desired, args.dry_run, args.yes).await?;
        }
        if args.dry_run || plan.is_empty() {
            if json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            }
            return Ok(());
        }
        // Teardown writes no passwords; the folder is never used.
        let options = ApplyOptions::new(std::env::temp_dir());
        let report = apply(&clients, &plan, &options, &mut |change: &Change| {
            setup::progress(change, json);
        })
        .await?;
        if json {
            let out = serde_json::json!({"plan": plan, "applied": report.changes});
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            println!("\nTeardown complete: {} changes made.", report.changes);
        }
        Ok(())
    })
}
