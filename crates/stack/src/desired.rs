//! The desired state: the manifest with the caller's account filled in.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    sync::Arc,
};

use base64::Engine as _;
use iamkit_arn::{AccountId, Arn, Partition};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    located::{ManifestError, ManifestErrors},
    manifest::{Manifest, PolicySource, Trust},
    policy_file::ACCOUNT_PLACEHOLDER,
};

/// Who is calling: from `sts:GetCallerIdentity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The account.
    pub account: AccountId,
    /// The caller's ARN.
    pub arn: String,
    /// The partition (`aws`, `aws-cn`, ...), from the ARN.
    pub partition: Partition,
}

impl Identity {
    /// An identity from an account id and caller ARN; the partition is read from the ARN.
    pub fn new(account: AccountId, arn: &str) -> Identity {
        let partition = arn
            .split(':')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        Identity {
            account,
            arn: arn.to_owned(),
            partition,
        }
    }

    /// Whether these are the account's root credentials, which the article stops using.
    pub fn is_root(&self) -> bool {
        self.arn.ends_with(":root")
    }
}

/// A Lambda deployment package: the zip and its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct Code {
    zip: Arc<[u8]>,
    sha256: [u8; 32],
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("bytes", &self.zip.len())
            .field("sha256", &self.sha256_hex())
            .finish()
    }
}

impl Code {
    /// A package from its zip bytes; the hash is computed.
    pub fn from_zip(zip: Vec<u8>) -> Code {
        let sha256 = Sha256::digest(&zip).into();
        Code {
            zip: zip.into(),
            sha256,
        }
    }

    /// A package from its zip bytes and the hex SHA-256 the packager reported; `None` when
    /// they do not match.
    pub fn new(zip: Vec<u8>, sha256_hex: &str) -> Option<Code> {
        let code = Code::from_zip(zip);
        code.sha256_hex()
            .eq_ignore_ascii_case(sha256_hex)
            .then_some(code)
    }

    /// The zip bytes.
    pub fn zip(&self) -> &[u8] {
        &self.zip
    }

    /// The SHA-256 in hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// The SHA-256 as Lambda reports it (`CodeSha256`: base64).
    pub fn sha256_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.sha256)
    }
}

/// Everything the manifest asks for, in the caller's account.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// The stack name (the value of the [`crate::STACK_TAG`] tag).
    pub stack: String,
    /// The account.
    pub account: AccountId,
    /// The partition.
    pub partition: Partition,
    /// The region.
    pub region: String,
    /// Customer-managed policies by name.
    pub policies: BTreeMap<String, DesiredPolicy>,
    /// Groups by name.
    pub groups: BTreeMap<String, DesiredGroup>,
    /// Users by name.
    pub users: BTreeMap<String, DesiredUser>,
    /// Roles by name.
    pub roles: BTreeMap<String, DesiredRole>,
    /// The bucket's name.
    pub bucket: Option<DesiredBucket>,
    /// Lambda functions by name.
    pub functions: BTreeMap<String, DesiredFunction>,
    /// Whether resources with the manifest's names that are not marked as ours are taken over
    /// (marked) instead of stopping the run.
    pub adopt: bool,
}

/// A managed policy.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredPolicy {
    /// Its ARN.
    pub arn: String,
    /// Its document, placeholders filled.
    pub document: Value,
}

/// A group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredGroup {
    /// Its path: `/iamkit/<stack>/`.
    pub path: String,
    /// Names of its managed policies.
    pub policies: BTreeSet<String>,
}

/// A user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredUser {
    /// Names of its groups.
    pub groups: BTreeSet<String>,
    /// Whether it has a console password.
    pub console: bool,
}

/// A role.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredRole {
    /// Its ARN.
    pub arn: String,
    /// Its trust policy.
    pub trust: Value,
    /// Names of its managed policies.
    pub policies: BTreeSet<String>,
}

/// The bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredBucket {
    /// Its name.
    pub name: String,
    /// Whether the name was derived from stack, account and region (not given in the manifest).
    pub derived: bool,
}

/// A Lambda function.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredFunction {
    /// The runtime.
    pub runtime: String,
    /// The handler.
    pub handler: String,
    /// The execution role's name.
    pub role: String,
    /// The deployment package; without one, the function is left as it is (or not created).
    pub code: Option<Code>,
}

impl Desired {
    /// Fills the manifest in for `identity`'s account in `region`. `code` holds the deployment
    /// package of each function, by name.
    pub fn new(
        manifest: &Manifest,
        identity: &Identity,
        region: &str,
        code: &BTreeMap<String, Code>,
    ) -> Result<Desired, ManifestErrors> {
        Desired::build(manifest, identity, region, code, true)
    }

    /// What teardown needs: names and ARNs only. A policy document that does not parse is
    /// kept as `null` rather than refused, so that a broken policy file does not stop the
    /// removal of what the stack created.
    pub fn names(
        manifest: &Manifest,
        identity: &Identity,
        region: &str,
    ) -> Result<Desired, ManifestErrors> {
        Desired::build(manifest, identity, region, &BTreeMap::new(), false)
    }

    fn build(
        manifest: &Manifest,
        identity: &Identity,
        region: &str,
        code: &BTreeMap<String, Code>,
        documents: bool,
    ) -> Result<Desired, ManifestErrors> {
        let (account, partition) = (identity.account, &identity.partition);
        let mut errors = Vec::new();
        let mut policies = BTreeMap::new();
        for (name, source) in &manifest.policies {
            match desired_policy(source, partition, account, name, documents) {
                Ok(policy) => {
                    policies.insert(name.clone(), policy);
                }
                Err(error) => errors.push(error),
            }
        }
        let mut roles = BTreeMap::new();
        for (name, spec) in &manifest.roles {
            match Arn::iam_role(partition, account, "/", name) {
                Ok(arn) => {
                    let role = DesiredRole {
                        arn: arn.as_str().to_owned(),
                        trust: trust_policy(&spec.trust, partition, &account),
                        policies: spec.policies.iter().cloned().collect(),
                    };
                    roles.insert(name.clone(), role);
                }
                Err(e) => errors.push(manifest_error(&manifest.file, e)),
            }
        }
        if !errors.is_empty() {
            return Err(ManifestErrors(errors));
        }
        Ok(Desired {
            stack: manifest.stack.clone(),
            account,
            region: region.to_owned(),
            policies,
            groups: groups(manifest),
            users: users(manifest),
            roles,
            bucket: bucket(manifest, account, region),
            functions: functions(manifest, code),
            partition: partition.clone(),
            adopt: false,
        })
    }

    /// The ARN of a manifest policy, by name.
    pub fn policy_arn(&self, name: &str) -> Option<String> {
        self.policies.get(name).map(|p| p.arn.clone())
    }

    /// The ARN of a manifest role, by name (path `/`).
    pub fn role_arn(&self, name: &str) -> Option<String> {
        self.roles.get(name).map(|r| r.arn.clone())
    }

    /// The path of the stack's groups: `/iamkit/<stack>/`.
    pub fn group_path(&self) -> String {
        crate::marks::group_path(&self.stack)
    }
}

fn manifest_error(file: &std::path::Path, error: iamkit_arn::ArnError) -> ManifestError {
    ManifestError {
        file: file.to_owned(),
        location: None,
        help: error.help().map(str::to_owned),
        message: error.to_string(),
    }
}

/// A policy file filled in for the account: its ARN and its document.
fn desired_policy(
    source: &PolicySource,
    partition: &Partition,
    account: AccountId,
    name: &str,
    required: bool,
) -> Result<DesiredPolicy, ManifestError> {
    let arn = Arn::iam_policy(partition, account, "/", name)
        .map_err(|e| manifest_error(&source.file, e))?;
    let text = source.text.replace(ACCOUNT_PLACEHOLDER, account.as_ref());
    let document = match serde_json::from_str(&text) {
        Ok(document) => document,
        Err(_) if !required => Value::Null,
        Err(e) => {
            return Err(ManifestError {
                file: source.file.clone(),
                location: Some((e.line(), e.column())),
                message: e.to_string(),
                help: None,
            });
        }
    };
    Ok(DesiredPolicy {
        arn: arn.as_str().to_owned(),
        document,
    })
}

fn groups(manifest: &Manifest) -> BTreeMap<String, DesiredGroup> {
    let path = crate::marks::group_path(&manifest.stack);
    let group = |g: &crate::manifest::GroupSpec| DesiredGroup {
        path: path.clone(),
        policies: g.policies.iter().cloned().collect(),
    };
    manifest
        .groups
        .iter()
        .map(|(name, g)| (name.clone(), group(g)))
        .collect()
}

fn users(manifest: &Manifest) -> BTreeMap<String, DesiredUser> {
    let user = |u: &crate::manifest::UserSpec| DesiredUser {
        groups: u.groups.iter().cloned().collect(),
        console: u.console,
    };
    manifest
        .users
        .iter()
        .map(|(name, u)| (name.clone(), user(u)))
        .collect()
}

fn bucket(manifest: &Manifest, account: AccountId, region: &str) -> Option<DesiredBucket> {
    manifest.bucket.as_ref().map(|b| match &b.name {
        Some(name) => DesiredBucket {
            name: name.clone(),
            derived: false,
        },
        None => DesiredBucket {
            name: format!("{}-{account}-{region}", manifest.stack),
            derived: true,
        },
    })
}

fn functions(
    manifest: &Manifest,
    code: &BTreeMap<String, Code>,
) -> BTreeMap<String, DesiredFunction> {
    let function = |name: &String, f: &crate::manifest::FunctionSpec| DesiredFunction {
        runtime: f.runtime.clone(),
        handler: f.handler.clone(),
        role: f.role.clone(),
        code: code.get(name).cloned(),
    };
    manifest
        .functions
        .iter()
        .map(|(name, f)| (name.clone(), function(name, f)))
        .collect()
}

/// The name at the end of an IAM ARN, after its path:
/// `arn:aws:iam::123456789012:policy/path/NAME` -> `NAME`.
pub fn name_in_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The host of GitHub Actions' OIDC provider, and the prefix of its condition keys.
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";

/// The trust policy document for `trust`.
pub fn trust_policy(trust: &Trust, partition: &Partition, own: &AccountId) -> Value {
    let statement = match trust {
        Trust::Account {
            account,
            require_mfa,
        } => {
            let account = account.unwrap_or(*own);
            let root = Arn::account_root(partition, account);
            let mut statement = json!({
                "Effect": "Allow",
                "Principal": {"AWS": root.as_str()},
                "Action": "sts:AssumeRole",
            });
            if *require_mfa && let Some(object) = statement.as_object_mut() {
                object.insert(
                    "Condition".into(),
                    json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                );
            }
            statement
        }
        Trust::Service(service) => json!({
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }),
        Trust::GithubOidc {
            provider,
            repository,
            branch,
        } => {
            // The manifest may write the provider with the `<account-id>` placeholder.
            let provider = match provider {
                Some(p) => p.replace(ACCOUNT_PLACEHOLDER, own.as_ref()),
                None => Arn::iam_oidc_provider(partition, *own, GITHUB_OIDC_HOST)
                    .map(|arn| arn.as_str().to_owned())
                    .unwrap_or_default(),
            };
            json!({
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    format!("{GITHUB_OIDC_HOST}:aud"): "sts.amazonaws.com",
                    format!("{GITHUB_OIDC_HOST}:sub"): format!("repo:{repository}:ref:refs/heads/{branch}"),
                }},
            })
        }
    };
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_hashes_are_hex_for_people_and_base64_for_lambda() {
        let code = Code::from_zip(b"abc".to_vec());
        assert_eq!(
            code.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            code.sha256_base64(),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        assert!(Code::new(b"abc".to_vec(), &code.sha256_hex().to_uppercase()).is_some());
        assert!(Code::new(b"abd".to_vec(), &code.sha256_hex()).is_none());
    }

    #[test]
    fn trust_policies_name_the_account_root_or_the_service() {
        let own: AccountId = "123456789012".parse().unwrap();
        let admin = trust_policy(
            &Trust::Account {
                account: None,
                require_mfa: true,
            },
            &Partition::Aws,
            &own,
        );
        assert_eq!(
            admin["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::123456789012:root"
        );
        assert_eq!(
            admin["Statement"][0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
            "true"
        );
        let lambda = trust_policy(
            &Trust::Service("lambda.amazonaws.com".into()),
            &Partition::Aws,
            &own,
        );
        let github = trust_policy(
            &Trust::GithubOidc {
                provider: None,
                repository: "octo/iamkit".into(),
                branch: "main".into(),
            },
            &Partition::Aws,
            &own,
        );
        assert_eq!(
            github,
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{own}:oidc-provider/token.actions.githubusercontent.com")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:octo/iamkit:ref:refs/heads/main",
                }},
            }]})
        );
        assert_eq!(
            lambda["Statement"][0]["Principal"]["Service"],
            "lambda.amazonaws.com"
        );
        let written = trust_policy(
            &Trust::GithubOidc {
                provider: Some(format!(
                    "arn:aws:iam::<account-id>:oidc-provider/{GITHUB_OIDC_HOST}"
                )),
                repository: "octo/iamkit".into(),
                branch: "main".into(),
            },
            &Partition::Aws,
            &own,
        );
        assert_eq!(written, github);
    }

    #[test]
    fn identity_reads_partition_and_root() {
        let account = "123456789012".parse().unwrap();
        let root = Identity::new(account, "arn:aws-cn:iam::123456789012:root");
        assert!(root.is_root());
        assert_eq!(root.partition, Partition::AwsCn);
        assert!(!Identity::new(account, "arn:aws:iam::123456789012:user/moto").is_root());
    }
}
