//! Text renderings for people: paths as chains with the deciding statement of each step,
//! effective permissions by service, who-can lists.

use std::fmt::Write as _;

use crate::effective::{Grant, Permissions};
use crate::paths::{Path, PathsReport, PrincipalPaths};
use crate::who_can::{Allowance, WhoCan};

/// The short name of an ARN: its resource part (`user/dev-user`, `function:hello`).
fn short(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

fn statement_lines(out: &mut String, indent: &str, statements: &[crate::StatementRef]) {
    for s in statements {
        let _ = writeln!(out, "{indent}{s}");
    }
}

fn render_path(out: &mut String, path: &Path) {
    for (i, step) in path.steps.iter().enumerate() {
        let mfa = if step.requires_mfa {
            " [needs MFA]"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {}. {} --{}--> {}{mfa}",
            i + 1,
            short(&step.from),
            step.technique,
            short(&step.to)
        );
        statement_lines(out, "         ", &step.statements);
        if step.makes_admin {
            let _ = writeln!(
                out,
                "         {} is admin-equivalent after this step",
                short(&step.to)
            );
        }
    }
    if let (Some(end), Some(last)) = (&path.end, path.steps.last()) {
        let _ = writeln!(
            out,
            "       {} is admin-equivalent: {}",
            short(&last.to),
            end.how
        );
        statement_lines(out, "         ", &end.statements);
    }
}

fn render_principal(out: &mut String, p: &PrincipalPaths) {
    let verdict = match (p.admin, p.reaches_admin, p.without_mfa) {
        (true, _, true) => "admin-equivalent",
        (true, _, false) => "admin-equivalent with MFA",
        (false, true, true) => "reaches admin without MFA",
        (false, true, false) => "reaches admin, only with MFA",
        (false, false, _) => "does not reach admin",
    };
    let _ = writeln!(out, "{}: {verdict}", short(&p.arn));
    if let Some(proof) = p.admin_proof.as_ref().filter(|_| p.admin) {
        let _ = writeln!(out, "    {}", proof.how);
        statement_lines(out, "      ", &proof.statements);
    }
    for path in &p.paths {
        render_path(out, path);
    }
}

impl Path {
    /// The path on one line: `user/dev-user --assume-role--> role/admin (iam:PutRolePolicy
    /// on itself)`, the steps that need MFA marked.
    pub fn chain(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            if i == 0 {
                out.push_str(short(&step.from));
            }
            let mfa = if step.requires_mfa {
                " [needs MFA]"
            } else {
                ""
            };
            let _ = write!(out, " --{}--> {}{mfa}", step.technique, short(&step.to));
        }
        if let Some(end) = &self.end {
            if out.is_empty() {
                let _ = write!(out, "{}", end.how);
            } else {
                let _ = write!(out, " ({})", end.how);
            }
        }
        out
    }

    /// The path as [`PathsReport::to_text`] draws it: a numbered line per step, each with the
    /// statements that allow it, then why the end is admin-equivalent.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        render_path(&mut out, self);
        out
    }
}

impl PathsReport {
    /// The report as text: one block per principal, each path a chain of steps (the
    /// warnings are in [`PathsReport::warnings`]).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for p in &self.principals {
            render_principal(&mut out, p);
        }
        out
    }
}

fn grant_text(g: &Grant) -> String {
    let mut text = format!("on {}", g.resource);
    if g.requires_mfa {
        text.push_str(" [needs MFA]");
    }
    if !g.except.is_empty() {
        let _ = write!(text, " except {}", g.except.join(", "));
    }
    text
}

impl Permissions {
    /// The permissions as text: a line per service summarised as `service:*`, else the
    /// service's actions grouped by where they are allowed.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} of {} actions allowed{}",
            short(&self.principal),
            self.allowed,
            self.total,
            if self.everything { " (*:* on *)" } else { "" }
        );
        for service in &self.services {
            if let Some(all) = &service.all {
                let _ = writeln!(
                    out,
                    "  {}:* {} ({} actions)",
                    service.service,
                    grant_text(all),
                    service.total
                );
                for s in &all.statements {
                    let _ = writeln!(
                        out,
                        "      by {} `{}` statement {}",
                        s.policy_type, s.policy, s.statement
                    );
                }
                continue;
            }
            let _ = writeln!(
                out,
                "  {}: {} of {} actions",
                service.service, service.allowed, service.total
            );
            let mut groups: Vec<(String, Vec<&str>, &Grant)> = Vec::new();
            for action in &service.actions {
                for grant in &action.grants {
                    let key = grant_text(grant);
                    let name = action.action.split(':').nth(1).unwrap_or(&action.action);
                    match groups.iter_mut().find(|(k, _, _)| *k == key) {
                        Some((_, names, _)) => names.push(name),
                        None => groups.push((key, vec![name], grant)),
                    }
                }
            }
            for (key, names, grant) in groups {
                let _ = writeln!(out, "    {key}: {}", names.join(", "));
                let mut seen: Vec<String> = Vec::new();
                for s in &grant.statements {
                    let label =
                        format!("{} `{}` statement {}", s.policy_type, s.policy, s.statement);
                    if !seen.contains(&label) {
                        let _ = writeln!(out, "      by {label}");
                        seen.push(label);
                    }
                }
            }
        }
        out
    }
}

fn allowance_line(out: &mut String, a: &Allowance) {
    let mfa = if a.requires_mfa { " [needs MFA]" } else { "" };
    let _ = writeln!(out, "  {}{mfa}", short(&a.principal));
    statement_lines(out, "      ", &a.statements);
    for c in &a.conditions {
        let _ = writeln!(out, "      when {c}");
    }
}

impl WhoCan {
    /// The answer as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} on {}: {} principal(s) allowed",
            self.action,
            self.resource,
            self.allowed.len()
        );
        for a in &self.allowed {
            allowance_line(&mut out, a);
        }
        if !self.conditional.is_empty() {
            let _ = writeln!(out, "allowed only if these conditions hold:");
            for a in &self.conditional {
                allowance_line(&mut out, a);
            }
        }
        out
    }
}
