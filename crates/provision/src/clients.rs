//! The one place where AWS clients are built.

use aws_config::{
    BehaviorVersion, Region, SdkConfig, meta::region::RegionProviderChain, retry::RetryConfig,
};
use aws_credential_types::Credentials;

/// The article's region, used when neither `--region` nor the environment names one.
pub const DEFAULT_REGION: &str = "ap-northeast-1";

/// Where requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A local emulator at this endpoint (`http://127.0.0.1:PORT`), with dummy credentials.
    Emulator {
        /// The endpoint URL.
        endpoint: String,
    },
    /// A real AWS account, through the standard credential chain (environment, profiles, SSO).
    Aws {
        /// The profile to use (as `AWS_PROFILE` would); `None` for the chain's own choice.
        profile: Option<String>,
    },
}

impl Target {
    /// Whether this is a real AWS account.
    pub fn is_aws(&self) -> bool {
        matches!(self, Target::Aws { .. })
    }
}

/// The AWS clients the project uses, all built from one configuration.
#[derive(Clone, Debug)]
pub struct Clients {
    /// Where they send requests.
    pub target: Target,
    /// The configuration they were built from.
    pub config: SdkConfig,
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// STS.
    pub sts: aws_sdk_sts::Client,
    /// S3 (path-style addressing on an emulator).
    pub s3: aws_sdk_s3::Client,
    /// Lambda.
    pub lambda: aws_sdk_lambda::Client,
}

/// How many times the SDK sends a request that fails with a retryable error (throttling, a
/// 5xx, a dropped connection) before giving up: the SDK's default of 3 lets a read fail when a
/// fifth of the requests are throttled (the Terraform AWS provider allows 25).
pub const MAX_ATTEMPTS: u32 = 10;

/// Builds the clients. The region is `region` if given, else the environment's (`AWS_REGION`,
/// and on AWS the profile's), else [`DEFAULT_REGION`].
pub async fn connect(target: &Target, region: Option<&str>) -> Clients {
    let config = load_config(target, region).await;
    from_config(target.clone(), config)
}

async fn load_config(target: &Target, region: Option<&str>) -> SdkConfig {
    let explicit = region.map(|r| Region::new(r.to_owned()));
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    match target {
        Target::Aws { profile } => {
            let mut region = RegionProviderChain::first_try(explicit);
            region = match profile {
                Some(name) => region.or_else(
                    aws_config::profile::ProfileFileRegionProvider::builder()
                        .profile_name(name)
                        .build(),
                ),
                None => region.or_default_provider(),
            };
            let region = region.or_else(Region::from_static(DEFAULT_REGION));
            let loader = match profile {
                Some(name) => loader.profile_name(name),
                None => loader,
            };
            loader.region(region).load().await
        }
        Target::Emulator { endpoint } => {
            // Never the profile's region or credentials: nothing from a real account leaks in.
            let from_env = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .ok()
                .map(Region::new);
            let region = explicit
                .or(from_env)
                .unwrap_or_else(|| Region::from_static(DEFAULT_REGION));
            loader
                .endpoint_url(endpoint)
                .region(region)
                .credentials_provider(Credentials::new(
                    "AKIDEMULATOR0000",
                    "emulator-secret",
                    None,
                    None,
                    "iamkit-emulator",
                ))
                .load()
                .await
        }
    }
}

/// Builds the clients from an existing configuration, for example one holding another
/// principal's credentials.
pub fn from_config(target: Target, config: SdkConfig) -> Clients {
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(matches!(target, Target::Emulator { .. }))
        .build();
    Clients {
        iam: aws_sdk_iam::Client::new(&config),
        sts: aws_sdk_sts::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        lambda: aws_sdk_lambda::Client::new(&config),
        target,
        config,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_explicit_region_wins_and_the_emulator_gets_its_endpoint() {
        let target = Target::Emulator {
            endpoint: "http://127.0.0.1:1".into(),
        };
        let clients = connect(&target, Some("eu-west-1")).await;
        assert_eq!(
            clients.config.region().map(|r| r.as_ref()),
            Some("eu-west-1")
        );
        assert_eq!(clients.config.endpoint_url(), Some("http://127.0.0.1:1"));
        assert!(!clients.target.is_aws());
        assert_eq!(
            clients.config.retry_config().map(RetryConfig::max_attempts),
            Some(MAX_ATTEMPTS)
        );
    }
}
