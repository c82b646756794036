//! [`Analysis`]: an account compiled once for many questions. Principals are compiled on
//! first use (a question about one principal compiles one), roles' trust policies too.

use std::collections::HashMap;
use std::sync::OnceLock;

use iamkit_arn::Arn;
use iamkit_eval::{Context, Engine, NamedPolicy, Policies};
use iamkit_policy::{Effect, Policy, Principal, PrincipalMatch};

use crate::model::{Account, InlinePolicy};
use crate::subject::{Allowed, Ask, Held, Kind, SESSION, Subject, mentions_mfa};
use crate::witness::Place;

/// Settings for an analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The region of ARNs the analysis makes up to ask about (a function it could create);
    /// default `us-east-1`.
    pub region: String,
    /// Context keys every request carries besides those IAM derives from the principal
    /// (`aws:SourceIp`, `aws:CurrentTime`, ...). A condition on a key that is absent fails
    /// (unless `...IfExists` or a negated operator), so an edge guarded by it is not taken.
    pub context: Vec<(String, String)>,
    /// At most this many paths per principal in [`PathsReport`](crate::PathsReport): the
    /// shortest to each admin-equivalent principal it reaches, nearest first. Default 5.
    pub max_paths: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            region: "us-east-1".to_owned(),
            context: vec![("aws:SecureTransport".to_owned(), "true".to_owned())],
            max_paths: 5,
        }
    }
}

/// A question the analysis cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The ARN names no user or role of the account.
    #[error("`{0}` is not a user or role of this account")]
    UnknownPrincipal(String),
    /// The action is not in the service catalog.
    #[error("`{0}` is not an action the service catalog knows")]
    UnknownAction(String),
}

impl AccessError {
    /// Advice for a person reading the error.
    pub fn help(&self) -> &'static str {
        match self {
            AccessError::UnknownPrincipal(_) => {
                "give the ARN of a user or role as the file lists it, such as `arn:aws:iam::111122223333:user/dev-user`"
            }
            AccessError::UnknownAction(_) => {
                "write the action as `service:Name`, such as `iam:PassRole`; wildcards are not questions"
            }
        }
    }
}

/// The services that can run code as a role passed to them, by the techniques we model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    Lambda,
    Ec2,
    CloudFormation,
    Glue,
}

impl Service {
    pub(crate) const ALL: [Service; 4] = [
        Service::Lambda,
        Service::Ec2,
        Service::CloudFormation,
        Service::Glue,
    ];

    pub(crate) fn principal(self) -> &'static str {
        match self {
            Service::Lambda => "lambda.amazonaws.com",
            Service::Ec2 => "ec2.amazonaws.com",
            Service::CloudFormation => "cloudformation.amazonaws.com",
            Service::Glue => "glue.amazonaws.com",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// A role's trust policy: compiled alone (for service principals), and indexed by the
/// principals its Allow statements name, so most callers are ruled out without the engine.
pub(crate) struct Trust {
    pub policy: NamedPolicy,
    engine: Engine,
    pub mfa_aware: bool,
    any: bool,
    accounts: Vec<String>,
    arns: Vec<String>,
    /// (account, role name): a role ARN names the role's sessions.
    roles: Vec<(String, String)>,
    services: [OnceLock<Option<Allowed>>; 4],
}

impl Trust {
    fn new(role: &str, policy: &Policy) -> Trust {
        let named = NamedPolicy::new(&format!("trust policy of role {role}"), policy.clone());
        let mut trust = Trust {
            engine: Engine::new(&Policies {
                resource: Some(named.clone()),
                ..Policies::default()
            }),
            policy: named,
            mfa_aware: mentions_mfa(policy),
            any: false,
            accounts: Vec::new(),
            arns: Vec::new(),
            roles: Vec::new(),
            services: Default::default(),
        };
        for statement in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            match &statement.principals {
                Some(PrincipalMatch::Principal(list)) => list.iter().for_each(|p| trust.index(p)),
                Some(PrincipalMatch::NotPrincipal(_)) => trust.any = true,
                None => {}
            }
        }
        trust
    }

    fn index(&mut self, principal: &Principal) {
        let Principal::Aws(text) = principal else {
            self.any |= matches!(principal, Principal::Any);
            return;
        };
        if text == "*" {
            self.any = true;
        } else if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            self.accounts.push(text.clone());
        } else if let Ok(arn) = text.parse::<Arn>() {
            match arn.iam_resource() {
                _ if arn.is_account_root() => self.accounts.push(arn.account().to_owned()),
                Some(r) if r.kind == "role" => self
                    .roles
                    .push((arn.account().to_owned(), r.name.to_owned())),
                _ => self.arns.push(text.clone()),
            }
        }
    }

    /// Whether an Allow statement may name the subject (a necessary condition).
    pub(crate) fn may_name(&self, subject: &Subject, account: &str) -> bool {
        if self.any || self.accounts.iter().any(|a| a == account) {
            return true;
        }
        match subject.kind {
            Kind::User => self.arns.contains(&subject.arn),
            Kind::Role => {
                let name = subject.arn.rsplit('/').next().unwrap_or_default();
                self.roles.iter().any(|(a, n)| a == account && n == name)
            }
        }
    }

    /// Whether the subject is named by ARN (not only through its account): then the trust
    /// alone may allow it, without an identity policy.
    pub(crate) fn names_directly(&self, subject: &Subject, account: &str) -> bool {
        self.any
            || match subject.kind {
                Kind::User => self.arns.contains(&subject.arn),
                Kind::Role => {
                    let name = subject.arn.rsplit('/').next().unwrap_or_default();
                    self.roles.iter().any(|(a, n)| a == account && n == name)
                }
            }
    }
}

/// One change a path makes to a principal's own permissions before it goes on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Change {
    /// A group the user joined (`iam:AddUserToGroup`).
    pub group: Option<usize>,
    /// A managed policy switched to another existing version (`iam:SetDefaultPolicyVersion`):
    /// (policy ARN, version id).
    pub version: Option<(String, String)>,
}

/// An account compiled for questions. Build once, ask many.
///
/// ```
/// use iamkit_access::{Account, Analysis, ManagedPolicy, User};
/// use serde_json::json;
///
/// let mut account = Account::new(iamkit_arn::Partition::Aws, "111122223333".parse().unwrap());
/// account.users.push(User::new("arn:aws:iam::111122223333:user/dev")?
///     .attach("arn:aws:iam::111122223333:policy/iam-all")?);
/// account.policies.push(ManagedPolicy::new("arn:aws:iam::111122223333:policy/iam-all",
///     &json!({"Version": "2012-10-17",
///             "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}))?);
/// let analysis = Analysis::new(&account);
/// let report = analysis.paths();
/// // iam:* on * can attach any policy to its own user: admin-equivalent in one call.
/// assert!(report.principals[0].admin);
/// # Ok::<(), iamkit_access::ModelError>(())
/// ```
pub struct Analysis<'a> {
    pub(crate) account: &'a Account,
    pub(crate) options: Options,
    pub(crate) account_id: String,
    pub(crate) partition: String,
    groups: HashMap<&'a str, usize>,
    policies: HashMap<&'a str, usize>,
    subjects: Vec<OnceLock<Subject>>,
    trusts: Vec<OnceLock<Trust>>,
    warnings: Vec<String>,
}

impl<'a> Analysis<'a> {
    /// Compiles `account` with the default [`Options`].
    pub fn new(account: &'a Account) -> Analysis<'a> {
        Analysis::with_options(account, Options::default())
    }

    /// Compiles `account`.
    pub fn with_options(account: &'a Account, options: Options) -> Analysis<'a> {
        let groups = account
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.as_str(), i))
            .collect();
        let policies = account
            .policies
            .iter()
            .enumerate()
            .map(|(i, p)| (p.arn.as_str(), i))
            .collect();
        let principals = account.users.len() + account.roles.len();
        let mut analysis = Analysis {
            account,
            options,
            account_id: account.id.to_string(),
            partition: account.partition.to_string(),
            groups,
            policies,
            subjects: (0..principals).map(|_| OnceLock::new()).collect(),
            trusts: (0..account.roles.len()).map(|_| OnceLock::new()).collect(),
            warnings: Vec::new(),
        };
        analysis.warnings = analysis.find_warnings();
        analysis
    }

    /// What the analysis could not resolve: a group, a policy or a role named but absent.
    /// Each is left out of the answers, so they may miss access it would give.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn find_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut policy = |arn: &Arn, whose: &str| {
            if !self.policies.contains_key(arn.as_str()) {
                out.push(format!(
                    "policy `{arn}` ({whose}) is not in the account's policies: it counts as granting nothing"
                ));
            }
        };
        for u in &self.account.users {
            let whose = format!("attached to user {}", u.name);
            u.attached.iter().for_each(|a| policy(a, &whose));
            if let Some(b) = &u.boundary {
                policy(b, &format!("boundary of user {}", u.name));
            }
        }
        for g in &self.account.groups {
            let whose = format!("attached to group {}", g.name);
            g.attached.iter().for_each(|a| policy(a, &whose));
        }
        for r in &self.account.roles {
            let whose = format!("attached to role {}", r.name);
            r.attached.iter().for_each(|a| policy(a, &whose));
            if let Some(b) = &r.boundary {
                policy(b, &format!("boundary of role {}", r.name));
            }
        }
        for u in &self.account.users {
            for g in u
                .groups
                .iter()
                .filter(|g| !self.groups.contains_key(g.as_str()))
            {
                out.push(format!(
                    "group `{g}` of user {} is not in the account's groups",
                    u.name
                ));
            }
        }
        for f in &self.account.functions {
            if self.role_index(f.role.as_str()).is_none() {
                out.push(format!(
                    "role `{}` of function {} is not in the account's roles",
                    f.role, f.name
                ));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    pub(crate) fn place(&self) -> Place<'_> {
        Place {
            partition: &self.partition,
            account: &self.account_id,
            region: &self.options.region,
        }
    }

    /// Number of users and roles.
    pub(crate) fn principal_count(&self) -> usize {
        self.subjects.len()
    }

    /// The ARN of principal `i` (users first, then roles).
    pub(crate) fn principal_arn(&self, i: usize) -> Option<&'a Arn> {
        let users = self.account.users.len();
        match i.checked_sub(users) {
            None => self.account.users.get(i).map(|u| &u.arn),
            Some(r) => self.account.roles.get(r).map(|r| &r.arn),
        }
    }

    /// The index of the user or role with this ARN (a role session's ARN finds its role).
    pub(crate) fn principal_index(&self, arn: &str) -> Option<usize> {
        let users = self.account.users.len();
        if let Some(i) = self
            .account
            .users
            .iter()
            .position(|u| u.arn.as_str() == arn)
        {
            return Some(i);
        }
        if let Some(i) = self.role_index(arn) {
            return Some(users + i);
        }
        let parsed: Arn = arn.parse().ok()?;
        let (role, _) = parsed.sts_session()?;
        self.account
            .roles
            .iter()
            .position(|r| r.name == role && r.arn.account() == parsed.account())
            .map(|i| users + i)
    }

    pub(crate) fn role_index(&self, arn: &str) -> Option<usize> {
        self.account
            .roles
            .iter()
            .position(|r| r.arn.as_str() == arn)
    }

    /// The compiled principal `i`.
    pub(crate) fn subject(&self, i: usize) -> Option<&Subject> {
        let slot = self.subjects.get(i)?;
        if let Some(s) = slot.get() {
            return Some(s);
        }
        let built = self.build(i, &Change::default())?;
        Some(slot.get_or_init(|| built))
    }

    /// The compiled trust policy of role `r`.
    pub(crate) fn trust(&self, r: usize) -> Option<&Trust> {
        let slot = self.trusts.get(r)?;
        let role = self.account.roles.get(r)?;
        Some(slot.get_or_init(|| Trust::new(&role.name, &role.trust)))
    }

    /// Whether role `r`'s trust lets `service` assume it (for a request from this account).
    pub(crate) fn trusts_service(&self, r: usize, service: Service) -> Option<&Allowed> {
        let trust = self.trust(r)?;
        let role = self.account.roles.get(r)?;
        let slot = trust.services.get(service.slot())?;
        slot.get_or_init(|| {
            let context = Context::new().with("aws:SourceAccount", self.account_id.as_str());
            Ask {
                engine: &trust.engine,
                principal: service.principal(),
                context: &context,
                mfa_aware: false,
                with_mfa: false,
            }
            .allowed("sts:AssumeRole", role.arn.as_str(), &[])
        })
        .as_ref()
    }

    /// The managed policy `arn` at its default version (or at `version`), with the name
    /// reasons give it.
    fn managed(&self, arn: &str, change: &Change) -> Option<Held> {
        let policy = self.account.policies.get(*self.policies.get(arn)?)?;
        let switched = change
            .version
            .as_ref()
            .filter(|(p, _)| p == arn)
            .and_then(|(_, id)| policy.versions.iter().find(|v| v.id == *id));
        let (version, name) = match switched {
            Some(v) => (v, format!("{} (version {})", policy.name, v.id)),
            None => (policy.default_version()?, policy.name.clone()),
        };
        Some(Held {
            policy: NamedPolicy::new(&name, version.document.clone()),
            managed: Some(arn.to_owned()),
        })
    }

    fn inline(&self, list: &[InlinePolicy], owner: &str) -> Vec<Held> {
        list.iter()
            .map(|p| Held {
                policy: NamedPolicy::new(
                    &format!("inline {} of {owner}", p.name),
                    p.document.clone(),
                ),
                managed: None,
            })
            .collect()
    }

    fn group_policies(&self, g: usize, change: &Change) -> Vec<Held> {
        let Some(group) = self.account.groups.get(g) else {
            return Vec::new();
        };
        let mut out: Vec<Held> = group
            .attached
            .iter()
            .filter_map(|a| self.managed(a.as_str(), change))
            .collect();
        out.extend(self.inline(&group.inline, &format!("group {}", group.name)));
        out
    }

    /// Compiles principal `i` with `change` applied.
    pub(crate) fn build(&self, i: usize, change: &Change) -> Option<Subject> {
        let users = self.account.users.len();
        let mut context = Context::new();
        for (k, v) in &self.options.context {
            context.insert(k, v.as_str());
        }
        let (arn, caller, kind, index, mut groups, mut held, boundary, id, tags);
        if let Some(user) = self.account.users.get(i) {
            arn = user.arn.to_string();
            caller = arn.clone();
            (kind, index) = (Kind::User, i);
            groups = user
                .groups
                .iter()
                .filter_map(|g| self.groups.get(g.as_str()).copied())
                .collect::<Vec<_>>();
            held = user
                .attached
                .iter()
                .filter_map(|a| self.managed(a.as_str(), change))
                .collect::<Vec<_>>();
            held.extend(self.inline(&user.inline, &format!("user {}", user.name)));
            boundary = user.boundary.as_ref();
            id = user.id.clone();
            tags = &user.tags;
        } else {
            let r = i.checked_sub(users)?;
            let role = self.account.roles.get(r)?;
            arn = role.arn.to_string();
            let account = role.arn.account_id()?;
            // A session of the role; a name the builder rejects keeps the role's own ARN,
            // which the engine also takes as a session of the role.
            caller = Arn::sts_assumed_role(&self.account.partition, account, &role.name, SESSION)
                .map_or_else(|_| arn.clone(), |a| a.to_string());
            (kind, index, groups) = (Kind::Role, r, Vec::new());
            held = role
                .attached
                .iter()
                .filter_map(|a| self.managed(a.as_str(), change))
                .collect();
            held.extend(self.inline(&role.inline, &format!("role {}", role.name)));
            boundary = role.boundary.as_ref();
            id = role.id.as_ref().map(|id| format!("{id}:{SESSION}"));
            tags = &role.tags;
        }
        if let Some(extra) = change.group.filter(|g| !groups.contains(g)) {
            groups.push(extra);
        }
        for g in &groups {
            held.extend(self.group_policies(*g, change));
        }
        if let Some(id) = id {
            context.insert("aws:userid", id);
        }
        for (k, v) in tags {
            context.insert(&format!("aws:PrincipalTag/{k}"), v.as_str());
        }
        let boundary = boundary.and_then(|b| self.managed(b.as_str(), change));
        let spec = crate::subject::Spec {
            arn,
            caller,
            kind,
            index,
            groups,
            context,
        };
        Some(Subject::new(spec, held, boundary))
    }

    /// The managed policy with this ARN.
    pub(crate) fn policy(&self, arn: &str) -> Option<&crate::model::ManagedPolicy> {
        self.account.policies.get(*self.policies.get(arn)?)
    }
}

/// The trust actions for which a role's trust policy is the resource-based policy.
pub(crate) const TRUST_ACTIONS: [&str; 4] = [
    "sts:AssumeRole",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

impl Analysis<'_> {
    /// Asks whether `subject` may call `action` (a trust action) on role `r`, with the role's
    /// trust policy (or `trust`, a rewritten one) as the resource-based policy: the engine
    /// applies both sides, the identity's Deny and boundary, and the trust's conditions.
    pub(crate) fn ask_role(
        &self,
        subject: &Subject,
        r: usize,
        action: &str,
        trust: Option<&NamedPolicy>,
    ) -> Option<Allowed> {
        let role = self.account.roles.get(r)?;
        let compiled = self.trust(r)?;
        let mfa_aware =
            subject.mfa_aware || trust.map_or(compiled.mfa_aware, |t| mentions_mfa(&t.policy));
        let resource = trust.unwrap_or(&compiled.policy).clone();
        let with_mfa = !subject.no_mfa;
        let engine = Engine::new(&Policies {
            identity: subject.policies_for(action),
            resource: Some(resource),
            boundary: subject.boundary.as_ref().map(|b| b.policy.clone()),
            ..Policies::default()
        });
        Ask {
            engine: &engine,
            principal: &subject.caller,
            context: &subject.context,
            mfa_aware,
            with_mfa,
        }
        .allowed(action, role.arn.as_str(), &[])
    }
}
