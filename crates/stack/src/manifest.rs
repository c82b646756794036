//! The manifest (`policies/baseline.toml`): what the account should hold, read and checked
//! before any call to AWS.

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Range,
    path::{Path, PathBuf},
    str::FromStr,
};

use iamkit_arn::AccountId;
use serde::Deserialize;
use toml::Spanned;

use crate::{
    acceptances::{ACCEPTANCES, parse_acceptances},
    located::{ManifestError, ManifestErrors, line_column},
    policy_file,
};

/// The account as the manifest describes it, every name checked and every policy file read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The manifest file.
    pub file: PathBuf,
    /// The stack name: the value of the `iamkit:stack` tag and part of the groups' path.
    pub stack: String,
    /// The region the manifest asks for, if any.
    pub region: Option<String>,
    /// Customer-managed policies by name.
    pub policies: BTreeMap<String, PolicySource>,
    /// Groups by name.
    pub groups: BTreeMap<String, GroupSpec>,
    /// Users by name.
    pub users: BTreeMap<String, UserSpec>,
    /// Roles by name.
    pub roles: BTreeMap<String, RoleSpec>,
    /// The S3 bucket, if the manifest asks for one.
    pub bucket: Option<BucketSpec>,
    /// Lambda functions by name.
    pub functions: BTreeMap<String, FunctionSpec>,
    /// The findings the linter accepts, from the `lint.toml` beside the manifest.
    pub acceptances: Vec<iamkit_lint::Suppression>,
    /// Where each group, user and role is defined, by `"role admin"`: 1-based line and column.
    pub places: BTreeMap<String, (usize, usize)>,
}

impl Manifest {
    /// Where the group, user or role (`kind`) `name` is defined in the manifest: its 1-based
    /// line and column, or (1, 1) when it is not there.
    pub fn place(&self, kind: &str, name: &str) -> (usize, usize) {
        self.places
            .get(&format!("{kind} {name}"))
            .copied()
            .unwrap_or((1, 1))
    }
}

/// A policy file: its path and its text, with `<account-id>` placeholders not yet filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySource {
    /// The JSON file.
    pub file: PathBuf,
    /// Its text.
    pub text: String,
}

/// A group and the managed policies attached to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupSpec {
    /// Names of manifest policies.
    pub policies: Vec<String>,
}

/// A user: its groups and whether it may sign in to the console.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserSpec {
    /// Names of manifest groups.
    pub groups: Vec<String>,
    /// Whether the user gets a console password.
    pub console: bool,
}

/// A role: who may assume it and its managed policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSpec {
    /// The trust policy, as intent.
    pub trust: Trust,
    /// Names of manifest policies.
    pub policies: Vec<String>,
}

/// Who may assume a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Principals of an account: this one (`None`) or another.
    Account {
        /// The trusted account; `None` for the caller's own.
        account: Option<AccountId>,
        /// Whether switching to the role needs MFA (`aws:MultiFactorAuthPresent`).
        require_mfa: bool,
    },
    /// An AWS service, such as `lambda.amazonaws.com`.
    Service(String),
    /// GitHub Actions runs of one repository's branch, through GitHub's OIDC provider
    /// (`sts:AssumeRoleWithWebIdentity`; the token's `sub` must be
    /// `repo:OWNER/NAME:ref:refs/heads/BRANCH` and its `aud` `sts.amazonaws.com`).
    GithubOidc {
        /// The OIDC provider's ARN; `None` for this account's
        /// `oidc-provider/token.actions.githubusercontent.com`.
        provider: Option<String>,
        /// `OWNER/NAME`.
        repository: String,
        /// The branch whose runs may assume the role.
        branch: String,
    },
}

/// The S3 bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketSpec {
    /// Its name; `None` derives `<stack>-<account-id>-<region>`.
    pub name: Option<String>,
}

/// A Lambda function. Its code comes from the caller, not from the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The runtime, such as `provided.al2023`.
    pub runtime: String,
    /// The handler, such as `bootstrap`.
    pub handler: String,
    /// The execution role: a manifest role name.
    pub role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    stack: Spanned<String>,
    region: Option<Spanned<String>>,
    #[serde(default)]
    policies: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    groups: BTreeMap<Spanned<String>, RawGroup>,
    #[serde(default)]
    users: BTreeMap<Spanned<String>, RawUser>,
    #[serde(default)]
    roles: BTreeMap<Spanned<String>, RawRole>,
    bucket: Option<RawBucket>,
    #[serde(default)]
    functions: BTreeMap<Spanned<String>, RawFunction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    #[serde(default)]
    policies: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    console: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    trust: Spanned<RawTrust>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrust {
    account: Option<Spanned<String>>,
    service: Option<Spanned<String>>,
    #[serde(default)]
    require_mfa: bool,
    github: Option<Spanned<String>>,
    branch: Option<Spanned<String>>,
    provider: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBucket {
    name: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    runtime: Spanned<String>,
    handler: Spanned<String>,
    role: Spanned<String>,
}

/// Reads the manifest at `path` as [`crate::load_manifest`] does, without refusing it for its
/// findings: for a caller that shows them all (`cargo xtask lint`).
pub fn read_manifest(path: &Path) -> Result<Manifest, ManifestErrors> {
    let text = read_text(path).map_err(|e| {
        ManifestErrors(vec![ManifestError {
            file: path.to_owned(),
            location: not_utf8_at(&e),
            message: format!("cannot read the manifest: {e}"),
            help: None,
        }])
    })?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
    let mut manifest = parse_manifest(path, &text, &mut |file| read_text(&dir.join(file)))?;
    let accepted = dir.join(ACCEPTANCES);
    match read_text(&accepted) {
        Ok(text) => manifest.acceptances = parse_acceptances(&accepted, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(ManifestErrors(vec![ManifestError {
                file: accepted,
                location: not_utf8_at(&e),
                message: format!("cannot read the accepted findings: {e}"),
                help: None,
            }]));
        }
    }
    Ok(manifest)
}

/// Bytes that are not UTF-8, at a 1-based line and column (in characters) of a file.
#[derive(Debug, thiserror::Error)]
#[error("not UTF-8 text: byte {byte:#04x} at line {line}, column {column} is not valid UTF-8")]
struct NotUtf8 {
    byte: u8,
    line: usize,
    column: usize,
}

/// Reads a text file; bytes that are not UTF-8 are an `InvalidData` error carrying their place.
fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = bytes.get(..valid).unwrap_or_default();
        // The prefix is valid UTF-8 by definition of `valid_up_to`.
        let text = std::str::from_utf8(before).unwrap_or_default();
        let (line, column) = line_column(text, text.len());
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            NotUtf8 {
                byte: bytes.get(valid).copied().unwrap_or_default(),
                line,
                column,
            },
        )
    })
}

/// The line and column of an error from [`read_text`] about bytes that are not UTF-8.
fn not_utf8_at(error: &std::io::Error) -> Option<(usize, usize)> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<NotUtf8>())
        .map(|e| (e.line, e.column))
}

/// Parses manifest `text` (from `file`); `read` returns the text of a policy file named in
/// it, relative to the manifest's folder. Problems of the manifest itself are errors; what the
/// linter says of it is [`crate::review::review`]'s, for the caller to show and gate on. When the
/// manifest has errors, the errors of its policy files are reported with them. It accepts no
/// finding: [`read_manifest`] reads the acceptances of the `lint.toml` beside the manifest.
pub fn parse_manifest(
    file: &Path,
    text: &str,
    read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
) -> Result<Manifest, ManifestErrors> {
    let mut errors = Errors {
        file: file.to_owned(),
        text,
        list: Vec::new(),
    };
    let raw: RawManifest = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            errors.at(e.span(), e.message().trim_end_matches('.').to_owned(), None);
            return Err(ManifestErrors(errors.list));
        }
    };
    let dir = file.parent().unwrap_or(Path::new(""));
    errors.stack_and_region(&raw);
    let policies = errors.policies(&raw, dir, read);
    let groups = errors.groups(&raw);
    let users = errors.users(&raw);
    let roles = errors.roles(&raw);
    let bucket = errors.bucket(&raw);
    let functions = errors.functions(&raw);
    if !errors.list.is_empty() {
        // Every problem at once: the policy files' own errors too.
        for source in policies.values() {
            errors
                .list
                .extend(policy_file::policy_file_errors(&source.file, &source.text));
        }
        return Err(ManifestErrors(errors.list));
    }
    Ok(Manifest {
        file: file.to_owned(),
        stack: raw.stack.get_ref().clone(),
        places: places(&raw, text),
        region: raw.region.map(|r| r.into_inner()),
        policies,
        groups,
        users,
        roles,
        bucket,
        functions,
        acceptances: Vec::new(),
    })
}

/// Where each group, user and role is defined: the line and column of its name.
fn places(raw: &RawManifest, text: &str) -> BTreeMap<String, (usize, usize)> {
    let groups = raw.groups.keys().map(|n| ("group", n));
    let users = raw.users.keys().map(|n| ("user", n));
    let roles = raw.roles.keys().map(|n| ("role", n));
    groups
        .chain(users)
        .chain(roles)
        .map(|(kind, name)| {
            let at = line_column(text, name.span().start);
            (format!("{kind} {}", name.get_ref()), at)
        })
        .collect()
}

fn names<T>(map: &BTreeMap<Spanned<String>, T>) -> BTreeSet<&str> {
    map.keys().map(|k| k.get_ref().as_str()).collect()
}

fn values(list: &[Spanned<String>]) -> Vec<String> {
    list.iter().map(|v| v.get_ref().clone()).collect()
}

/// The manifest's sections, each checked where it is written.
impl Errors<'_> {
    fn stack_and_region(&mut self, raw: &RawManifest) {
        if !is_stack_name(raw.stack.get_ref()) {
            self.at(
                Some(raw.stack.span()),
                format!("invalid stack name `{}`", raw.stack.get_ref()),
                Some("use 1 to 32 lowercase letters, digits and hyphens, starting with a letter"),
            );
        }
        if let Some(region) = &raw.region {
            self.name(region, iamkit_arn::validate_region);
        }
    }

    fn policies(
        &mut self,
        raw: &RawManifest,
        dir: &Path,
        read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
    ) -> BTreeMap<String, PolicySource> {
        let mut policies = BTreeMap::new();
        for (name, relative) in &raw.policies {
            self.name(name, iamkit_arn::validate_policy_name);
            let file = dir.join(relative.get_ref());
            match read(Path::new(relative.get_ref())) {
                Ok(text) => {
                    policies.insert(name.get_ref().clone(), PolicySource { file, text });
                }
                // Text that is not UTF-8 has a place in the policy file itself.
                Err(e) if not_utf8_at(&e).is_some() => self.list.push(ManifestError {
                    file,
                    location: not_utf8_at(&e),
                    message: format!("cannot read the policy: {e}"),
                    help: Some("save the file as UTF-8".to_owned()),
                }),
                Err(e) => self.at(
                    Some(relative.span()),
                    format!("cannot read policy file `{}`: {e}", relative.get_ref()),
                    None,
                ),
            }
        }
        policies
    }

    fn groups(&mut self, raw: &RawManifest) -> BTreeMap<String, GroupSpec> {
        let policies = names(&raw.policies);
        let mut groups = BTreeMap::new();
        for (name, group) in &raw.groups {
            self.name(name, iamkit_arn::validate_group_name);
            self.references(&group.policies, &policies, "policy", "policies");
            let spec = GroupSpec {
                policies: values(&group.policies),
            };
            groups.insert(name.get_ref().clone(), spec);
        }
        groups
    }

    fn users(&mut self, raw: &RawManifest) -> BTreeMap<String, UserSpec> {
        let groups = names(&raw.groups);
        let mut users = BTreeMap::new();
        for (name, user) in &raw.users {
            self.name(name, iamkit_arn::validate_user_name);
            self.references(&user.groups, &groups, "group", "groups");
            if user.groups.len() > 10 {
                let message = format!(
                    "user `{}` is in {} groups; IAM allows 10",
                    name.get_ref(),
                    user.groups.len()
                );
                self.at(Some(name.span()), message, None);
            }
            let spec = UserSpec {
                groups: values(&user.groups),
                console: user.console,
            };
            users.insert(name.get_ref().clone(), spec);
        }
        users
    }

    fn roles(&mut self, raw: &RawManifest) -> BTreeMap<String, RoleSpec> {
        let policies = names(&raw.policies);
        let mut roles = BTreeMap::new();
        for (name, role) in &raw.roles {
            self.name(name, iamkit_arn::validate_role_name);
            self.references(&role.policies, &policies, "policy", "policies");
            if let Some(trust) = self.trust(&role.trust) {
                let spec = RoleSpec {
                    trust,
                    policies: values(&role.policies),
                };
                roles.insert(name.get_ref().clone(), spec);
            }
        }
        roles
    }

    fn bucket(&mut self, raw: &RawManifest) -> Option<BucketSpec> {
        let bucket = raw.bucket.as_ref()?;
        if let Some(name) = &bucket.name {
            self.name(name, iamkit_arn::validate_bucket_name);
        }
        Some(BucketSpec {
            name: bucket.name.as_ref().map(|n| n.get_ref().clone()),
        })
    }

    fn functions(&mut self, raw: &RawManifest) -> BTreeMap<String, FunctionSpec> {
        let roles = names(&raw.roles);
        let mut functions = BTreeMap::new();
        for (name, function) in &raw.functions {
            self.name(name, iamkit_arn::validate_function_name);
            let role = std::slice::from_ref(&function.role);
            self.references(role, &roles, "role", "roles");
            for field in [&function.runtime, &function.handler] {
                if field.get_ref().trim().is_empty() {
                    self.at(Some(field.span()), "empty value".to_owned(), None);
                }
            }
            let spec = FunctionSpec {
                runtime: function.runtime.get_ref().clone(),
                handler: function.handler.get_ref().clone(),
                role: function.role.get_ref().clone(),
            };
            functions.insert(name.get_ref().clone(), spec);
        }
        functions
    }
}

struct Errors<'a> {
    file: PathBuf,
    text: &'a str,
    list: Vec<ManifestError>,
}

impl Errors<'_> {
    fn at(&mut self, span: Option<Range<usize>>, message: String, help: Option<&str>) {
        self.list.push(ManifestError {
            file: self.file.clone(),
            location: span.map(|s| line_column(self.text, s.start)),
            message,
            help: help.map(str::to_owned),
        });
    }

    fn name(
        &mut self,
        name: &Spanned<String>,
        validate: fn(&str) -> Result<(), iamkit_arn::ArnError>,
    ) {
        if let Err(e) = validate(name.get_ref()) {
            self.at(Some(name.span()), e.to_string(), e.help());
        }
    }

    fn references(
        &mut self,
        names: &[Spanned<String>],
        known: &BTreeSet<&str>,
        kind: &str,
        section: &str,
    ) {
        let mut seen = BTreeSet::new();
        for name in names {
            if !known.contains(name.get_ref().as_str()) {
                self.at(
                    Some(name.span()),
                    format!("no {kind} `{}` in this manifest", name.get_ref()),
                    Some(&format!("add it under [{section}] or fix the name")),
                );
            } else if !seen.insert(name.get_ref()) {
                self.at(
                    Some(name.span()),
                    format!("{kind} `{}` is listed twice", name.get_ref()),
                    None,
                );
            }
        }
        if names.len() > 10
            && kind == "policy"
            && let Some(first) = names.first()
        {
            self.at(
                Some(first.span()),
                format!("{} managed policies; IAM attaches at most 10", names.len()),
                None,
            );
        }
    }

    fn trust(&mut self, raw: &Spanned<RawTrust>) -> Option<Trust> {
        let trust = raw.get_ref();
        if let Some(repository) = &trust.github {
            return self.github_trust(raw, repository);
        }
        if let Some(extra) = trust.branch.as_ref().or(trust.provider.as_ref()) {
            self.at(
                Some(extra.span()),
                "`branch` and `provider` apply only to a `github` trust".to_owned(),
                None,
            );
            return None;
        }
        match (&trust.account, &trust.service) {
            (Some(account), None) => {
                let parsed = if account.get_ref() == "self" {
                    Some(None)
                } else {
                    match AccountId::from_str(account.get_ref()) {
                        Ok(id) => Some(Some(id)),
                        Err(e) => {
                            self.at(Some(account.span()), e.to_string(), None);
                            None
                        }
                    }
                };
                parsed.map(|account| Trust::Account {
                    account,
                    require_mfa: trust.require_mfa,
                })
            }
            (None, Some(service)) => {
                if trust.require_mfa {
                    self.at(
                        Some(raw.span()),
                        "`require_mfa` applies only to an account".to_owned(),
                        None,
                    );
                }
                if !service.get_ref().ends_with(".amazonaws.com") {
                    self.at(
                        Some(service.span()),
                        format!("`{}` is not a service principal", service.get_ref()),
                        Some("service principals look like `lambda.amazonaws.com`"),
                    );
                }
                Some(Trust::Service(service.get_ref().clone()))
            }
            _ => {
                self.at(
                    Some(raw.span()),
                    "a trust names exactly one of `account` or `service`".to_owned(),
                    Some("write `trust = { account = \"self\" }` or `trust = { service = \"lambda.amazonaws.com\" }`"),
                );
                None
            }
        }
    }
}

impl Errors<'_> {
    fn github_trust(
        &mut self,
        raw: &Spanned<RawTrust>,
        repository: &Spanned<String>,
    ) -> Option<Trust> {
        let trust = raw.get_ref();
        if trust.account.is_some() || trust.service.is_some() || trust.require_mfa {
            self.at(
                Some(raw.span()),
                "a `github` trust takes only `branch` and `provider`".to_owned(),
                None,
            );
            return None;
        }
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let valid = repository
            .get_ref()
            .split_once('/')
            .is_some_and(|(owner, name)| name_ok(owner) && name_ok(name));
        if !valid {
            self.at(
                Some(repository.span()),
                format!("`{}` is not a GitHub repository", repository.get_ref()),
                Some("write it as `OWNER/NAME`"),
            );
            return None;
        }
        let Some(branch) = &trust.branch else {
            self.at(
                Some(raw.span()),
                "a `github` trust needs `branch`: the one branch whose runs may assume the role"
                    .to_owned(),
                Some("write `branch = \"main\"`"),
            );
            return None;
        };
        let branch_ok = !branch.get_ref().is_empty()
            && !branch
                .get_ref()
                .chars()
                .any(|c| matches!(c, '*' | '?' | ' ' | ':'));
        if !branch_ok {
            self.at(
                Some(branch.span()),
                format!("`{}` is not a branch name (no wildcards)", branch.get_ref()),
                None,
            );
            return None;
        }
        if let Some(provider) = &trust.provider
            && !provider
                .get_ref()
                .ends_with(":oidc-provider/token.actions.githubusercontent.com")
        {
            self.at(
                Some(provider.span()),
                format!(
                    "`{}` is not GitHub's OIDC provider",
                    provider.get_ref()
                ),
                Some("it looks like `arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com`"),
            );
            return None;
        }
        Some(Trust::GithubOidc {
            provider: trust.provider.as_ref().map(|p| p.get_ref().clone()),
            repository: repository.get_ref().clone(),
            branch: branch.get_ref().clone(),
        })
    }
}

fn is_stack_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{load_manifest, review};

    fn parse(text: &str, files: &[(&str, &str)]) -> Result<Manifest, ManifestErrors> {
        parse_manifest(Path::new("m/baseline.toml"), text, &mut |path| {
            files
                .iter()
                .find(|(name, _)| Path::new(name) == path)
                .map(|(_, text)| (*text).to_owned())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        })
    }

    fn check_errors(text: &str, files: &[(&str, &str)], expected: &[&str]) {
        let errors = parse(text, files).unwrap_err();
        let actual: Vec<String> = errors.0.iter().map(|e| e.to_string()).collect();
        assert_eq!(actual, expected);
    }

    const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::<account-id>-b/*"}]}"#;

    #[test]
    fn the_baseline_loads_with_the_articles_account() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/baseline.toml");
        let manifest = load_manifest(&path).unwrap();
        assert_eq!(manifest.stack, "iamkit");
        assert_eq!(manifest.policies.len(), 9);
        assert_eq!(
            manifest.groups["developer"].policies,
            ["develop-lambda", "develop-s3"]
        );
        assert_eq!(manifest.groups["developer-base"].policies.len(), 5);
        assert_eq!(
            manifest.users["dev-user"],
            UserSpec {
                groups: vec!["developer".into(), "developer-base".into()],
                console: true
            }
        );
        assert_eq!(
            manifest.roles["exec-lambda"].trust,
            Trust::Service("lambda.amazonaws.com".into())
        );
        assert_eq!(manifest.functions["hello"].role, "exec-lambda");
        assert_eq!(manifest.bucket, Some(BucketSpec { name: None }));
    }

    #[test]
    fn syntax_errors_point_at_line_and_column() {
        check_errors(
            "stack = \"s\"\nregion = \n",
            &[],
            &["m/baseline.toml:2:10: string values must be quoted, expected literal string"],
        );
    }

    #[test]
    fn every_bad_reference_is_reported_where_it_is() {
        check_errors(
            "stack = \"s\"\n[policies]\np = \"p.json\"\n[groups.g]\npolicies = [\"p\", \"q\"]\n[users.u]\ngroups = [\"g\", \"h\"]\n",
            &[("p.json", POLICY)],
            &[
                "m/baseline.toml:5:18: no policy `q` in this manifest\n  help: add it under [policies] or fix the name",
                "m/baseline.toml:7:16: no group `h` in this manifest\n  help: add it under [groups] or fix the name",
            ],
        );
    }

    #[test]
    fn unknown_fields_and_bad_names_are_errors() {
        check_errors(
            "stack = \"s\"\n[users.u]\nconsole = true\npolicies = []\n",
            &[],
            &["m/baseline.toml:4:1: unknown field `policies`, expected `groups` or `console`"],
        );
        check_errors(
            "stack = \"Bad Stack\"\n[users.\"a b\"]\n",
            &[],
            &[
                "m/baseline.toml:1:9: invalid stack name `Bad Stack`\n  help: use 1 to 32 lowercase letters, digits and hyphens, starting with a letter",
                "m/baseline.toml:2:8: invalid user name `a b`: character ` ` at column 2 is not allowed; use only letters, digits and `_+=,.@-`",
            ],
        );
    }

    #[test]
    fn a_trust_names_one_principal() {
        check_errors(
            "stack = \"s\"\n[roles.r]\ntrust = { account = \"self\", service = \"lambda.amazonaws.com\" }\n",
            &[],
            &[
                "m/baseline.toml:3:9: a trust names exactly one of `account` or `service`\n  help: write `trust = { account = \"self\" }` or `trust = { service = \"lambda.amazonaws.com\" }`",
            ],
        );
        check_errors(
            "stack = \"s\"\n[roles.r]\ntrust = { account = \"12345\" }\n",
            &[],
            &["m/baseline.toml:3:21: invalid account id `12345`: expected 12 digits"],
        );
    }

    #[test]
    fn a_github_trust_names_one_repository_and_branch() {
        let manifest = parse(
            "stack = \"s\"\n[roles.verify]\ntrust = { github = \"octo/iamkit\", branch = \"main\" }\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            manifest.roles["verify"].trust,
            Trust::GithubOidc {
                provider: None,
                repository: "octo/iamkit".into(),
                branch: "main".into(),
            }
        );
        check_errors(
            "stack = \"s\"\n[roles.r]\ntrust = { github = \"octo\", branch = \"*\" }\n",
            &[],
            &[
                "m/baseline.toml:3:20: `octo` is not a GitHub repository\n  help: write it as `OWNER/NAME`",
            ],
        );
        check_errors(
            "stack = \"s\"\n[roles.r]\ntrust = { github = \"o/r\", branch = \"*\" }\n",
            &[],
            &["m/baseline.toml:3:36: `*` is not a branch name (no wildcards)"],
        );
        check_errors(
            "stack = \"s\"\n[roles.r]\ntrust = { github = \"o/r\" }\n",
            &[],
            &[
                "m/baseline.toml:3:9: a `github` trust needs `branch`: the one branch whose runs may assume the role\n  help: write `branch = \"main\"`",
            ],
        );
    }

    #[test]
    fn policy_file_errors_name_the_policy_file() {
        check_errors(
            "stack = \"s\"\n[policies]\np = \"p.json\"\nq = \"missing.json\"\n",
            &[(
                "p.json",
                "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n}",
            )],
            &[
                "m/baseline.toml:4:5: cannot read policy file `missing.json`: entity not found",
                "m/p.json:4:1: malformed JSON: expected value [grammar]\n  help: see the IAM JSON policy grammar in the IAM User Guide",
            ],
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_reported_at_their_place_in_their_file() {
        let dir = std::env::temp_dir().join(format!("iamkit-not-utf8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("m.toml"),
            "stack = \"s\"\n[policies]\np = \"p.json\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("p.json"), b"{\n  \"Version\": \"caf\xe9\"\n}\n").unwrap();
        let errors = load_manifest(&dir.join("m.toml")).unwrap_err().0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].file, dir.join("p.json"));
        assert_eq!(errors[0].location, Some((2, 18)));
        assert!(errors[0].message.contains("byte 0xe9"), "{}", errors[0]);

        std::fs::write(dir.join("m.toml"), b"stack = \"s\"\n# \xff\n").unwrap();
        let errors = load_manifest(&dir.join("m.toml")).unwrap_err().0;
        assert_eq!(errors[0].file, dir.join("m.toml"));
        assert_eq!(errors[0].location, Some((2, 3)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_policy_file_far_over_the_quota_is_refused_without_linting() {
        let resources: Vec<String> = (0..20_000)
            .map(|i| format!("\"arn:aws:s3:::b{i}/*\""))
            .collect();
        let text = format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":{{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":[{}]}}}}",
            resources.join(",")
        );
        let manifest = "stack = \"s\"\n[policies]\np = \"p.json\"\n";
        let manifest = parse(manifest, &[("p.json", &text)]).unwrap();
        let errors = review(&manifest).gate().unwrap_err().0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].location, Some((1, 1)));
        assert!(
            errors[0].message.contains("[policy-too-large]"),
            "{}",
            errors[0]
        );
    }
}
