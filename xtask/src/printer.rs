//! What `setup`, `teardown` and `demo` print as a flow goes, and how they answer it: the plan
//! like `terraform plan`, one line per change made, the preflight and the confirmation.

use std::{collections::BTreeMap, io::IsTerminal};

use iamkit_provision::{ApplyReport, Error, Events, PermissionCheck};
use iamkit_stack::{Action, Change, Code, Identity, Plan};

use crate::document::{Document, Reported, Status};

/// Builds the deployment packages when the flow asks for them.
pub type Packager = Box<dyn FnMut() -> anyhow::Result<BTreeMap<String, Code>> + Send>;

/// Prints a flow for a person (or, with `json`, keeps stdout for the JSON result).
pub struct Printer {
    task: &'static str,
    json: bool,
    yes: bool,
    packager: Option<Packager>,
    plan: Option<Plan>,
}

impl Printer {
    /// A printer for `task` (`setup` or `teardown`); `json` keeps stdout for JSON and sends
    /// progress to stderr; `yes` confirms on a real account without asking.
    pub fn new(task: &'static str, json: bool, yes: bool) -> Printer {
        Printer {
            task,
            json,
            yes,
            packager: None,
            plan: None,
        }
    }

    /// The same printer, answering the flow's request for deployment packages with `packager`.
    pub fn with_packages(mut self, packager: Packager) -> Printer {
        self.packager = Some(packager);
        self
    }

    /// The flow failed with `error`: in JSON mode, its document (with the plan, if one was
    /// made) is printed now, and the error comes back marked as reported.
    pub fn failed(&self, error: anyhow::Error) -> anyhow::Error {
        if !self.json {
            return error;
        }
        Document::failed(self.task, self.plan.as_ref(), &error).print();
        Reported(error).into()
    }

    /// The flow ended with `plan`, applied as `applied` (`None`: nothing was, a dry run or
    /// nothing to do): its status line in text mode, and its document.
    pub fn finish<'a>(&self, plan: &'a Plan, applied: Option<&ApplyReport>) -> Document<'a> {
        let (status, changes) = match applied {
            _ if plan.is_empty() => (Status::Unchanged, 0),
            Some(report) => (Status::Applied, report.changes),
            None => (Status::Planned, 0),
        };
        if !self.json {
            let what = match status {
                Status::Applied => format!("{changes} change(s) made"),
                Status::Planned => "nothing written: --dry-run".to_owned(),
                Status::Unchanged | Status::Failed => "nothing to do".to_owned(),
            };
            say!("\n{}: {} ({what}).", self.task, status.word());
        }
        Document {
            plan: Some(plan),
            changes_made: changes,
            ..Document::new(self.task, status)
        }
    }
}

impl Events for Printer {
    fn identity(&mut self, me: &Identity) {
        if me.is_root() {
            eprintln!(
                "warning: these are the account's root credentials. The point of this baseline is to stop using them: \
                 after setup, sign in as dev-user, and delete the root access keys (`verify` checks)"
            );
        }
    }

    fn packages(&mut self) -> Result<BTreeMap<String, Code>, Error> {
        match &mut self.packager {
            None => Ok(BTreeMap::new()),
            Some(packager) => packager().map_err(|e| Error::Package {
                message: format!("{e:#}"),
            }),
        }
    }

    fn planned(&mut self, plan: &Plan) {
        for note in &plan.notes {
            eprintln!("note: {note}");
        }
        if !self.json {
            print_plan(plan, self.task);
        }
        self.plan = Some(plan.clone());
    }

    fn permitted(&mut self, check: &PermissionCheck) {
        match (&check.principal, &check.note) {
            (Some(principal), _) => eprintln!(
                "preflight: `{principal}` may perform all {} action(s) the plan needs (IAM policy simulator; service control policies are not simulated)",
                check.checked
            ),
            (None, Some(note)) => eprintln!("preflight: {note}"),
            (None, None) => {}
        }
    }

    fn confirm(&mut self, plan: &Plan) -> Result<(), Error> {
        iamkit_provision::confirm(self.yes, std::io::stdin().is_terminal(), || {
            eprint!(
                "apply these changes to AWS account {} ({})? type `yes` to go on: ",
                plan.account, plan.region
            );
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer)?;
            Ok(answer)
        })
    }

    fn changed(&mut self, change: &Change) {
        progress(change, self.json);
    }
}

fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn paint(action: Action, text: &str) -> String {
    if !colour() {
        return text.to_owned();
    }
    let code = match action {
        Action::Create => "32",
        Action::Update => "33",
        Action::Delete => "31",
        Action::Adopt => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Prints the plan like `terraform plan`: one line per change, then the totals.
pub fn print_plan(plan: &Plan, task: &str) {
    say!(
        "{task}: stack `{}` in account {} ({})",
        plan.stack,
        plan.account,
        plan.region
    );
    for conflict in &plan.conflicts {
        say!("  ! {conflict}");
    }
    if plan.is_empty() {
        if plan.conflicts.is_empty() && task == "teardown" {
            say!("\nNothing to remove: the stack has no resources in this account.");
        } else if plan.conflicts.is_empty() {
            say!("\nNo changes. The account matches the manifest.");
        }
        return;
    }
    say!();
    for change in &plan.changes {
        let line = format!("  {} {}", change.action.sign(), change.address);
        match &change.detail {
            Some(detail) => say!("{}  ({detail})", paint(change.action, &line)),
            None => say!("{}", paint(change.action, &line)),
        }
        for line in change.diff.iter().flat_map(|d| d.lines()) {
            let action = match line.as_bytes().first() {
                Some(b'-') => Action::Delete,
                Some(b'+') => Action::Create,
                _ => Action::Update,
            };
            let line = format!("      {line}");
            if action == Action::Update {
                say!("{line}");
            } else {
                say!("{}", paint(action, &line));
            }
        }
    }
    say!(
        "\nPlan: {} to adopt, {} to create, {} to update, {} to delete.",
        plan.count(Action::Adopt),
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Delete)
    );
}

/// One line per change made: to stdout for people, to stderr when stdout is JSON.
pub fn progress(change: &Change, json: bool) {
    let line = paint(
        change.action,
        &format!("{} {}: done", change.action.sign(), change.address),
    );
    if json {
        eprintln!("{line}");
    } else {
        say!("{line}");
    }
}
