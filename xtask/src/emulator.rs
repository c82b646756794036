//! `cargo xtask emulator start|stop|status`.

use anyhow::{Result, bail};
use iamkit_emulator::{Emulator, Install, Lifetime};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Install the emulator if needed and start it in the background; print its endpoint.
    ///
    /// `setup`, `verify` and `teardown` use this emulator when it runs. Point other tools at it
    /// with `AWS_ENDPOINT_URL=<endpoint>` and any dummy credentials.
    Start,
    /// Stop the emulator started by `start`.
    Stop,
    /// Say whether an emulator started by `start` is running, and where; exit 1 when none is.
    Status,
}

pub fn run(args: Args) -> Result<()> {
    let install = Install::new(Install::default_dir());
    match args.action {
        Action::Start => {
            if let Some(running) = install.running() {
                say!("{}", running.endpoint());
                eprintln!("emulator already running (pid {})", running.pid);
                return Ok(());
            }
            install.ensure(&mut |line| eprintln!("{line}"))?;
            let emulator = Emulator::start(&install, Lifetime::Detached)?;
            say!("{}", emulator.endpoint());
            eprintln!(
                "emulator running (pid {}, log {}); stop it with `cargo xtask emulator stop`",
                emulator.pid(),
                emulator.log().display()
            );
        }
        Action::Stop => match install.stop_running()? {
            Some(running) => eprintln!(
                "stopped the emulator at {} (pid {})",
                running.endpoint(),
                running.pid
            ),
            None => eprintln!("no emulator was running"),
        },
        Action::Status => match install.running() {
            Some(running) => say!("running at {} (pid {})", running.endpoint(), running.pid),
            None => {
                say!("not running");
                bail!("no emulator started by `cargo xtask emulator start` is running");
            }
        },
    }
    Ok(())
}
