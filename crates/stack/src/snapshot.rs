//! One snapshot of the account's IAM: every user, group, role and customer-managed policy with
//! its relations and documents, as `GetAccountAuthorizationDetails` gives them, as plain values.
//!
//! The provisioner reads it once per run (`iamkit_provision::read_snapshot`); from it come the
//! IAM part of [`Observed`] ([`Snapshot::observed`]), the policies verify evaluates, and the
//! account's controls.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{
    desired::Desired,
    observed::{
        Entities, Observed, ObservedGroup, ObservedPolicy, ObservedRole, ObservedUser,
        PolicyVersion, Tags, tagged,
    },
};

/// Every user, group, role and customer-managed policy of the account.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Users.
    pub users: Vec<SnapshotUser>,
    /// Groups.
    pub groups: Vec<SnapshotGroup>,
    /// Roles.
    pub roles: Vec<SnapshotRole>,
    /// Customer-managed policies.
    pub policies: Vec<SnapshotPolicy>,
}

/// An inline policy: its name and document (`None` when IAM returned no JSON).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InlinePolicy {
    /// Its name.
    pub name: String,
    /// The decoded document.
    pub document: Option<Value>,
}

/// A user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotUser {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its tags.
    pub tags: Tags,
    /// Names of its groups.
    pub groups: Vec<String>,
    /// ARNs of its attached managed policies.
    pub attached: Vec<String>,
    /// Its inline policies.
    pub inline: Vec<InlinePolicy>,
    /// The ARN of its permissions boundary.
    pub boundary: Option<String>,
}

/// A group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotGroup {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its path.
    pub path: String,
    /// ARNs of its attached managed policies.
    pub attached: Vec<String>,
    /// Its inline policies.
    pub inline: Vec<InlinePolicy>,
}

/// A role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotRole {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its tags.
    pub tags: Tags,
    /// Its trust policy, decoded.
    pub trust: Option<Value>,
    /// ARNs of its attached managed policies.
    pub attached: Vec<String>,
    /// Its inline policies.
    pub inline: Vec<InlinePolicy>,
    /// Names of the instance profiles holding it.
    pub instance_profiles: Vec<String>,
    /// The ARN of its permissions boundary.
    pub boundary: Option<String>,
}

/// A customer-managed policy with every version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotPolicy {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Every version, oldest first.
    pub versions: Vec<SnapshotVersion>,
}

/// One version of a managed policy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    /// Whether it is the default version.
    pub is_default: bool,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// The decoded document.
    pub document: Option<Value>,
}

impl SnapshotPolicy {
    /// The default version's document.
    pub fn document(&self) -> Option<&Value> {
        self.versions
            .iter()
            .find(|v| v.is_default)
            .and_then(|v| v.document.as_ref())
    }
}

impl Snapshot {
    /// The user `name`.
    pub fn user(&self, name: &str) -> Option<&SnapshotUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The group `name`.
    pub fn group(&self, name: &str) -> Option<&SnapshotGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The role `name`.
    pub fn role(&self, name: &str) -> Option<&SnapshotRole> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The customer-managed policy `arn`.
    pub fn policy(&self, arn: &str) -> Option<&SnapshotPolicy> {
        self.policies.iter().find(|p| p.arn == arn)
    }

    /// The customer-managed policy `arn` as the plan sees it (its tags, which the snapshot
    /// does not hold, left empty).
    pub fn observed_policy(&self, arn: &str) -> Option<ObservedPolicy> {
        let policy = self.policy(arn)?;
        let holds = |list: &[String]| list.iter().any(|a| a == arn);
        let attached_to = Entities {
            groups: names(self.groups.iter().filter(|g| holds(&g.attached)), |g| {
                &g.name
            }),
            users: names(self.users.iter().filter(|u| holds(&u.attached)), |u| {
                &u.name
            }),
            roles: names(self.roles.iter().filter(|r| holds(&r.attached)), |r| {
                &r.name
            }),
        };
        Some(ObservedPolicy {
            arn: arn.to_owned(),
            tags: Tags::new(),
            document: policy.document().cloned(),
            versions: policy
                .versions
                .iter()
                .map(|v| PolicyVersion {
                    id: v.id.clone(),
                    is_default: v.is_default,
                    created: v.created,
                })
                .collect(),
            attached_to,
        })
    }

    /// The IAM part of [`Observed`] for `desired`: the manifest's policies, groups, users and
    /// roles, any other group under the stack's path, and any other user or role with the
    /// stack's mark. Policy tags, and a user's console password, access keys and MFA devices,
    /// are not in the snapshot: the provisioner reads them for what exists.
    pub fn observed(&self, desired: &Desired) -> Observed {
        let mut observed = Observed::default();
        for (name, want) in &desired.policies {
            if let Some(policy) = self.observed_policy(&want.arn) {
                observed.policies.insert(name.clone(), policy);
            }
        }
        let path = desired.group_path();
        for group in &self.groups {
            if !desired.groups.contains_key(&group.name) && group.path != path {
                continue;
            }
            let members = self.users.iter().filter(|u| u.groups.contains(&group.name));
            observed.groups.insert(
                group.name.clone(),
                ObservedGroup {
                    path: group.path.clone(),
                    members: names(members, |u| &u.name),
                    policies: group.attached.iter().cloned().collect(),
                    inline: names(group.inline.iter(), |p| &p.name),
                },
            );
        }
        // Users and roles by the manifest's names, and any other that carries the stack's
        // mark (one the manifest no longer names, which teardown must still remove).
        let ours = |tags: &Tags| tagged(tags, &desired.stack);
        for user in &self.users {
            if desired.users.contains_key(&user.name) || ours(&user.tags) {
                observed.users.insert(
                    user.name.clone(),
                    ObservedUser {
                        tags: user.tags.clone(),
                        groups: user.groups.iter().cloned().collect(),
                        policies: user.attached.iter().cloned().collect(),
                        inline: names(user.inline.iter(), |p| &p.name),
                        ..ObservedUser::default()
                    },
                );
            }
        }
        for role in &self.roles {
            if desired.roles.contains_key(&role.name) || ours(&role.tags) {
                observed.roles.insert(
                    role.name.clone(),
                    ObservedRole {
                        arn: role.arn.clone(),
                        tags: role.tags.clone(),
                        trust: role.trust.clone(),
                        policies: role.attached.iter().cloned().collect(),
                        inline: names(role.inline.iter(), |p| &p.name),
                        instance_profiles: role.instance_profiles.iter().cloned().collect(),
                    },
                );
            }
        }
        observed
    }
}

fn names<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    name: impl Fn(&T) -> &String,
) -> BTreeSet<String> {
    items.map(|item| name(item).clone()).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::{Identity, STACK_TAG, manifest::parse_manifest};

    fn desired() -> Desired {
        let manifest = parse_manifest(
            std::path::Path::new("kit.toml"),
            "stack = \"kit\"\n[policies]\nread = \"read.json\"\n[groups.readers]\npolicies = [\"read\"]\n[users.ann]\ngroups = [\"readers\"]\n[roles.boss]\ntrust = { account = \"self\" }\n",
            &mut |_| Ok(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#.to_owned()),
        )
        .unwrap();
        let me = Identity::new(
            "111122223333".parse().unwrap(),
            "arn:aws:iam::111122223333:user/me",
        );
        Desired::new(&manifest, &me, "eu-west-1", &BTreeMap::new()).unwrap()
    }

    fn keys<V>(map: &BTreeMap<String, V>) -> Vec<String> {
        map.keys().cloned().collect()
    }

    #[test]
    fn the_plan_sees_the_stacks_entities_and_nothing_else() {
        let desired = desired();
        let ours = Tags::from([(STACK_TAG.to_owned(), "kit".to_owned())]);
        let read_arn = "arn:aws:iam::111122223333:policy/read".to_owned();
        let snapshot = Snapshot {
            users: vec![
                SnapshotUser {
                    name: "ann".into(),
                    tags: ours.clone(),
                    groups: vec!["readers".into(), "others".into()],
                    ..SnapshotUser::default()
                },
                SnapshotUser {
                    name: "dropped".into(),
                    tags: ours.clone(),
                    ..SnapshotUser::default()
                },
                SnapshotUser {
                    name: "bob".into(),
                    attached: vec![read_arn.clone()],
                    ..SnapshotUser::default()
                },
            ],
            groups: vec![
                SnapshotGroup {
                    name: "readers".into(),
                    path: "/iamkit/kit/".into(),
                    attached: vec![read_arn.clone()],
                    ..SnapshotGroup::default()
                },
                SnapshotGroup {
                    name: "old".into(),
                    path: "/iamkit/kit/".into(),
                    ..SnapshotGroup::default()
                },
                SnapshotGroup {
                    name: "others".into(),
                    path: "/".into(),
                    ..SnapshotGroup::default()
                },
            ],
            roles: vec![SnapshotRole {
                name: "boss".into(),
                arn: "arn:aws:iam::111122223333:role/boss".into(),
                trust: Some(json!({"Version": "2012-10-17"})),
                ..SnapshotRole::default()
            }],
            policies: vec![SnapshotPolicy {
                name: "read".into(),
                arn: read_arn.clone(),
                versions: vec![
                    SnapshotVersion {
                        id: "v1".into(),
                        document: Some(json!({"old": true})),
                        ..SnapshotVersion::default()
                    },
                    SnapshotVersion {
                        id: "v2".into(),
                        is_default: true,
                        document: Some(json!({"new": true})),
                        ..SnapshotVersion::default()
                    },
                ],
            }],
        };
        let observed = snapshot.observed(&desired);
        assert_eq!(keys(&observed.groups), ["old", "readers"]);
        assert_eq!(keys(&observed.users), ["ann", "dropped"]);
        assert_eq!(keys(&observed.roles), ["boss"]);
        assert_eq!(
            observed.groups["readers"].members,
            BTreeSet::from(["ann".to_owned()])
        );
        let read = &observed.policies["read"];
        assert_eq!(read.document, Some(json!({"new": true})));
        assert_eq!(read.versions.len(), 2);
        assert_eq!(
            read.attached_to.groups,
            BTreeSet::from(["readers".to_owned()])
        );
        assert_eq!(read.attached_to.users, BTreeSet::from(["bob".to_owned()]));
    }
}
