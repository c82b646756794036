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
    manifest::{Manifest, ManifestError, ManifestErrors, Trust},
    review::ACCOUNT_PLACEHOLDER,
};

/// Who is calling: from `sts:GetCallerIdentity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The account.
    pub account: AccountId,
    /// The caller's ARN.
    pub arn: String,
    /// The partition (`aws`, `aws-cn`, ...), from the ARN.
    pub partition: String,
}

impl Identity {
    /// An identity from an account id and caller ARN; the partition is read from the ARN.
    pub fn new(account: AccountId, arn: &str) -> Identity {
        let partition = arn.split(':').nth(1).unwrap_or("aws").to_owned();
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
    pub partition: String,
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
        let account = identity.account;
        let partition = identity.partition.clone();
        let mut errors = Vec::new();
        let mut policies = BTreeMap::new();
        for (name, source) in &manifest.policies {
            let text = source.text.replace(ACCOUNT_PLACEHOLDER, account.as_ref());
            match serde_json::from_str(&text) {
                Ok(document) => {
                    policies.insert(
                        name.clone(),
                        DesiredPolicy {
                            arn: format!("arn:{partition}:iam::{account}:policy/{name}"),
                            document,
                        },
                    );
                }
                Err(e) => errors.push(ManifestError {
                    file: source.file.clone(),
                    location: Some((e.line(), e.column())),
                    message: e.to_string(),
                    help: None,
                }),
            }
        }
        if !errors.is_empty() {
            return Err(ManifestErrors(errors));
        }
        let group_path = crate::marks::group_path(&manifest.stack);
        Ok(Desired {
            stack: manifest.stack.clone(),
            account,
            region: region.to_owned(),
            policies,
            groups: manifest
                .groups
                .iter()
                .map(|(name, g)| {
                    let group = DesiredGroup {
                        path: group_path.clone(),
                        policies: g.policies.iter().cloned().collect(),
                    };
                    (name.clone(), group)
                })
                .collect(),
            users: manifest
                .users
                .iter()
                .map(|(name, u)| {
                    let user = DesiredUser {
                        groups: u.groups.iter().cloned().collect(),
                        console: u.console,
                    };
                    (name.clone(), user)
                })
                .collect(),
            roles: manifest
                .roles
                .iter()
                .map(|(name, r)| {
                    let role = DesiredRole {
                        arn: format!("arn:{partition}:iam::{account}:role/{name}"),
                        trust: trust_policy(&r.trust, &partition, &account),
                        policies: r.policies.iter().cloned().collect(),
                    };
                    (name.clone(), role)
                })
                .collect(),
            bucket: manifest.bucket.as_ref().map(|b| match &b.name {
                Some(name) => DesiredBucket {
                    name: name.clone(),
                    derived: false,
                },
                None => DesiredBucket {
                    name: format!("{}-{account}-{region}", manifest.stack),
                    derived: true,
                },
            }),
            functions: manifest
                .functions
                .iter()
                .map(|(name, f)| {
                    let function = DesiredFunction {
                        runtime: f.runtime.clone(),
                        handler: f.handler.clone(),
                        role: f.role.clone(),
                        code: code.get(name).cloned(),
                    };
                    (name.clone(), function)
                })
                .collect(),
            partition,
            adopt: false,
        })
    }

    /// The ARN of a manifest policy, by name.
    pub fn policy_arn(&self, name: &str) -> String {
        format!("arn:{}:iam::{}:policy/{name}", self.partition, self.account)
    }

    /// The ARN of a manifest role, by name (path `/`).
    pub fn role_arn(&self, name: &str) -> String {
        format!("arn:{}:iam::{}:role/{name}", self.partition, self.account)
    }

    /// The path of the stack's groups: `/iamkit/<stack>/`.
    pub fn group_path(&self) -> String {
        crate::marks::group_path(&self.stack)
    }
}

/// The name at the end of an IAM ARN, after its path:
/// `arn:aws:iam::123456789012:policy/path/NAME` -> `NAME`.
pub fn name_in_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The host of GitHub Actions' OIDC provider, and the prefix of its condition keys.
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";

/// The trust policy document for `trust`.
pub fn trust_policy(trust: &Trust, partition: &str, own: &AccountId) -> Value {
    let statement = match trust {
        Trust::Account {
            account,
            require_mfa,
        } => {
            let account = account.unwrap_or(*own);
            let partition: Partition = partition.parse().unwrap_or_default();
            let root = Arn::account_root(&partition, account);
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
            let provider = provider.as_ref().map_or_else(
                || format!("arn:{partition}:iam::{own}:oidc-provider/{GITHUB_OIDC_HOST}"),
                |p| p.replace("<account-id>", own.as_ref()),
            );
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
            "aws",
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
        let lambda = trust_policy(&Trust::Service("lambda.amazonaws.com".into()), "aws", &own);
        let github = trust_policy(
            &Trust::GithubOidc {
                provider: None,
                repository: "octo/iamkit".into(),
                branch: "main".into(),
            },
            "aws",
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
            "aws",
            &own,
        );
        assert_eq!(written, github);
    }

    #[test]
    fn identity_reads_partition_and_root() {
        let account = "123456789012".parse().unwrap();
        let root = Identity::new(account, "arn:aws-cn:iam::123456789012:root");
        assert!(root.is_root());
        assert_eq!(root.partition, "aws-cn");
        assert!(!Identity::new(account, "arn:aws:iam::123456789012:user/moto").is_root());
    }
}
