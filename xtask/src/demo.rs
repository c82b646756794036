//! `cargo xtask demo`: the main job on a fresh local emulator.
//!
//! Until setup, verify and teardown exist, the demo runs the emulator smoke path and says so:
//! it installs and starts a private emulator, and creates, reads back and deletes an IAM user
//! through the same clients the flows will use.

use std::time::Instant;

use anyhow::{Context, Result, ensure};
use iamkit_emulator::{Emulator, Install, Lifetime};
use iamkit_provision::{Target, connect};

pub fn run() -> Result<()> {
    let started = Instant::now();
    let install = Install::new(Install::default_dir());
    install.ensure(&mut |line| eprintln!("{line}"))?;
    let emulator = Emulator::start(&install, Lifetime::WithThisProcess)?;
    println!("emulator: {} (a fresh, empty account)", emulator.endpoint());

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(smoke(&emulator.endpoint()))?;
    emulator.stop();

    println!();
    println!("not yet implemented: setup, verify and teardown of the article's baseline;");
    println!("this demo checked only that the emulator and the AWS clients work end to end");
    println!("demo finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn smoke(endpoint: &str) -> Result<()> {
    let clients = connect(
        &Target::Emulator {
            endpoint: endpoint.to_owned(),
        },
        None,
    )
    .await;
    let me = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .context("sts:GetCallerIdentity")?;
    println!(
        "caller:   {} (account {})",
        me.arn().unwrap_or("?"),
        me.account().unwrap_or("?")
    );

    let name = "iamkit-demo-user";
    clients
        .iam
        .create_user()
        .user_name(name)
        .send()
        .await
        .context("iam:CreateUser")?;
    let read = clients
        .iam
        .get_user()
        .user_name(name)
        .send()
        .await
        .context("iam:GetUser")?;
    let arn = read.user().map(|u| u.arn().to_owned()).unwrap_or_default();
    println!("created:  {arn}");
    clients
        .iam
        .delete_user()
        .user_name(name)
        .send()
        .await
        .context("iam:DeleteUser")?;
    let gone = clients.iam.get_user().user_name(name).send().await;
    ensure!(
        gone.is_err(),
        "user {name} still exists after iam:DeleteUser"
    );
    println!("deleted:  {arn}");
    Ok(())
}
