//! The permissions a plan needs: for every operation, the IAM actions the provisioner's calls
//! are authorized by and the resources they are about. Kept next to [`Op`]: a new operation is
//! added to both, and an end-to-end test checks that every request `apply` sends is covered.

use iamkit_arn::{Arn, ArnError};
use serde::Serialize;

use crate::{
    desired::Desired,
    plan::{Op, Plan},
};

/// One permission the plan needs: an IAM action on a resource ARN.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Permission {
    /// The action, as IAM names it (`iam:CreateUser`).
    pub action: String,
    /// The resource ARN (`*` for actions that take no resource).
    pub resource: String,
}

/// A permission that simulation says the caller does not have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The permission.
    pub permission: Permission,
    /// IAM's decision: `implicitDeny` (no policy allows it) or `explicitDeny`.
    pub decision: String,
}

/// Every permission `apply` needs to carry out `plan`, sorted and without repeats.
pub fn required_permissions(plan: &Plan, desired: &Desired) -> Vec<Permission> {
    let arns = Arns { desired };
    let mut out = std::collections::BTreeSet::new();
    for change in &plan.changes {
        for (action, resource) in arns.needed(&change.op) {
            out.insert(Permission {
                action: action.to_owned(),
                resource,
            });
        }
    }
    out.into_iter().collect()
}

struct Arns<'a> {
    desired: &'a Desired,
}

impl Arns<'_> {
    /// The ARN's text. Names the manifest or IAM accepted always build; were one not to, `*`
    /// asks the simulator about more, never less.
    fn text(arn: Result<Arn, ArnError>) -> String {
        arn.map_or_else(|_| "*".to_owned(), |arn| arn.as_str().to_owned())
    }

    fn user(&self, name: &str) -> String {
        let d = self.desired;
        Self::text(Arn::iam_user(&d.partition, d.account, "/", name))
    }

    fn role(&self, name: &str) -> String {
        let d = self.desired;
        Self::text(Arn::iam_role(&d.partition, d.account, "/", name))
    }

    /// A group of the manifest, under the stack's path; any other at `path`.
    fn group_at(&self, name: &str, path: &str) -> String {
        let d = self.desired;
        Self::text(Arn::iam_group(&d.partition, d.account, path, name))
    }

    fn group(&self, name: &str) -> String {
        let path = self
            .desired
            .groups
            .get(name)
            .map_or("/", |g| g.path.as_str());
        self.group_at(name, path)
    }

    fn policy(&self, name: &str) -> String {
        let d = self.desired;
        d.policy_arn(name)
            .unwrap_or_else(|| Self::text(Arn::iam_policy(&d.partition, d.account, "/", name)))
    }

    fn instance_profile(&self, name: &str) -> String {
        let d = self.desired;
        Self::text(Arn::iam_instance_profile(
            &d.partition,
            d.account,
            "/",
            name,
        ))
    }

    fn bucket(&self, name: &str) -> String {
        Self::text(Arn::s3_bucket(&self.desired.partition, name))
    }

    fn objects(&self, bucket: &str) -> String {
        Self::text(Arn::s3_object(&self.desired.partition, bucket, "*"))
    }

    fn function(&self, name: &str) -> String {
        let d = self.desired;
        Self::text(Arn::lambda_function(
            &d.partition,
            &d.region,
            d.account,
            name,
        ))
    }

    /// The calls `apply` makes for `op` (see `apply::run`), as IAM actions on resources.
    fn needed(&self, op: &Op) -> Vec<(&'static str, String)> {
        use Op::*;
        match op {
            TagUser { name } => vec![("iam:TagUser", self.user(name))],
            TagRole { name } => vec![("iam:TagRole", self.role(name))],
            TagPolicy { arn } => vec![("iam:TagPolicy", arn.clone())],
            TagBucket { .. } | CreateBucket { .. } | EmptyBucket { .. } | DeleteBucket { .. } => {
                self.bucket_needs(op)
            }
            TagFunction { .. } | CreateFunction { .. } | UpdateFunctionCode { .. } => {
                self.function_needs(op)
            }
            UpdateFunctionConfiguration { .. } | DeleteFunction { .. } => self.function_needs(op),
            MoveGroup { name, .. } => vec![("iam:UpdateGroup", self.group_at(name, "/"))],
            CreatePolicy { name, .. } => vec![
                ("iam:CreatePolicy", self.policy(name)),
                ("iam:TagPolicy", self.policy(name)),
            ],
            UpdatePolicy {
                arn,
                delete_version,
                ..
            } => {
                let mut v = vec![("iam:CreatePolicyVersion", arn.clone())];
                if delete_version.is_some() {
                    v.push(("iam:DeletePolicyVersion", arn.clone()));
                }
                v
            }
            CreateGroup { name, path } => vec![("iam:CreateGroup", self.group_at(name, path))],
            CreateUser { name } => vec![
                ("iam:CreateUser", self.user(name)),
                ("iam:TagUser", self.user(name)),
            ],
            CreateRole { name, .. } => vec![
                ("iam:CreateRole", self.role(name)),
                ("iam:TagRole", self.role(name)),
            ],
            UpdateTrust { name, .. } => vec![("iam:UpdateAssumeRolePolicy", self.role(name))],
            AttachGroupPolicy { group, .. } => vec![("iam:AttachGroupPolicy", self.group(group))],
            DetachGroupPolicy { group, .. } => vec![("iam:DetachGroupPolicy", self.group(group))],
            AttachRolePolicy { role, .. } => vec![("iam:AttachRolePolicy", self.role(role))],
            DetachRolePolicy { role, .. } => vec![("iam:DetachRolePolicy", self.role(role))],
            DetachUserPolicy { user, .. } => vec![("iam:DetachUserPolicy", self.user(user))],
            AddUserToGroup { group, .. } => vec![("iam:AddUserToGroup", self.group(group))],
            RemoveUserFromGroup { group, .. } => {
                vec![("iam:RemoveUserFromGroup", self.group(group))]
            }
            // UpdateLoginProfile when an earlier run set a password the reads did not show.
            CreateLoginProfile { user, .. } => vec![
                ("iam:CreateLoginProfile", self.user(user)),
                ("iam:UpdateLoginProfile", self.user(user)),
            ],
            DeleteLoginProfile { user } => vec![("iam:DeleteLoginProfile", self.user(user))],
            DeleteAccessKey { user, .. } => vec![("iam:DeleteAccessKey", self.user(user))],
            DeactivateMfaDevice { user, .. } => {
                vec![("iam:DeactivateMFADevice", self.user(user))]
            }
            DeleteVirtualMfaDevice { serial } => {
                vec![("iam:DeleteVirtualMFADevice", serial.clone())]
            }
            DeleteUserPolicy { user, .. } => vec![("iam:DeleteUserPolicy", self.user(user))],
            DeleteGroupPolicy { group, .. } => vec![("iam:DeleteGroupPolicy", self.group(group))],
            DeleteRolePolicy { role, .. } => vec![("iam:DeleteRolePolicy", self.role(role))],
            RemoveRoleFromInstanceProfile { profile, .. } => vec![(
                "iam:RemoveRoleFromInstanceProfile",
                self.instance_profile(profile),
            )],
            DeletePolicyVersion { arn, .. } => vec![("iam:DeletePolicyVersion", arn.clone())],
            DeleteUser { name } => vec![("iam:DeleteUser", self.user(name))],
            DeleteRole { name } => vec![("iam:DeleteRole", self.role(name))],
            DeleteGroup { name } => vec![("iam:DeleteGroup", self.group(name))],
            DeletePolicy { arn } => vec![("iam:DeletePolicy", arn.clone())],
        }
    }

    /// [`Self::needed`] for the bucket's operations.
    fn bucket_needs(&self, op: &Op) -> Vec<(&'static str, String)> {
        use Op::*;
        match op {
            TagBucket { name } => vec![
                ("s3:GetBucketTagging", self.bucket(name)),
                ("s3:PutBucketTagging", self.bucket(name)),
            ],
            // Tags given to CreateBucket need s3:TagResource as well.
            CreateBucket { name, .. } => vec![
                ("s3:CreateBucket", self.bucket(name)),
                ("s3:TagResource", self.bucket(name)),
                ("s3:PutBucketTagging", self.bucket(name)),
            ],
            // An unversioned bucket's objects are deleted without a version id
            // (s3:DeleteObject); a versioned bucket's versions with one (DeleteObjectVersion).
            EmptyBucket { name } => vec![
                ("s3:ListBucketVersions", self.bucket(name)),
                ("s3:DeleteObject", self.objects(name)),
                ("s3:DeleteObjectVersion", self.objects(name)),
            ],
            DeleteBucket { name } => vec![("s3:DeleteBucket", self.bucket(name))],
            _ => Vec::new(),
        }
    }

    /// [`Self::needed`] for the functions' operations.
    fn function_needs(&self, op: &Op) -> Vec<(&'static str, String)> {
        use Op::*;
        match op {
            TagFunction { name, .. } => vec![("lambda:TagResource", self.function(name))],
            CreateFunction { name, role_arn, .. } => vec![
                ("lambda:CreateFunction", self.function(name)),
                ("lambda:TagResource", self.function(name)),
                ("iam:PassRole", role_arn.clone()),
            ],
            UpdateFunctionCode { name, .. } => {
                vec![("lambda:UpdateFunctionCode", self.function(name))]
            }
            UpdateFunctionConfiguration { name, role_arn, .. } => vec![
                ("lambda:UpdateFunctionConfiguration", self.function(name)),
                ("iam:PassRole", role_arn.clone()),
            ],
            DeleteFunction { name } => vec![("lambda:DeleteFunction", self.function(name))],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Identity;

    #[test]
    fn the_baseline_in_an_empty_account_needs_every_write_on_its_own_resources() {
        use std::{collections::BTreeMap, path::Path};
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/baseline.toml");
        let manifest = crate::load_manifest(&file).unwrap();
        let me = Identity::new(
            "123456789012".parse().unwrap(),
            "arn:aws:iam::123456789012:user/me",
        );
        let code = BTreeMap::from([("hello".to_owned(), crate::Code::from_zip(b"PK".to_vec()))]);
        let desired = Desired::new(&manifest, &me, "ap-northeast-1", &code).unwrap();
        let plan = crate::plan(&desired, &crate::Observed::default());
        let needed = required_permissions(&plan, &desired);
        let has = |action: &str, resource: &str| {
            needed.contains(&Permission {
                action: action.into(),
                resource: resource.into(),
            })
        };
        assert!(has(
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/exec-lambda"
        ));
        assert!(has(
            "lambda:CreateFunction",
            "arn:aws:lambda:ap-northeast-1:123456789012:function:hello"
        ));
        assert!(has(
            "iam:AddUserToGroup",
            "arn:aws:iam::123456789012:group/iamkit/iamkit/developer"
        ));
        assert!(has(
            "iam:CreateLoginProfile",
            "arn:aws:iam::123456789012:user/dev-user"
        ));
        assert!(has(
            "iam:TagPolicy",
            "arn:aws:iam::123456789012:policy/develop-s3"
        ));
        assert!(needed.iter().any(|p| p.action == "s3:CreateBucket"));
        // Every change of the plan needs at least one permission.
        let arns = Arns { desired: &desired };
        assert!(plan.changes.iter().all(|c| !arns.needed(&c.op).is_empty()));
    }
}
