//! The graph the paths are searched in: a node per user, role and Lambda function, plus a
//! node per change a principal can make to its own permissions (joining a group, switching a
//! policy to another version); an edge per technique by which one node acts as another, each
//! decided by the engine with the statements that allowed it.
//!
//! Edges are computed only out of principals that are not admin-equivalent without MFA (a
//! path ends there). Changed principals get edges too, but no further changes: a path makes
//! at most one change to a principal's own permissions before it moves on.

use std::collections::HashMap;

use iamkit_catalog::Catalog;
use iamkit_eval::NamedPolicy;

use crate::admin::AdminProof;
use crate::analysis::{Analysis, Change, Service};
use crate::model::MfaDevices;
use crate::subject::{Allowed, StatementRef, Subject};
use crate::technique::Technique;

/// A node of the graph.
pub(crate) struct Node {
    /// The ARN shown for it: the principal's, the function's, the group joined, or the
    /// policy switched to another version.
    pub arn: String,
    /// Why it is admin-equivalent, if it is.
    pub admin: Option<AdminProof>,
    /// Whether a path starting here may present MFA.
    pub mfa_start: bool,
    /// Whether someone who takes over its long-term credentials can add MFA to them.
    pub mfa_takeover: bool,
}

/// One edge: `to` can be acted as from the edge's source.
#[derive(Clone, Debug)]
pub(crate) struct Edge {
    pub to: usize,
    pub technique: Technique,
    pub actions: Vec<String>,
    pub statements: Vec<StatementRef>,
    pub requires_mfa: bool,
    /// The step gives `to` any permission: it is admin-equivalent afterwards.
    pub makes_admin: bool,
}

/// Where an edge found while computing goes, before changed nodes have numbers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    Node(usize),
    Changed(usize, Change),
}

pub(crate) struct Pending {
    pub to: Target,
    pub technique: Technique,
    pub allowed: Allowed,
    pub makes_admin: bool,
}

impl Pending {
    pub(crate) fn new(to: Target, technique: Technique, allowed: Allowed) -> Pending {
        Pending {
            to,
            technique,
            allowed,
            makes_admin: false,
        }
    }
}

/// The graph.
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Vec<Edge>>,
}

/// Joins allowed requests: all must hold.
pub(crate) fn join(parts: impl IntoIterator<Item = Allowed>) -> Allowed {
    let mut all = Allowed {
        requires_mfa: false,
        statements: Vec::new(),
    };
    for part in parts {
        all.requires_mfa |= part.requires_mfa;
        all.statements.extend(part.statements);
    }
    all
}

impl Analysis<'_> {
    /// Builds the graph: every node, every edge.
    pub(crate) fn graph(&self) -> Graph {
        let principals = self.principal_count();
        let mut nodes: Vec<Node> = (0..principals).map(|i| self.principal_node(i)).collect();
        let mut changed_subjects: Vec<Subject> = Vec::new();
        for function in &self.account.functions {
            nodes.push(Node {
                arn: function.arn.to_string(),
                admin: None,
                mfa_start: false,
                mfa_takeover: false,
            });
        }
        let pending: Vec<Vec<Pending>> = self.edges_of_principals(&nodes);
        let mut edges: Vec<Vec<Edge>> = Vec::new();
        let mut index: HashMap<(usize, Change), usize> = HashMap::new();
        let mut queue: Vec<(usize, Vec<Pending>)> = pending.into_iter().enumerate().collect();
        for f in 0..self.account.functions.len() {
            queue.push((principals + f, self.function_edges(f)));
        }
        while let Some((from, list)) = queue.pop() {
            for p in list {
                let to = match p.to {
                    Target::Node(n) => n,
                    Target::Changed(i, change) => {
                        if let Some(n) = index.get(&(i, change.clone())) {
                            *n
                        } else {
                            let Some(subject) = self.build(i, &change) else {
                                continue;
                            };
                            let n = nodes.len();
                            let node = self.changed_node(&nodes, i, &change, &subject);
                            let out = if node.admin.as_ref().is_some_and(|a| !a.requires_mfa) {
                                Vec::new()
                            } else {
                                self.edges_from(&subject, None, &nodes)
                            };
                            nodes.push(node);
                            changed_subjects.push(subject);
                            index.insert((i, change), n);
                            queue.push((n, out));
                            n
                        }
                    }
                };
                if edges.len() < nodes.len() {
                    edges.resize_with(nodes.len(), Vec::new);
                }
                let mut actions: Vec<String> = Vec::new();
                for s in &p.allowed.statements {
                    if !actions.contains(&s.action) {
                        actions.push(s.action.clone());
                    }
                }
                if let Some(list) = edges.get_mut(from) {
                    list.push(Edge {
                        to,
                        technique: p.technique,
                        actions,
                        statements: p.allowed.statements,
                        requires_mfa: p.allowed.requires_mfa,
                        makes_admin: p.makes_admin,
                    });
                }
            }
        }
        edges.resize_with(nodes.len(), Vec::new);
        for list in &mut edges {
            list.sort_by_key(|e| (e.requires_mfa, e.to, e.technique));
        }
        Graph { nodes, edges }
    }

    fn principal_node(&self, i: usize) -> Node {
        let subject = self.subject(i);
        let arn = self
            .principal_arn(i)
            .map(ToString::to_string)
            .unwrap_or_default();
        let admin = subject.and_then(|s| self.admin_proof(s));
        let enroll = subject.is_some_and(|s| self.can_enroll_mfa(s));
        let users = self.account.users.len();
        let devices = self.account.users.get(i).map(|u| &u.mfa);
        let mfa_start = match devices {
            None => i >= users,
            Some(MfaDevices::Unknown) => true,
            Some(MfaDevices::Known(list)) => !list.is_empty() || enroll,
        };
        Node {
            arn,
            admin,
            mfa_start,
            mfa_takeover: enroll,
        }
    }

    fn changed_node(&self, nodes: &[Node], i: usize, change: &Change, subject: &Subject) -> Node {
        let base = nodes.get(i);
        let arn = match (&change.group, &change.version) {
            (Some(g), _) => self.account.groups.get(*g).map(|g| g.arn.to_string()),
            (None, Some((policy, _))) => Some(policy.clone()),
            (None, None) => None,
        };
        Node {
            arn: arn.unwrap_or_else(|| subject.arn.clone()),
            admin: self.admin_proof(subject),
            mfa_start: base.is_some_and(|b| b.mfa_start),
            mfa_takeover: base.is_some_and(|b| b.mfa_takeover),
        }
    }

    /// The pending edges of every principal, computed on as many threads as the machine has
    /// (at most 8); each principal's edges depend only on the account.
    fn edges_of_principals(&self, nodes: &[Node]) -> Vec<Vec<Pending>> {
        let count = self.principal_count();
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 8);
        let one = |i: usize| -> Vec<Pending> {
            let admin = nodes.get(i).and_then(|n| n.admin.as_ref());
            match (self.subject(i), admin) {
                (None, _) => Vec::new(),
                (Some(_), Some(a)) if !a.requires_mfa => Vec::new(),
                (Some(subject), Some(_)) => {
                    // Admin with MFA already: only steps without MFA can add anything.
                    let plain = Subject {
                        no_mfa: true,
                        ..subject.clone()
                    };
                    self.edges_from(&plain, Some(i), nodes)
                }
                (Some(subject), None) => self.edges_from(subject, Some(i), nodes),
            }
        };
        if threads == 1 || count < 64 {
            return (0..count).map(one).collect();
        }
        let chunk = count.div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let one = &one;
                    scope.spawn(move || {
                        let start = t * chunk;
                        (start..(start + chunk).min(count))
                            .map(one)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }

    /// Every edge out of `subject`; `own` is its principal index when it may still change
    /// its own permissions.
    fn edges_from(&self, subject: &Subject, own: Option<usize>, nodes: &[Node]) -> Vec<Pending> {
        let users = self.account.users.len();
        let mut out = Vec::new();
        let mut becomes: Vec<(usize, Allowed)> = Vec::new();
        let mut keep =
            |node: usize, allowed: &Allowed| match becomes.iter_mut().find(|(n, _)| *n == node) {
                Some((_, best)) if best.requires_mfa && !allowed.requires_mfa => {
                    *best = allowed.clone();
                }
                Some(_) => {}
                None => becomes.push((node, allowed.clone())),
            };
        for (r, role) in self.account.roles.iter().enumerate() {
            if role.arn.as_str() == subject.arn {
                continue;
            }
            for p in self.role_edges(subject, r) {
                keep(users + r, &p.allowed);
                out.push(p);
            }
        }
        let credentials = subject.covers_any(&[
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
            "iam:UpdateLoginProfile",
        ]);
        for (u, user) in self.account.users.iter().enumerate() {
            if !credentials || user.arn.as_str() == subject.arn {
                continue;
            }
            for p in self.credential_edges(subject, u) {
                keep(u, &p.allowed);
                out.push(p);
            }
        }
        for f in 0..self.account.functions.len() {
            let Some(function) = self.account.functions.get(f) else {
                continue;
            };
            if subject.might("lambda:UpdateFunctionCode", function.arn.as_str())
                && let Some(allowed) =
                    subject
                        .ask()
                        .allowed("lambda:UpdateFunctionCode", function.arn.as_str(), &[])
            {
                out.push(Pending::new(
                    Target::Node(self.principal_count() + f),
                    Technique::UpdateFunctionCode,
                    allowed,
                ));
            }
        }
        if let Some(i) = own {
            out.extend(self.changes(subject, i));
        }
        for (t, entry) in becomes {
            let admin = nodes.get(t).and_then(|n| n.admin.as_ref());
            if admin.is_some_and(|a| !a.requires_mfa) {
                continue;
            }
            if let Some(target) = self.subject(t) {
                out.extend(self.takeovers(subject, target, t, &entry));
            }
        }
        out
    }

    /// Edges to role `r`: assume it, rewrite its trust and assume it, or pass it to a service.
    fn role_edges(&self, subject: &Subject, r: usize) -> Vec<Pending> {
        let mut out = Vec::new();
        let (Some(role), Some(trust)) = (self.account.roles.get(r), self.trust(r)) else {
            return out;
        };
        let node = self.account.users.len() + r;
        let arn = role.arn.as_str();
        let assume = (trust.may_name(subject, &self.account_id)
            && (trust.names_directly(subject, &self.account_id)
                || subject.might("sts:AssumeRole", arn)))
        .then(|| self.ask_role(subject, r, "sts:AssumeRole", None))
        .flatten();
        let assume_free = assume.as_ref().is_some_and(|a| !a.requires_mfa);
        if let Some(allowed) = assume {
            out.push(Pending::new(
                Target::Node(node),
                Technique::AssumeRole,
                allowed,
            ));
        }
        if !assume_free
            && subject.might("iam:UpdateAssumeRolePolicy", arn)
            && let Some(update) = subject
                .ask()
                .allowed("iam:UpdateAssumeRolePolicy", arn, &[])
            && let Some(rewritten) = self.trusting(subject, &role.name)
            && let Some(then) = self.ask_role(subject, r, "sts:AssumeRole", Some(&rewritten))
        {
            out.push(Pending::new(
                Target::Node(node),
                Technique::UpdateAssumeRolePolicy,
                join([update, then]),
            ));
        }
        let services: Vec<Service> = Service::ALL
            .into_iter()
            .filter(|s| self.trusts_service(r, *s).is_some())
            .collect();
        if !services.is_empty() && subject.might("iam:PassRole", arn) {
            out.extend(
                services
                    .into_iter()
                    .filter_map(|s| self.pass_role(subject, r, s)),
            );
        }
        out
    }

    /// A trust policy that trusts exactly the subject, as an attacker would write it.
    fn trusting(&self, subject: &Subject, role: &str) -> Option<NamedPolicy> {
        let document = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": subject.arn},
                "Action": "sts:AssumeRole"
            }]
        });
        NamedPolicy::from_json(
            &format!("trust policy of role {role}, rewritten"),
            &document,
        )
        .ok()
    }

    /// Credential edges to user `u`: a new access key or console password for it.
    fn credential_edges(&self, subject: &Subject, u: usize) -> Vec<Pending> {
        let Some(user) = self.account.users.get(u) else {
            return Vec::new();
        };
        let arn = user.arn.as_str();
        [
            (Technique::CreateAccessKey, "iam:CreateAccessKey"),
            (Technique::CreateLoginProfile, "iam:CreateLoginProfile"),
            (Technique::UpdateLoginProfile, "iam:UpdateLoginProfile"),
        ]
        .into_iter()
        .filter(|(_, action)| subject.might(action, arn))
        .filter_map(|(technique, action)| {
            let allowed = subject.ask().allowed(action, arn, &[])?;
            Some(Pending::new(Target::Node(u), technique, allowed))
        })
        .collect()
    }

    /// The edge from function `f` to its execution role, when the role trusts Lambda.
    fn function_edges(&self, f: usize) -> Vec<Pending> {
        let Some(function) = self.account.functions.get(f) else {
            return Vec::new();
        };
        let Some(r) = self.role_index(function.role.as_str()) else {
            return Vec::new();
        };
        match self.trusts_service(r, Service::Lambda) {
            Some(allowed) => vec![Pending::new(
                Target::Node(self.account.users.len() + r),
                Technique::ExecutionRole,
                allowed.clone(),
            )],
            None => Vec::new(),
        }
    }

    /// The catalog's ARN formats for `action`: all, or only the required ones.
    pub(crate) fn formats(action: &str, required_only: bool) -> Vec<&'static str> {
        Catalog::get()
            .action(action)
            .map(|a| {
                a.resource_types()
                    .filter(|(_, required)| *required || !required_only)
                    .map(|(t, _)| t.arn_format.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}
