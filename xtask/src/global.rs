//! The options every task takes, before or after its name: `--aws`, `--profile`, `--region`,
//! `--endpoint-url`, `--output` and `--manifest`; where a task sends its requests (the
//! project's emulator by default, another endpoint, or a real AWS account with `--aws` only);
//! and the one region rule.

use std::path::PathBuf;

use anyhow::{Result, bail};
use iamkit_emulator::{Emulator, Install, Lifetime};
use iamkit_provision::{Clients, DEFAULT_REGION, Target, connect};
use iamkit_stack::Manifest;

use crate::document::Rejected;

/// The environment variable the AWS SDKs read an endpoint from.
const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL";

/// The options every task takes. A task that has no use for one refuses it rather than
/// ignoring it.
#[derive(clap::Args, Clone, Debug, Default)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Use the real AWS account of the standard credential chain (environment, profile, SSO).
    /// Without it, nothing leaves this machine.
    #[arg(long, global = true)]
    pub aws: bool,
    /// With `--aws`: the profile of ~/.aws/config to use, as AWS_PROFILE does.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The region: this; else the manifest's `region`; else AWS_REGION (with `--aws`, or the
    /// profile's); else ap-northeast-1, the article's.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Use the emulator at this URL instead of the project's own (else AWS_ENDPOINT_URL when
    /// it is set; never with `--aws`).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// `text` for people; `json` for scripts: one JSON document on standard output, errors
    /// included.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Output>,
    /// The manifest (default: policies/baseline.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

/// How a task prints its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// For people (coloured on a terminal).
    #[default]
    Text,
    /// For scripts.
    Json,
}

/// The global options a task has a use for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uses {
    /// `--aws`, `--profile`, `--region`, `--endpoint-url`: it sends requests.
    Target,
    /// `--output`.
    Output,
    /// `--manifest`.
    Manifest,
}

impl Global {
    /// Refuses the options given that `task` has no use for.
    pub fn only(&self, task: &str, uses: &[Uses]) -> Result<()> {
        let given = [
            (Uses::Target, self.aws, "--aws"),
            (Uses::Target, self.profile.is_some(), "--profile"),
            (Uses::Target, self.region.is_some(), "--region"),
            (Uses::Target, self.endpoint_url.is_some(), "--endpoint-url"),
            (Uses::Output, self.output.is_some(), "--output"),
            (Uses::Manifest, self.manifest.is_some(), "--manifest"),
        ];
        for (kind, set, flag) in given {
            if set && !uses.contains(&kind) {
                bail!(
                    "`{flag}` does not apply to `cargo xtask {task}`\n  help: `cargo xtask {task} --help` lists what it takes"
                );
            }
        }
        Ok(())
    }

    /// `--output`, text by default.
    pub fn output(&self) -> Output {
        self.output.unwrap_or_default()
    }

    /// Whether `--output json` was asked for.
    pub fn json(&self) -> bool {
        self.output() == Output::Json
    }

    /// `--manifest`, else `policies/baseline.toml`.
    pub fn manifest_path(&self) -> PathBuf {
        self.manifest
            .clone()
            .unwrap_or_else(|| crate::project_root().join("policies/baseline.toml"))
    }

    /// The manifest, read for its names and sections only: no lint gate, for the tasks that
    /// write no policy (teardown, mfa, invoke).
    pub fn read_manifest(&self) -> Result<Manifest> {
        iamkit_stack::read_manifest(&self.manifest_path())
            .map_err(|errors| Rejected::report(errors).into())
    }

    /// Resolves the target: `--aws`; else `--endpoint-url` (or AWS_ENDPOINT_URL); else the
    /// emulator that `cargo xtask emulator start` left running; else a new one started in the
    /// background and left running, so that the next command sees the same account.
    pub fn target(&self) -> Result<Target> {
        // Before an emulator is started or a credential looked for.
        self.region(None)?;
        let from_env = std::env::var(ENDPOINT_VAR).ok().filter(|v| !v.is_empty());
        if self.aws {
            if self.endpoint_url.is_some() {
                bail!(
                    "`--aws` and `--endpoint-url` contradict each other\n  help: `--aws` is the real AWS; `--endpoint-url` an emulator"
                );
            }
            if let Some(url) = from_env {
                bail!(
                    "{ENDPOINT_VAR} is set in the environment (to `{url}`), and `--aws` asks for the real AWS\n  help: unset it (`env -u {ENDPOINT_VAR} cargo xtask ...`), or drop `--aws` to use that endpoint"
                );
            }
            return Ok(Target::Aws {
                profile: self.profile.clone(),
            });
        }
        if let Some(profile) = &self.profile {
            bail!(
                "`--profile {profile}` needs `--aws`: the emulator uses no profile\n  help: add `--aws` to use the account of that profile"
            );
        }
        let explicit = match (&self.endpoint_url, from_env) {
            (Some(url), _) => Some((url.clone(), "--endpoint-url")),
            (None, Some(url)) => Some((url, ENDPOINT_VAR)),
            (None, None) => None,
        };
        if let Some((endpoint, from)) = explicit {
            if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
                bail!(
                    "{from} `{endpoint}` is not an http:// or https:// URL\n  help: the emulator's URL looks like http://127.0.0.1:5000"
                );
            }
            return Ok(Target::Emulator { endpoint });
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

    /// The region rule, as `--region`'s help states it: `--region`, else the manifest's, else
    /// what the SDK finds (AWS_REGION, the profile's), else [`DEFAULT_REGION`]. An explicit
    /// region that is not shaped like one is refused before anything is sent.
    pub fn region<'a>(&'a self, manifest: Option<&'a Manifest>) -> Result<Option<&'a str>> {
        if let Some(region) = &self.region {
            check_region(region, "--region")?;
        }
        Ok(self
            .region
            .as_deref()
            .or(manifest.and_then(|m| m.region.as_deref())))
    }

    /// Clients for `target`, in the region of [`Global::region`].
    pub async fn connect(&self, target: &Target, manifest: Option<&Manifest>) -> Result<Clients> {
        let explicit = self.region(manifest)?;
        let clients = connect(target, explicit).await;
        if explicit.is_none() {
            let found = clients
                .config
                .region()
                .map_or(DEFAULT_REGION, |r| r.as_ref());
            check_region(found, "the region of the environment or profile")?;
        }
        Ok(clients)
    }
}

fn check_region(region: &str, from: &str) -> Result<()> {
    if let Err(e) = iamkit_arn::validate_region(region) {
        bail!("{from} `{region}`: {e}\n  help: a region looks like ap-northeast-1 or us-east-1");
    }
    Ok(())
}
