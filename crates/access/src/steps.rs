//! The techniques that take more than one request: passing a role to a service that runs
//! code as it, changing another principal's permissions before acting as it, and changing
//! one's own (joining a group, switching a policy version).

use iamkit_policy::{Effect, ResourceMatch};

use crate::analysis::{Analysis, Change, Service};
use crate::graph::{Pending, Target, join};
use crate::subject::{Allowed, Kind, Subject};
use crate::technique::Technique;
use crate::witness::{fill, witness};

impl Analysis<'_> {
    /// Resources of the action's types that the subject's Allow statements for any of
    /// `actions` name (as witnesses), then the types filled in.
    pub(crate) fn candidates(
        &self,
        subject: &Subject,
        actions: &[&str],
        formats: &[&str],
    ) -> Vec<String> {
        let place = self.place();
        let mut out: Vec<String> = Vec::new();
        for action in actions {
            for s in subject.statements_for(action, Effect::Allow) {
                let Some(ResourceMatch::Resource(patterns)) = &s.resources else {
                    continue;
                };
                for p in patterns.iter().filter(|p| !p.is_any()) {
                    let resolved = p.resolve(&mut |v| subject.variable(v).map(str::to_owned));
                    out.extend(resolved.and_then(|p| witness(&p, formats, place)));
                }
            }
        }
        if formats.is_empty() {
            out.push("*".to_owned());
        }
        out.extend(formats.iter().map(|f| fill(f, place)));
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.clone()));
        out
    }

    /// The first candidate resource for which `check` succeeds, preferring one without MFA.
    fn first<T>(
        candidates: &[String],
        mut check: impl FnMut(&str) -> Option<(Allowed, T)>,
    ) -> Option<(Allowed, T)> {
        let mut with_mfa = None;
        for resource in candidates {
            if let Some((allowed, extra)) = check(resource) {
                if !allowed.requires_mfa {
                    return Some((allowed, extra));
                }
                with_mfa.get_or_insert((allowed, extra));
            }
        }
        with_mfa
    }

    /// Whether the subject may `action` on some resource of the action's types (or `*`).
    fn on_some(
        &self,
        subject: &Subject,
        action: &str,
        formats: &[&str],
        extra: &[(&str, &str)],
    ) -> Option<(Allowed, String)> {
        if !subject.statements_for(action, Effect::Allow).any(|_| true) {
            return None;
        }
        let candidates = self.candidates(subject, &[action], formats);
        Self::first(&candidates, |resource| {
            let allowed = subject.ask().allowed(action, resource, extra)?;
            Some((allowed, resource.to_owned()))
        })
    }

    /// Passing role `r` to `service` and making it run code: an edge to the role. The
    /// caller has checked that the subject might pass it.
    pub(crate) fn pass_role(
        &self,
        subject: &Subject,
        r: usize,
        service: Service,
    ) -> Option<Pending> {
        let role = self.account.roles.get(r)?;
        let arn = role.arn.as_str();
        let trust = self.trusts_service(r, service)?.clone();
        let to = service.principal();
        let pass = |associated: &str| {
            subject.ask().allowed(
                "iam:PassRole",
                arn,
                &[
                    ("iam:PassedToService", to),
                    ("iam:AssociatedResourceArn", associated),
                ],
            )
        };
        let (technique, allowed) = match service {
            Service::Lambda => (Technique::PassRoleLambda, self.lambda_run(subject, &pass)?),
            Service::Ec2 => (Technique::PassRoleEc2, self.ec2_run(subject, role, &pass)?),
            Service::CloudFormation => {
                let formats = Self::formats("cloudformation:CreateStack", false);
                let (create, stack) =
                    self.on_some(subject, "cloudformation:CreateStack", &formats, &[])?;
                (
                    Technique::PassRoleCloudformation,
                    join([pass(&stack)?, create]),
                )
            }
            Service::Glue => {
                let formats = Self::formats("glue:CreateDevEndpoint", false);
                let (create, endpoint) =
                    self.on_some(subject, "glue:CreateDevEndpoint", &formats, &[])?;
                (Technique::PassRoleGlue, join([pass(&endpoint)?, create]))
            }
        };
        Some(Pending::new(
            Target::Node(self.account.users.len() + r),
            technique,
            join([allowed, trust]),
        ))
    }

    /// A new function the subject may create with the role and then run: invoke it, or map
    /// an event source to it.
    fn lambda_run(
        &self,
        subject: &Subject,
        pass: &dyn Fn(&str) -> Option<Allowed>,
    ) -> Option<Allowed> {
        if !subject
            .statements_for("lambda:CreateFunction", Effect::Allow)
            .any(|_| true)
        {
            return None;
        }
        let formats = Self::formats("lambda:CreateFunction", false);
        let candidates = self.candidates(
            subject,
            &["lambda:CreateFunction", "lambda:InvokeFunction"],
            &formats,
        );
        let ask = subject.ask();
        Self::first(&candidates, |function| {
            let create = ask.allowed("lambda:CreateFunction", function, &[])?;
            let run = ask
                .allowed("lambda:InvokeFunction", function, &[])
                .or_else(|| {
                    ask.allowed(
                        "lambda:CreateEventSourceMapping",
                        "*",
                        &[("lambda:FunctionArn", function)],
                    )
                })?;
            Some((join([pass(function)?, create, run]), ()))
        })
        .map(|(allowed, ())| allowed)
    }

    /// A new instance the subject may launch with the role's instance profile (creating one
    /// when the role is in none): every resource type `ec2:RunInstances` requires.
    fn ec2_run(
        &self,
        subject: &Subject,
        role: &crate::model::Role,
        pass: &dyn Fn(&str) -> Option<Allowed>,
    ) -> Option<Allowed> {
        let mut parts = Vec::new();
        let mut instance = None;
        for format in Self::formats("ec2:RunInstances", true) {
            let (allowed, resource) = self.on_some(subject, "ec2:RunInstances", &[format], &[])?;
            if format.contains(":instance/") {
                instance = Some(resource);
            }
            parts.push(allowed);
        }
        if parts.is_empty() {
            return None;
        }
        parts.push(pass(instance.as_deref().unwrap_or("*"))?);
        if role.instance_profiles.is_empty() {
            let formats = Self::formats("iam:CreateInstanceProfile", false);
            parts.push(
                self.on_some(subject, "iam:CreateInstanceProfile", &formats, &[])?
                    .0,
            );
            let formats = Self::formats("iam:AddRoleToInstanceProfile", false);
            parts.push(
                self.on_some(subject, "iam:AddRoleToInstanceProfile", &formats, &[])?
                    .0,
            );
        }
        Some(join(parts))
    }

    /// Changing `target`'s permissions so it allows everything, then acting as it (the
    /// `entry` edge): an edge that ends admin-equivalent.
    pub(crate) fn takeovers(
        &self,
        actor: &Subject,
        target: &Subject,
        t: usize,
        entry: &Allowed,
    ) -> Option<Pending> {
        const CHANGES: [&str; 7] = [
            "iam:PutUserPolicy",
            "iam:AttachUserPolicy",
            "iam:PutGroupPolicy",
            "iam:AttachGroupPolicy",
            "iam:PutRolePolicy",
            "iam:AttachRolePolicy",
            "iam:CreatePolicyVersion",
        ];
        if !actor.covers_any(&CHANGES) {
            return None;
        }
        let mut with_mfa = None;
        for m in self.modifications(target) {
            let Some(changed) = self.allows(actor, &m) else {
                continue;
            };
            let open = self.boundary_open(actor, target)?;
            let mut pending = Pending::new(
                Target::Node(t),
                m.technique,
                join([changed, open, entry.clone()]),
            );
            pending.makes_admin = true;
            if !pending.allowed.requires_mfa {
                return Some(pending);
            }
            with_mfa.get_or_insert(pending);
        }
        with_mfa
    }

    /// Changes the subject (principal `t`) can make to its own permissions: join a group,
    /// switch a policy it holds to another version. Another principal's group or policy
    /// version is left to the one-call changes that make it admin (`takeovers`).
    pub(crate) fn changes(&self, target: &Subject, t: usize) -> Vec<Pending> {
        let actor = target;
        let mut out = Vec::new();
        let mut push = |allowed: Allowed, technique, change: Change| {
            out.push(Pending::new(Target::Changed(t, change), technique, allowed));
        };
        if target.kind == Kind::User {
            for (g, group) in self.account.groups.iter().enumerate() {
                let arn = group.arn.as_str();
                if target.groups.contains(&g) || !actor.might("iam:AddUserToGroup", arn) {
                    continue;
                }
                if let Some(allowed) = actor.ask().allowed("iam:AddUserToGroup", arn, &[]) {
                    let change = Change {
                        group: Some(g),
                        version: None,
                    };
                    push(allowed, Technique::AddUserToGroup, change);
                }
            }
        }
        for arn in target.held.iter().filter_map(|h| h.managed.as_deref()) {
            let Some(policy) = self.policy(arn) else {
                continue;
            };
            if policy.is_aws_managed() || !actor.might("iam:SetDefaultPolicyVersion", arn) {
                continue;
            }
            for version in policy.versions.iter().filter(|v| !v.default) {
                if let Some(allowed) = actor.ask().allowed("iam:SetDefaultPolicyVersion", arn, &[])
                {
                    let change = Change {
                        group: None,
                        version: Some((arn.to_owned(), version.id.clone())),
                    };
                    push(allowed, Technique::SetDefaultPolicyVersion, change);
                }
            }
        }
        out
    }
}
