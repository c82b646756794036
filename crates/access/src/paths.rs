//! Paths to admin: a breadth-first search from every user and role over the graph, in two
//! MFA states. A step that needs MFA is taken only by a caller whose session has it: a path
//! may start with MFA when the principal can present it (a role; a user with a device, one
//! whose devices are unknown, or one that may enrol its own), keeps it across steps that keep
//! the session (`sts:AssumeRole` with the MFA code), and loses it on steps that switch to other
//! credentials (a new access key, a service's session) unless the taken-over user may enrol
//! a device of its own.

use serde::Serialize;

use crate::admin::AdminProof;
use crate::analysis::Analysis;
use crate::graph::{Edge, Graph};
use crate::subject::StatementRef;
use crate::technique::Technique;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The ARN acting.
    pub from: String,
    /// The ARN acted as next (a role, a user, a function, a group joined, a policy version).
    pub to: String,
    /// How.
    pub technique: Technique,
    /// The actions the step takes.
    pub actions: Vec<String>,
    /// The statements that allow them.
    pub statements: Vec<StatementRef>,
    /// Whether the step needs MFA.
    pub requires_mfa: bool,
    /// The step gives `to` any permission (it changes `to`'s policies before acting as it).
    #[serde(skip)]
    pub makes_admin: bool,
}

/// A path from a principal to an admin-equivalent one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    /// The steps, in order; the last one's `to` is admin-equivalent.
    pub steps: Vec<Step>,
    /// Why the end is admin-equivalent (`None` when the last step made it so).
    #[serde(skip)]
    pub end: Option<AdminProof>,
}

impl Path {
    /// Whether some step needs MFA.
    pub fn requires_mfa(&self) -> bool {
        self.steps.iter().any(|s| s.requires_mfa)
            || self.end.as_ref().is_some_and(|e| e.requires_mfa)
    }
}

/// What the analysis says about one user or role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrincipalPaths {
    /// The user's or role's ARN.
    pub arn: String,
    /// Its own policies are admin-equivalent.
    pub admin: bool,
    /// It is admin, or some path makes it so.
    pub reaches_admin: bool,
    /// It is admin without MFA, or some path needing no MFA makes it so.
    pub without_mfa: bool,
    /// The ARN of each hop of one shortest path (one needing no MFA when there is one), the
    /// last being admin-equivalent; empty when it is admin itself or reaches nothing.
    pub via: Vec<String>,
    /// The shortest path to each admin-equivalent principal it reaches, nearest first (a
    /// path needing no MFA first when there is one), at most `Options::max_paths`.
    pub paths: Vec<Path>,
    /// Why it is admin-equivalent itself.
    #[serde(skip)]
    pub admin_proof: Option<AdminProof>,
}

/// `access paths`: one entry for every user and role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathsReport {
    /// Users first, then roles, in the account's order.
    pub principals: Vec<PrincipalPaths>,
    /// What the analysis could not resolve (see [`Analysis::warnings`]).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// A state of the search: a node, and whether the session there has MFA.
type State = usize;

fn state(node: usize, mfa: bool) -> State {
    node * 2 + usize::from(mfa)
}

/// Where the search found an admin-equivalent principal.
#[derive(Clone, Copy, Debug)]
enum Goal {
    /// The node of this state is admin-equivalent.
    At(State),
    /// This edge (from this state) makes its target admin-equivalent.
    By(State, usize),
}

/// A breadth-first search, reusing its buffers across starts.
struct Search<'g> {
    graph: &'g Graph,
    seen: Vec<u32>,
    parent: Vec<(State, usize)>,
    round: u32,
    queue: std::collections::VecDeque<State>,
}

impl<'g> Search<'g> {
    fn new(graph: &'g Graph) -> Search<'g> {
        let states = graph.nodes.len() * 2;
        Search {
            graph,
            seen: vec![0; states],
            parent: vec![(usize::MAX, usize::MAX); states],
            round: 0,
            queue: std::collections::VecDeque::new(),
        }
    }

    fn visit(&mut self, s: State, from: (State, usize)) -> bool {
        match self.seen.get_mut(s) {
            Some(mark) if *mark != self.round => {
                *mark = self.round;
                if let Some(p) = self.parent.get_mut(s) {
                    *p = from;
                }
                self.queue.push_back(s);
                true
            }
            _ => false,
        }
    }

    /// The goals reachable from `start`, nearest first, at most `limit` distinct targets;
    /// with `mfa` false, only states and steps without MFA.
    fn run(&mut self, start: usize, mfa: bool, limit: usize) -> Vec<Goal> {
        self.round += 1;
        self.queue.clear();
        let mut goals = Vec::new();
        let mut targets: Vec<(usize, bool)> = Vec::new();
        let nodes = &self.graph.nodes;
        self.visit(state(start, false), (usize::MAX, usize::MAX));
        if mfa && nodes.get(start).is_some_and(|n| n.mfa_start) {
            self.visit(state(start, true), (usize::MAX, usize::MAX));
        }
        while let Some(s) = self.queue.pop_front() {
            let (node, has_mfa) = (s / 2, s % 2 == 1);
            let admin = nodes.get(node).and_then(|n| n.admin.as_ref());
            if admin.is_some_and(|a| !a.requires_mfa || has_mfa) {
                if !targets.contains(&(node, false)) {
                    targets.push((node, false));
                    goals.push(Goal::At(s));
                }
                if targets.len() >= limit {
                    break;
                }
                continue;
            }
            let Some(edges) = self.graph.edges.get(node) else {
                continue;
            };
            for (i, edge) in edges.iter().enumerate() {
                if edge.requires_mfa && !has_mfa {
                    continue;
                }
                if edge.makes_admin {
                    if !targets.contains(&(edge.to, true)) {
                        targets.push((edge.to, true));
                        goals.push(Goal::By(s, i));
                    }
                    continue;
                }
                let keeps = edge.technique.keeps_session();
                self.visit(state(edge.to, keeps && has_mfa), (s, i));
                let takeover = nodes.get(edge.to).is_some_and(|n| n.mfa_takeover);
                if mfa && !keeps && takeover {
                    self.visit(state(edge.to, true), (s, i));
                }
            }
            if targets.len() >= limit {
                break;
            }
        }
        goals
    }

    /// The edges from the start to state `s`, in order.
    fn trail(&self, mut s: State) -> Vec<(usize, &'g Edge)> {
        let mut out = Vec::new();
        while let Some(&(prev, edge)) = self.parent.get(s) {
            if prev == usize::MAX {
                break;
            }
            let from = prev / 2;
            match self.graph.edges.get(from).and_then(|l| l.get(edge)) {
                Some(e) => out.push((from, e)),
                None => break,
            }
            s = prev;
        }
        out.reverse();
        out
    }

    fn path(&self, goal: Goal) -> Path {
        let nodes = &self.graph.nodes;
        let arn = |n: usize| nodes.get(n).map(|n| n.arn.clone()).unwrap_or_default();
        let (mut trail, end) = match goal {
            Goal::At(s) => (
                self.trail(s),
                nodes.get(s / 2).and_then(|n| n.admin.clone()),
            ),
            Goal::By(s, i) => {
                let mut t = self.trail(s);
                if let Some(e) = self.graph.edges.get(s / 2).and_then(|l| l.get(i)) {
                    t.push((s / 2, e));
                }
                (t, None)
            }
        };
        let steps = trail
            .drain(..)
            .map(|(from, e)| Step {
                from: arn(from),
                to: arn(e.to),
                technique: e.technique,
                actions: e.actions.clone(),
                statements: e.statements.clone(),
                requires_mfa: e.requires_mfa,
                makes_admin: e.makes_admin,
            })
            .collect();
        Path { steps, end }
    }
}

impl Analysis<'_> {
    /// Paths to admin for every user and role.
    pub fn paths(&self) -> PathsReport {
        let graph = self.graph();
        let mut search = Search::new(&graph);
        let limit = self.options.max_paths.max(1);
        let principals = (0..self.principal_count())
            .map(|i| {
                let node = graph.nodes.get(i);
                let admin_proof = node.and_then(|n| n.admin.clone());
                let admin = admin_proof
                    .as_ref()
                    .is_some_and(|a| !a.requires_mfa || node.is_some_and(|n| n.mfa_start));
                let plain = search.run(i, false, 1).first().map(|g| search.path(*g));
                let mut paths: Vec<Path> = search
                    .run(i, true, limit + 1)
                    .iter()
                    .map(|g| search.path(*g))
                    .collect();
                let reaches_admin = !paths.is_empty();
                let without_mfa = plain.is_some();
                let via_path = plain.clone().or_else(|| paths.first().cloned());
                if let Some(p) = plain.filter(|p| !p.steps.is_empty()) {
                    paths.retain(|q| *q != p);
                    paths.insert(0, p);
                }
                paths.retain(|p| !p.steps.is_empty());
                paths.truncate(limit);
                PrincipalPaths {
                    arn: node.map(|n| n.arn.clone()).unwrap_or_default(),
                    admin,
                    reaches_admin,
                    without_mfa,
                    via: via_path
                        .map(|p| p.steps.iter().map(|s| s.to.clone()).collect())
                        .unwrap_or_default(),
                    paths,
                    admin_proof,
                }
            })
            .collect();
        PathsReport {
            principals,
            warnings: self.warnings().to_vec(),
        }
    }
}
