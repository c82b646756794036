//! The escalation techniques the analysis models, with where each is documented.

use std::fmt;

use serde::Serialize;

/// How one step of a path gets from a principal to the next (or makes it admin).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Technique {
    /// `sts:AssumeRole`: the caller's identity policy and the role's trust policy allow it.
    AssumeRole,
    /// `iam:UpdateAssumeRolePolicy` to trust oneself, then `sts:AssumeRole`.
    UpdateAssumeRolePolicy,
    /// `iam:CreateAccessKey` for another user: act as that user.
    CreateAccessKey,
    /// `iam:CreateLoginProfile` for another user (one without a password): sign in as it.
    CreateLoginProfile,
    /// `iam:UpdateLoginProfile` of another user (one with a password): sign in as it.
    UpdateLoginProfile,
    /// `iam:PassRole` to a new Lambda function (`lambda:CreateFunction`) and run it
    /// (`lambda:InvokeFunction` or `lambda:CreateEventSourceMapping`).
    PassRoleLambda,
    /// `iam:PassRole` to a new EC2 instance (`ec2:RunInstances`) through an instance profile.
    PassRoleEc2,
    /// `iam:PassRole` to a new CloudFormation stack (`cloudformation:CreateStack`).
    PassRoleCloudformation,
    /// `iam:PassRole` to a new Glue development endpoint (`glue:CreateDevEndpoint`).
    PassRoleGlue,
    /// `lambda:UpdateFunctionCode` of an existing function: its code runs as its role.
    UpdateFunctionCode,
    /// An existing function runs as its execution role.
    ExecutionRole,
    /// `iam:AddUserToGroup`: the user joins a group and holds its policies.
    AddUserToGroup,
    /// `iam:SetDefaultPolicyVersion`: a policy the principal holds switches to another
    /// existing version.
    SetDefaultPolicyVersion,
    /// `iam:AttachUserPolicy` on a user one can then act as: it becomes admin.
    AttachUserPolicy,
    /// `iam:AttachRolePolicy` on a role one can then act as: it becomes admin.
    AttachRolePolicy,
    /// `iam:AttachGroupPolicy` on a group of a user one can then act as.
    AttachGroupPolicy,
    /// `iam:PutUserPolicy` on a user one can then act as.
    PutUserPolicy,
    /// `iam:PutRolePolicy` on a role one can then act as.
    PutRolePolicy,
    /// `iam:PutGroupPolicy` on a group of a user one can then act as.
    PutGroupPolicy,
    /// `iam:CreatePolicyVersion` (set as default) of a customer-managed policy that a
    /// principal one can then act as holds.
    CreatePolicyVersion,
}

impl Technique {
    /// Every technique.
    pub const ALL: [Technique; 20] = [
        Technique::AssumeRole,
        Technique::UpdateAssumeRolePolicy,
        Technique::CreateAccessKey,
        Technique::CreateLoginProfile,
        Technique::UpdateLoginProfile,
        Technique::PassRoleLambda,
        Technique::PassRoleEc2,
        Technique::PassRoleCloudformation,
        Technique::PassRoleGlue,
        Technique::UpdateFunctionCode,
        Technique::ExecutionRole,
        Technique::AddUserToGroup,
        Technique::SetDefaultPolicyVersion,
        Technique::AttachUserPolicy,
        Technique::AttachRolePolicy,
        Technique::AttachGroupPolicy,
        Technique::PutUserPolicy,
        Technique::PutRolePolicy,
        Technique::PutGroupPolicy,
        Technique::CreatePolicyVersion,
    ];

    /// The name used in JSON and text, such as `assume-role`.
    pub fn name(self) -> &'static str {
        match self {
            Technique::AssumeRole => "assume-role",
            Technique::UpdateAssumeRolePolicy => "update-assume-role-policy",
            Technique::CreateAccessKey => "create-access-key",
            Technique::CreateLoginProfile => "create-login-profile",
            Technique::UpdateLoginProfile => "update-login-profile",
            Technique::PassRoleLambda => "pass-role-lambda",
            Technique::PassRoleEc2 => "pass-role-ec2",
            Technique::PassRoleCloudformation => "pass-role-cloudformation",
            Technique::PassRoleGlue => "pass-role-glue",
            Technique::UpdateFunctionCode => "update-function-code",
            Technique::ExecutionRole => "execution-role",
            Technique::AddUserToGroup => "add-user-to-group",
            Technique::SetDefaultPolicyVersion => "set-default-policy-version",
            Technique::AttachUserPolicy => "attach-user-policy",
            Technique::AttachRolePolicy => "attach-role-policy",
            Technique::AttachGroupPolicy => "attach-group-policy",
            Technique::PutUserPolicy => "put-user-policy",
            Technique::PutRolePolicy => "put-role-policy",
            Technique::PutGroupPolicy => "put-group-policy",
            Technique::CreatePolicyVersion => "create-policy-version",
        }
    }

    /// Where the technique is documented: pathfinding.cloud's catalogue by id, or Rhino
    /// Security Labs' "AWS privilege escalation methods and mitigation" by method name.
    pub fn source(self) -> &'static str {
        match self {
            Technique::AssumeRole => "pathfinding.cloud sts-001",
            Technique::UpdateAssumeRolePolicy => "pathfinding.cloud iam-012",
            Technique::CreateAccessKey => "pathfinding.cloud iam-002",
            Technique::CreateLoginProfile => "pathfinding.cloud iam-004",
            Technique::UpdateLoginProfile => "pathfinding.cloud iam-006",
            Technique::PassRoleLambda => "pathfinding.cloud lambda-001, lambda-002",
            Technique::PassRoleEc2 => "pathfinding.cloud ec2-001",
            Technique::PassRoleCloudformation => "pathfinding.cloud cloudformation-001",
            Technique::PassRoleGlue => "pathfinding.cloud glue-001",
            Technique::UpdateFunctionCode => "pathfinding.cloud lambda-003",
            Technique::ExecutionRole => "AWS Lambda execution role",
            Technique::AddUserToGroup => "pathfinding.cloud iam-013",
            Technique::SetDefaultPolicyVersion => {
                "Rhino Security Labs, iam:SetDefaultPolicyVersion"
            }
            Technique::AttachUserPolicy => "pathfinding.cloud iam-008, iam-015",
            Technique::AttachRolePolicy => "pathfinding.cloud iam-009, iam-014, iam-019",
            Technique::AttachGroupPolicy => "pathfinding.cloud iam-010",
            Technique::PutUserPolicy => "pathfinding.cloud iam-007, iam-018",
            Technique::PutRolePolicy => "pathfinding.cloud iam-005, iam-017, iam-021",
            Technique::PutGroupPolicy => "pathfinding.cloud iam-011",
            Technique::CreatePolicyVersion => "pathfinding.cloud iam-001, iam-016, iam-020",
        }
    }

    /// Whether the step keeps the caller's session (and its MFA) rather than switching to
    /// credentials of another kind (a new access key, a service's session).
    pub(crate) fn keeps_session(self) -> bool {
        matches!(
            self,
            Technique::AssumeRole
                | Technique::UpdateAssumeRolePolicy
                | Technique::AddUserToGroup
                | Technique::SetDefaultPolicyVersion
        )
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
