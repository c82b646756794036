//! The stack as iamkit-access sees it: the account model built from the manifest's desired
//! state (before anything exists) or from the snapshot that setup and verify read, and the
//! escalation check over it.
//!
//! Who is meant to be an administrator is what the manifest says: a user or role whose own
//! policies, as the manifest gives them, are admin-equivalent (the baseline's role `admin`,
//! with `manage-iam`'s `iam:*`). Any other user or role of the manifest that becomes
//! admin-equivalent without MFA, by any path the analysis knows, is an [`Escalation`].

use iamkit_access::{
    Account, Analysis, Escalation, Function, Group, ManagedPolicy, ModelError, Role, User,
};
use iamkit_arn::{AccountId, Arn, Partition};

use crate::{
    desired::{Desired, Identity},
    located::ManifestErrors,
    manifest::Manifest,
    snapshot::Snapshot,
};

/// Why the stack could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The manifest could not be filled in.
    #[error(transparent)]
    Manifest(#[from] ManifestErrors),
    /// A name or document did not enter the model.
    #[error("{0}\n  help: {help}", help = .0.help())]
    Model(#[from] ModelError),
    /// A name the manifest gives makes no valid ARN.
    #[error("{0}")]
    Arn(#[from] iamkit_arn::ArnError),
}

/// The account the manifest asks for, as iamkit-access models it: its users in their groups,
/// its groups (under the stack's path) and roles with their managed policies, its policies
/// with the documents filled in for `desired`'s account, and its functions with their roles.
/// Users have no MFA device yet: [`iamkit_access::MfaDevices::Unknown`].
pub fn desired_account(desired: &Desired) -> Result<Account, AccessError> {
    let (partition, id) = (&desired.partition, desired.account);
    let mut account = Account::new(partition.clone(), id);
    for (name, policy) in &desired.policies {
        let arn = Arn::iam_policy(partition, id, "/", name)?;
        account
            .policies
            .push(ManagedPolicy::new(arn.as_str(), &policy.document)?);
    }
    let policy_arn = |name: &str| desired.policy_arn(name).unwrap_or_default();
    let group_path = desired.group_path();
    for (name, group) in &desired.groups {
        let arn = Arn::iam_group(partition, id, &group_path, name)?;
        let mut model = Group::new(arn.as_str())?;
        for policy in &group.policies {
            model = model.attach(&policy_arn(policy))?;
        }
        account.groups.push(model);
    }
    for (name, user) in &desired.users {
        let arn = Arn::iam_user(partition, id, "/", name)?;
        let mut model = User::new(arn.as_str())?;
        for group in &user.groups {
            model = model.in_group(group);
        }
        account.users.push(model);
    }
    for role in desired.roles.values() {
        let mut model = Role::new(&role.arn, &role.trust)?;
        for policy in &role.policies {
            model = model.attach(&policy_arn(policy))?;
        }
        account.roles.push(model);
    }
    for (name, function) in &desired.functions {
        let arn = Arn::lambda_function(partition, &desired.region, id, name)?;
        let role = Arn::iam_role(partition, id, "/", &function.role)?;
        account
            .functions
            .push(Function::new(arn.as_str(), role.as_str())?);
    }
    Ok(account)
}

/// The account as one `GetAccountAuthorizationDetails` read it (users, groups, roles and
/// customer-managed policies with every version), and `functions` (each function's ARN and its
/// role's ARN). AWS-managed policies are not in the snapshot: one attached grants nothing here,
/// and [`Analysis::warnings`] says so.
pub fn snapshot_account(
    snapshot: &Snapshot,
    partition: &Partition,
    id: AccountId,
    functions: &[(String, String)],
) -> Result<Account, AccessError> {
    let mut account = Account::new(partition.clone(), id);
    for policy in &snapshot.policies {
        let mut model = ManagedPolicy::empty(&policy.arn)?;
        for version in &policy.versions {
            if let Some(document) = &version.document {
                model = model.version(&version.id, version.is_default, document)?;
            }
        }
        account.policies.push(model);
    }
    for group in &snapshot.groups {
        let mut model = Group::new(&group.arn)?;
        for arn in &group.attached {
            model = model.attach(arn)?;
        }
        for inline in &group.inline {
            if let Some(document) = &inline.document {
                model = model.inline(&inline.name, document)?;
            }
        }
        account.groups.push(model);
    }
    for user in &snapshot.users {
        account.users.push(snapshot_user(user)?);
    }
    for role in &snapshot.roles {
        account.roles.push(snapshot_role(role)?);
    }
    for (arn, role) in functions {
        account.functions.push(Function::new(arn, role)?);
    }
    Ok(account)
}

fn snapshot_user(user: &crate::snapshot::SnapshotUser) -> Result<User, AccessError> {
    let mut model = User::new(&user.arn)?;
    for group in &user.groups {
        model = model.in_group(group);
    }
    for arn in &user.attached {
        model = model.attach(arn)?;
    }
    for inline in &user.inline {
        if let Some(document) = &inline.document {
            model = model.inline(&inline.name, document)?;
        }
    }
    if let Some(boundary) = &user.boundary {
        model = model.bounded_by(boundary)?;
    }
    model.tags = user
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(model)
}

fn snapshot_role(role: &crate::snapshot::SnapshotRole) -> Result<Role, AccessError> {
    let empty = serde_json::json!({"Version": "2012-10-17", "Statement": []});
    let mut model = Role::new(&role.arn, role.trust.as_ref().unwrap_or(&empty))?;
    for arn in &role.attached {
        model = model.attach(arn)?;
    }
    for inline in &role.inline {
        if let Some(document) = &inline.document {
            model = model.inline(&inline.name, document)?;
        }
    }
    if let Some(boundary) = &role.boundary {
        model = model.bounded_by(boundary)?;
    }
    for profile in &role.instance_profiles {
        model = model.in_instance_profile(profile);
    }
    model.tags = role
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(model)
}

/// The ARNs of the manifest's users and roles, users first.
pub fn principals(desired: &Desired) -> Result<Vec<String>, AccessError> {
    let (partition, id) = (&desired.partition, desired.account);
    let mut out = Vec::new();
    for name in desired.users.keys() {
        out.push(Arn::iam_user(partition, id, "/", name)?.to_string());
    }
    out.extend(desired.roles.values().map(|r| r.arn.clone()));
    Ok(out)
}

/// The ARNs of the principals the manifest means to be administrators: its users and roles
/// whose own policies, as the manifest gives them, are admin-equivalent.
pub fn intended_admins(desired: &Desired) -> Result<Vec<String>, AccessError> {
    let account = desired_account(desired)?;
    Ok(Analysis::new(&account)
        .paths()
        .principals
        .into_iter()
        .filter(|p| p.admin)
        .map(|p| p.arn)
        .collect())
}

/// The escalation check of `account` for the stack `desired` describes: each user and role of
/// the manifest not meant to be an administrator ([`intended_admins`]) that reaches
/// admin-equivalence without MFA, with its path and the fix. Paths may cross any principal of
/// `account`.
pub fn escalations(desired: &Desired, account: &Account) -> Result<Vec<Escalation>, AccessError> {
    let intended = intended_admins(desired)?;
    let intended: Vec<&str> = intended.iter().map(String::as_str).collect();
    let ours = principals(desired)?;
    Ok(Analysis::new(account)
        .escalations(&intended)
        .into_iter()
        .filter(|e| ours.contains(&e.principal))
        .collect())
}

/// The account id the manifest is analysed in before any account is known. Paths stay inside
/// one account, so any id gives the same answer.
pub const EXAMPLE_ACCOUNT: &str = "123456789012";

/// The escalation check of the manifest alone, before anything exists: its desired state in an
/// example account ([`EXAMPLE_ACCOUNT`]) in its own region. For `cargo xtask lint` and `setup
/// --dry-run`, which warn about each escalation.
pub fn manifest_escalations(manifest: &Manifest) -> Result<Vec<Escalation>, AccessError> {
    let desired = example_desired(manifest)?;
    escalations(&desired, &desired_account(&desired)?)
}

/// The manifest's desired state in the example account [`EXAMPLE_ACCOUNT`] (partition `aws`),
/// in its own region (`us-east-1` when it names none): for questions asked of a manifest
/// before it is set up anywhere.
pub fn example_desired(manifest: &Manifest) -> Result<Desired, AccessError> {
    let account: AccountId = EXAMPLE_ACCOUNT.parse()?;
    let root = Arn::account_root(&Partition::Aws, account);
    let identity = Identity::new(account, root.as_str());
    let region = manifest.region.as_deref().unwrap_or("us-east-1");
    Ok(Desired::new(
        manifest,
        &identity,
        region,
        &Default::default(),
    )?)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::manifest::parse_manifest;

    fn policies() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
    }

    /// The repository's baseline manifest, with `edit` applied to its text.
    fn baseline(edit: &dyn Fn(String) -> String) -> Manifest {
        let file = policies().join("baseline.toml");
        let text = edit(std::fs::read_to_string(&file).unwrap());
        parse_manifest(&file, &text, &mut |p| {
            std::fs::read_to_string(policies().join(p))
        })
        .unwrap()
    }

    const MFA_ON_ADMIN: &str = "trust = { account = \"self\", require_mfa = true }";

    fn require_mfa_on_admin(text: String) -> String {
        let admin = "[roles.admin]\ntrust = { account = \"self\" }";
        assert!(text.contains(admin), "the baseline's role admin changed");
        text.replace(admin, &format!("[roles.admin]\n{MFA_ON_ADMIN}"))
    }

    #[test]
    fn the_baseline_means_role_admin_to_be_the_only_administrator() {
        let manifest = baseline(&|t| t);
        let identity = Identity::new(
            EXAMPLE_ACCOUNT.parse().unwrap(),
            "arn:aws:iam::123456789012:root",
        );
        let desired =
            Desired::new(&manifest, &identity, "ap-northeast-1", &Default::default()).unwrap();
        assert_eq!(
            intended_admins(&desired).unwrap(),
            ["arn:aws:iam::123456789012:role/admin"]
        );
        let account = desired_account(&desired).unwrap();
        assert_eq!(account.users.len(), 1);
        assert_eq!(account.groups.len(), 2);
        assert_eq!(account.roles.len(), 2);
        assert_eq!(account.policies.len(), 9);
        assert_eq!(account.functions.len(), 1);
        assert!(Analysis::new(&account).warnings().is_empty());
    }

    #[test]
    fn the_baseline_lets_dev_user_become_admin_without_mfa_and_names_the_fix() {
        let found = manifest_escalations(&baseline(&|t| t)).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        let dev = &found[0];
        assert_eq!(dev.principal, "arn:aws:iam::123456789012:user/dev-user");
        assert_eq!(
            dev.path.chain(),
            "user/dev-user --assume-role--> role/admin (iam:PutRolePolicy on itself)"
        );
        assert_eq!(
            dev.fix.to_string(),
            "require MFA in the trust policy of role admin: `require_mfa = true` on role admin"
        );
    }

    #[test]
    fn with_mfa_required_on_admin_nobody_escalates_without_it() {
        let manifest = baseline(&require_mfa_on_admin);
        assert!(manifest_escalations(&manifest).unwrap().is_empty());
    }

    #[test]
    fn the_snapshot_of_an_account_gives_the_same_model_as_the_desired_state() {
        let manifest = baseline(&|t| t);
        let identity = Identity::new(
            EXAMPLE_ACCOUNT.parse().unwrap(),
            "arn:aws:iam::123456789012:root",
        );
        let desired =
            Desired::new(&manifest, &identity, "ap-northeast-1", &Default::default()).unwrap();
        let wanted = desired_account(&desired).unwrap();
        // The snapshot as IAM would list the stack once set up.
        let mut snapshot = Snapshot::default();
        for policy in &wanted.policies {
            let version = policy.default_version().unwrap();
            snapshot.policies.push(crate::snapshot::SnapshotPolicy {
                name: policy.name.clone(),
                arn: policy.arn.to_string(),
                versions: vec![crate::snapshot::SnapshotVersion {
                    id: "v1".into(),
                    is_default: true,
                    created: 0,
                    document: Some(desired.policies[&policy.name].document.clone()),
                }],
            });
            assert_eq!(version.id, "v1");
        }
        for group in &wanted.groups {
            snapshot.groups.push(crate::snapshot::SnapshotGroup {
                name: group.name.clone(),
                arn: group.arn.to_string(),
                path: desired.group_path(),
                attached: group.attached.iter().map(ToString::to_string).collect(),
                inline: Vec::new(),
            });
        }
        for user in &wanted.users {
            snapshot.users.push(crate::snapshot::SnapshotUser {
                name: user.name.clone(),
                arn: user.arn.to_string(),
                groups: user.groups.clone(),
                ..Default::default()
            });
        }
        for (name, role) in &desired.roles {
            snapshot.roles.push(crate::snapshot::SnapshotRole {
                name: name.clone(),
                arn: role.arn.clone(),
                trust: Some(role.trust.clone()),
                attached: role
                    .policies
                    .iter()
                    .map(|p| desired.policy_arn(p).unwrap())
                    .collect(),
                ..Default::default()
            });
        }
        let functions: Vec<(String, String)> = wanted
            .functions
            .iter()
            .map(|f| (f.arn.to_string(), f.role.to_string()))
            .collect();
        let read =
            snapshot_account(&snapshot, &desired.partition, desired.account, &functions).unwrap();
        assert_eq!(read, wanted);
        let found = escalations(&desired, &read).unwrap();
        assert_eq!(found.len(), 1);
        // A principal outside the manifest is not the stack's to judge.
        let mut other = read.clone();
        other.users.push(
            User::new("arn:aws:iam::123456789012:user/someone")
                .unwrap()
                .in_group("developer")
                .in_group("developer-base"),
        );
        assert_eq!(escalations(&desired, &other).unwrap().len(), 1);
    }
}
