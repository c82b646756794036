//! Where a task sends its requests: the project's emulator (default), another endpoint, or a
//! real AWS account (`--aws` only).

use anyhow::{Result, bail};
use iamkit_emulator::{Emulator, Install, Lifetime};
use iamkit_provision::{Clients, Target, connect};

/// Options shared by every task that talks to AWS.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct TargetArgs {
    /// Use the real AWS account of the standard credential chain (environment, profiles, SSO).
    /// Without it, nothing leaves this machine.
    #[arg(long, conflicts_with = "endpoint_url")]
    pub aws: bool,
    /// Region (default: the environment's, else ap-northeast-1, the article's).
    #[arg(long)]
    pub region: Option<String>,
    /// Use the emulator at this URL instead of the project's own (also: AWS_ENDPOINT_URL).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
}

/// Resolves the target: `--aws`; else `--endpoint-url`; else the emulator that
/// `cargo xtask emulator start` left running; else a new one started in the background and
/// left running, so that the next command sees the same account.
pub fn resolve(args: &TargetArgs) -> Result<Target> {
    if args.aws {
        return Ok(Target::Aws { profile: None });
    }
    if let Some(endpoint) = &args.endpoint_url {
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            bail!("--endpoint-url `{endpoint}` is not an http:// or https:// URL");
        }
        return Ok(Target::Emulator {
            endpoint: endpoint.clone(),
        });
    }
    let install = Install::new(Install::default_dir());
    if let Some(running) = install.running() {
        return Ok(Target::Emulator {
            endpoint: running.endpoint(),
        });
    }
    install.ensure(&mut |line| eprintln!("{line}"))?;
    let emulator = Emulator::start(&install, Lifetime::Detached)?;
    eprintln!(
        "started the local emulator at {} (it keeps running; `cargo xtask emulator stop` stops it)",
        emulator.endpoint()
    );
    Ok(Target::Emulator {
        endpoint: emulator.endpoint(),
    })
}

/// Clients for the resolved target.
pub async fn clients(target: &Target, args: &TargetArgs) -> Clients {
    connect(target, args.region.as_deref()).await
}
