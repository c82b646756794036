//! Drift: the account against the manifest. The plan from what is there to what the
//! manifest says must be empty.

use iamkit_stack::{Desired, Observed, plan};

use crate::report::{Check, Group, Report, Status};

/// The drift group: the plan from the account as it is to the manifest must be empty.
pub(crate) fn drift(desired: &Desired, observed: &Observed, report: &mut Report) {
    let plan = plan(desired, observed);
    if plan.is_empty() && plan.conflicts.is_empty() && plan.notes.is_empty() {
        report.push(Check::new(
            Group::Drift,
            "drift",
            Status::Pass,
            "the account matches the manifest: the plan is empty",
        ));
        return;
    }
    for change in &plan.changes {
        let detail = match &change.detail {
            Some(why) => format!("{} {}: {why}", change.action.sign(), change.address),
            None => format!("{} {}", change.action.sign(), change.address),
        };
        report.push(
            Check::new(Group::Drift, "drift", Status::Fail, detail)
                .help("`cargo xtask setup` puts the account back as the manifest says"),
        );
    }
    for conflict in &plan.conflicts {
        report.push(Check::new(
            Group::Drift,
            "drift",
            Status::Fail,
            format!("{}: not the stack's: {}", conflict.address, conflict.reason),
        ));
    }
    for note in &plan.notes {
        report.push(Check::new(
            Group::Drift,
            "drift",
            Status::Warn,
            note.clone(),
        ));
    }
}
