//! `cargo xtask teardown`: removes everything of the stack's, in the order AWS requires. The
//! flow is the library's (`iamkit_provision::teardown`); this prints it and answers it.

use anyhow::{Result, anyhow};
use iamkit_provision::{ApplyOptions, SetupOptions};

use crate::{
    document::{Document, Reported},
    global::Global,
    printer::Printer,
};

#[derive(clap::Args)]
pub struct Args {
    /// Print what would be removed and stop.
    #[arg(long)]
    dry_run: bool,
    /// With `--aws`: remove without asking (for scripts). Without it, the plan must be
    /// confirmed on a terminal.
    #[arg(long)]
    yes: bool,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    // Names are all teardown needs: a policy file that lint rejects, or that is not even
    // JSON, does not stop it.
    let manifest = global.read_manifest()?;
    let target = global.target()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let json = global.json();
    runtime.block_on(async {
        let clients = global.connect(&target, Some(&manifest)).await?;
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
                Err(e) => return Err(printer.failed(e.into())),
            };
        if !outcome.left.is_empty() {
            let error = anyhow!(
                "{} change(s) still to make after teardown: {}; run `cargo xtask teardown` again",
                outcome.left.len(),
                outcome.left.join(", ")
            );
            let mut document = Document::failed("teardown", Some(&outcome.plan), &error);
            document.changes_made = outcome.applied.as_ref().map_or(0, |r| r.changes);
            document.left = outcome.left.clone();
            if json {
                document.print();
                return Err(Reported(error).into());
            }
            return Err(error);
        }
        let document = printer.finish(&outcome.plan, outcome.applied.as_ref());
        if json {
            document.print();
        }
        Ok(())
    })
}
