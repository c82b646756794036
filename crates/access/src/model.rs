//! The account model: users, groups, roles, managed policies with all their versions, and
//! Lambda functions, built from plain values (names, ARNs, documents as `serde_json::Value`).
//!
//! Every adapter (a file from the AWS CLI, the provisioner's snapshot, the manifest's desired
//! state) builds these types; the analysis never sees where they came from. Documents are
//! validated when they enter the model, so an [`Account`] holds only policies the engine can
//! evaluate. References between entities (a user's groups, attached policy ARNs, a function's
//! role) are kept as written and resolved by the analysis, which reports the ones that name
//! nothing as warnings.

use std::fmt;

use iamkit_arn::{AccountId, Arn, ArnError, Partition};
use iamkit_policy::{ParseErrors, Policy};
use serde_json::Value;

/// Why a value could not enter the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// Text that should be an ARN is not one.
    #[error("invalid ARN `{text}`: {error}")]
    Arn {
        /// The text.
        text: String,
        /// Why, from the ARN parser.
        error: ArnError,
    },
    /// An ARN of the wrong kind, such as a role ARN where a user is expected.
    #[error("`{text}` is not the ARN of {expected}")]
    Kind {
        /// The ARN.
        text: String,
        /// What was expected: `an IAM user`, `an IAM role`, ...
        expected: &'static str,
    },
    /// A policy document with problems.
    #[error("{what} is not a valid policy: {errors}")]
    Policy {
        /// Which document: `the trust policy of role admin`, `version v2 of policy p`, ...
        what: String,
        /// Every problem, with JSON pointers inside the document.
        errors: ParseErrors,
    },
}

impl ModelError {
    /// Advice for a person reading the error.
    pub fn help(&self) -> &'static str {
        match self {
            ModelError::Arn { .. } | ModelError::Kind { .. } => {
                "ARNs look like `arn:aws:iam::111122223333:user/dev-user`"
            }
            ModelError::Policy { .. } => {
                "fix the document, or run `cargo xtask lint` on it for every problem with its position"
            }
        }
    }
}

/// Parses `text` as an ARN.
pub(crate) fn arn(text: &str) -> Result<Arn, ModelError> {
    text.parse().map_err(|error| ModelError::Arn {
        text: text.to_owned(),
        error,
    })
}

/// Parses `text` as an IAM ARN of resource type `kind` (`user`, `role`, ...).
fn iam_arn(text: &str, kind: &str, expected: &'static str) -> Result<Arn, ModelError> {
    let parsed = arn(text)?;
    let ok = parsed.iam_resource().is_some_and(|r| r.kind == kind) && parsed.account_id().is_some();
    if ok {
        Ok(parsed)
    } else {
        Err(ModelError::Kind {
            text: text.to_owned(),
            expected,
        })
    }
}

/// The name at the end of an IAM ARN (after its path).
fn iam_name(arn: &Arn) -> String {
    arn.iam_resource()
        .map_or_else(|| arn.resource_id().to_owned(), |r| r.name.to_owned())
}

/// Validates a policy document, naming it `what` in errors.
pub fn document(what: &str, value: &Value) -> Result<Policy, ModelError> {
    iamkit_policy::parse_value(value).map_err(|errors| ModelError::Policy {
        what: what.to_owned(),
        errors,
    })
}

/// What is known about a user's MFA devices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MfaDevices {
    /// Not known (`GetAccountAuthorizationDetails` does not say): the user may have one.
    #[default]
    Unknown,
    /// The serial numbers (ARNs for virtual devices) of the user's enabled devices.
    Known(Vec<String>),
}

/// An inline policy: a name and a document.
#[derive(Clone, Debug, PartialEq)]
pub struct InlinePolicy {
    /// The policy's name, unique for its owner.
    pub name: String,
    /// The validated document.
    pub document: Policy,
}

impl InlinePolicy {
    /// An inline policy named `name` of `owner` (`user dev-user`, for errors) from its document.
    pub fn new(owner: &str, name: &str, document: &Value) -> Result<InlinePolicy, ModelError> {
        Ok(InlinePolicy {
            name: name.to_owned(),
            document: self::document(&format!("inline policy `{name}` of {owner}"), document)?,
        })
    }
}

/// An IAM user.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// The user's ARN (with its path).
    pub arn: Arn,
    /// The user name.
    pub name: String,
    /// The unique id (`AIDA...`), when known: it is `aws:userid`.
    pub id: Option<String>,
    /// Names of the groups the user is in.
    pub groups: Vec<String>,
    /// ARNs of the managed policies attached to the user.
    pub attached: Vec<Arn>,
    /// The user's inline policies.
    pub inline: Vec<InlinePolicy>,
    /// The ARN of the managed policy that is the user's permissions boundary.
    pub boundary: Option<Arn>,
    /// The user's MFA devices, when known.
    pub mfa: MfaDevices,
    /// The user's tags (`aws:PrincipalTag/KEY`).
    pub tags: Vec<(String, String)>,
}

impl User {
    /// A user with nothing attached, from its ARN.
    ///
    /// ```
    /// let user = iamkit_access::User::new("arn:aws:iam::111122223333:user/team/dev-user")?;
    /// assert_eq!(user.name, "dev-user");
    /// # Ok::<(), iamkit_access::ModelError>(())
    /// ```
    pub fn new(arn: &str) -> Result<User, ModelError> {
        let arn = iam_arn(arn, "user", "an IAM user")?;
        Ok(User {
            name: iam_name(&arn),
            arn,
            id: None,
            groups: Vec::new(),
            attached: Vec::new(),
            inline: Vec::new(),
            boundary: None,
            mfa: MfaDevices::Unknown,
            tags: Vec::new(),
        })
    }

    /// Adds the user to group `name`.
    #[must_use]
    pub fn in_group(mut self, name: &str) -> User {
        self.groups.push(name.to_owned());
        self
    }

    /// Attaches the managed policy `arn`.
    pub fn attach(mut self, arn: &str) -> Result<User, ModelError> {
        self.attached.push(self::arn(arn)?);
        Ok(self)
    }

    /// Adds an inline policy.
    pub fn inline(mut self, name: &str, document: &Value) -> Result<User, ModelError> {
        let owner = format!("user {}", self.name);
        self.inline.push(InlinePolicy::new(&owner, name, document)?);
        Ok(self)
    }

    /// Sets the permissions boundary to the managed policy `arn`.
    pub fn bounded_by(mut self, arn: &str) -> Result<User, ModelError> {
        self.boundary = Some(self::arn(arn)?);
        Ok(self)
    }
}

/// An IAM group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The group's ARN.
    pub arn: Arn,
    /// The group name.
    pub name: String,
    /// ARNs of the managed policies attached to the group.
    pub attached: Vec<Arn>,
    /// The group's inline policies.
    pub inline: Vec<InlinePolicy>,
}

impl Group {
    /// A group with nothing attached, from its ARN.
    pub fn new(arn: &str) -> Result<Group, ModelError> {
        let arn = iam_arn(arn, "group", "an IAM group")?;
        Ok(Group {
            name: iam_name(&arn),
            arn,
            attached: Vec::new(),
            inline: Vec::new(),
        })
    }

    /// Attaches the managed policy `arn`.
    pub fn attach(mut self, arn: &str) -> Result<Group, ModelError> {
        self.attached.push(self::arn(arn)?);
        Ok(self)
    }

    /// Adds an inline policy.
    pub fn inline(mut self, name: &str, document: &Value) -> Result<Group, ModelError> {
        let owner = format!("group {}", self.name);
        self.inline.push(InlinePolicy::new(&owner, name, document)?);
        Ok(self)
    }
}

/// An IAM role.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    /// The role's ARN (with its path).
    pub arn: Arn,
    /// The role name.
    pub name: String,
    /// The unique id (`AROA...`), when known.
    pub id: Option<String>,
    /// The trust policy (`AssumeRolePolicyDocument`).
    pub trust: Policy,
    /// ARNs of the managed policies attached to the role.
    pub attached: Vec<Arn>,
    /// The role's inline policies.
    pub inline: Vec<InlinePolicy>,
    /// The ARN of the managed policy that is the role's permissions boundary.
    pub boundary: Option<Arn>,
    /// Names of the instance profiles that hold the role.
    pub instance_profiles: Vec<String>,
    /// The role's tags (`aws:PrincipalTag/KEY` in its sessions).
    pub tags: Vec<(String, String)>,
}

impl Role {
    /// A role with nothing attached, from its ARN and trust policy.
    ///
    /// ```
    /// let trust = serde_json::json!({
    ///     "Version": "2012-10-17",
    ///     "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    ///                    "Action": "sts:AssumeRole"}]
    /// });
    /// let role = iamkit_access::Role::new("arn:aws:iam::111122223333:role/exec-lambda", &trust)?;
    /// assert_eq!(role.name, "exec-lambda");
    /// # Ok::<(), iamkit_access::ModelError>(())
    /// ```
    pub fn new(arn: &str, trust: &Value) -> Result<Role, ModelError> {
        let arn = iam_arn(arn, "role", "an IAM role")?;
        let name = iam_name(&arn);
        Ok(Role {
            trust: document(&format!("the trust policy of role {name}"), trust)?,
            name,
            arn,
            id: None,
            attached: Vec::new(),
            inline: Vec::new(),
            boundary: None,
            instance_profiles: Vec::new(),
            tags: Vec::new(),
        })
    }

    /// Attaches the managed policy `arn`.
    pub fn attach(mut self, arn: &str) -> Result<Role, ModelError> {
        self.attached.push(self::arn(arn)?);
        Ok(self)
    }

    /// Adds an inline policy.
    pub fn inline(mut self, name: &str, document: &Value) -> Result<Role, ModelError> {
        let owner = format!("role {}", self.name);
        self.inline.push(InlinePolicy::new(&owner, name, document)?);
        Ok(self)
    }

    /// Sets the permissions boundary to the managed policy `arn`.
    pub fn bounded_by(mut self, arn: &str) -> Result<Role, ModelError> {
        self.boundary = Some(self::arn(arn)?);
        Ok(self)
    }

    /// Puts the role in the instance profile `name`.
    #[must_use]
    pub fn in_instance_profile(mut self, name: &str) -> Role {
        self.instance_profiles.push(name.to_owned());
        self
    }
}

/// One version of a managed policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyVersion {
    /// The version id, `v1`, `v2`, ...
    pub id: String,
    /// Whether this is the version in effect.
    pub default: bool,
    /// The validated document.
    pub document: Policy,
}

/// A managed policy (customer-managed or AWS-managed) with every version it has.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedPolicy {
    /// The policy's ARN; AWS-managed policies are in account `aws`.
    pub arn: Arn,
    /// The policy name.
    pub name: String,
    /// Its versions; exactly one should be the default.
    pub versions: Vec<PolicyVersion>,
}

impl ManagedPolicy {
    /// A policy with one version, `v1`, the default.
    ///
    /// ```
    /// let doc = serde_json::json!({"Version": "2012-10-17",
    ///     "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]});
    /// let policy = iamkit_access::ManagedPolicy::new("arn:aws:iam::111122223333:policy/manage-iam", &doc)?;
    /// assert_eq!(policy.default_version().map(|v| v.id.as_str()), Some("v1"));
    /// # Ok::<(), iamkit_access::ModelError>(())
    /// ```
    pub fn new(arn: &str, document: &Value) -> Result<ManagedPolicy, ModelError> {
        let mut policy = ManagedPolicy::empty(arn)?;
        policy = policy.version("v1", true, document)?;
        Ok(policy)
    }

    /// A policy with no version yet (add them with [`ManagedPolicy::version`]).
    pub fn empty(arn: &str) -> Result<ManagedPolicy, ModelError> {
        let parsed = self::arn(arn)?;
        if parsed.iam_resource().is_none_or(|r| r.kind != "policy") {
            return Err(ModelError::Kind {
                text: arn.to_owned(),
                expected: "a managed policy",
            });
        }
        Ok(ManagedPolicy {
            name: iam_name(&parsed),
            arn: parsed,
            versions: Vec::new(),
        })
    }

    /// Adds version `id`; `default` says whether it is the one in effect.
    pub fn version(
        mut self,
        id: &str,
        default: bool,
        document: &Value,
    ) -> Result<ManagedPolicy, ModelError> {
        let what = format!("version {id} of policy {}", self.name);
        self.versions.push(PolicyVersion {
            id: id.to_owned(),
            default,
            document: self::document(&what, document)?,
        });
        Ok(self)
    }

    /// The version in effect: the one marked default (the first one if none is).
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.versions
            .iter()
            .find(|v| v.default)
            .or_else(|| self.versions.first())
    }

    /// Whether AWS manages the policy (its ARN's account is `aws`): nobody in the account
    /// can change its versions.
    pub fn is_aws_managed(&self) -> bool {
        self.arn.account() == "aws"
    }
}

/// A Lambda function and the role it runs as.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// The function's ARN.
    pub arn: Arn,
    /// The function name.
    pub name: String,
    /// Its execution role's ARN.
    pub role: Arn,
}

impl Function {
    /// A function from its ARN and its execution role's ARN.
    pub fn new(arn: &str, role: &str) -> Result<Function, ModelError> {
        let parsed = self::arn(arn)?;
        if parsed.service() != "lambda" || parsed.resource_type() != Some("function") {
            return Err(ModelError::Kind {
                text: arn.to_owned(),
                expected: "a Lambda function",
            });
        }
        let name = parsed
            .resource()
            .split(':')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        Ok(Function {
            arn: parsed,
            name,
            role: iam_arn(role, "role", "an IAM role")?,
        })
    }
}

/// One AWS account: its principals, policies and functions.
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    /// The partition, `aws` for most accounts.
    pub partition: Partition,
    /// The account id.
    pub id: AccountId,
    /// The IAM users.
    pub users: Vec<User>,
    /// The IAM groups.
    pub groups: Vec<Group>,
    /// The IAM roles.
    pub roles: Vec<Role>,
    /// Managed policies: every customer-managed policy, and the AWS-managed ones known.
    pub policies: Vec<ManagedPolicy>,
    /// Lambda functions, when known.
    pub functions: Vec<Function>,
}

impl Account {
    /// An empty account.
    pub fn new(partition: Partition, id: AccountId) -> Account {
        Account {
            partition,
            id,
            users: Vec::new(),
            groups: Vec::new(),
            roles: Vec::new(),
            policies: Vec::new(),
            functions: Vec::new(),
        }
    }

    /// The managed policy with this ARN.
    pub fn policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        self.policies.iter().find(|p| p.arn.as_str() == arn)
    }

    /// The group with this name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "account {}: {} users, {} groups, {} roles, {} managed policies, {} functions",
            self.id,
            self.users.len(),
            self.groups.len(),
            self.roles.len(),
            self.policies.len(),
            self.functions.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constructors_check_the_kind_of_arn() {
        let err = User::new("arn:aws:iam::111122223333:role/admin").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`arn:aws:iam::111122223333:role/admin` is not the ARN of an IAM user"
        );
        assert!(Group::new("arn:aws:iam::111122223333:group/developer").is_ok());
        assert!(User::new("not an arn").is_err());
        let f = Function::new(
            "arn:aws:lambda:ap-northeast-1:111122223333:function:hello",
            "arn:aws:iam::111122223333:role/exec-lambda",
        )
        .unwrap();
        assert_eq!(f.name, "hello");
    }

    #[test]
    fn bad_documents_name_the_document() {
        let err = Role::new(
            "arn:aws:iam::111122223333:role/admin",
            &json!({"Statement": {"Effects": "Allow"}}),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the trust policy of role admin is not a valid policy"),
            "{err}"
        );
    }

    #[test]
    fn the_default_version_is_the_marked_one() {
        let doc = json!({"Version": "2012-10-17", "Statement": []});
        let p = ManagedPolicy::empty("arn:aws:iam::111122223333:policy/p")
            .and_then(|p| p.version("v1", false, &doc))
            .and_then(|p| p.version("v2", true, &doc))
            .unwrap();
        assert_eq!(p.default_version().map(|v| v.id.as_str()), Some("v2"));
        assert!(!p.is_aws_managed());
    }
}
