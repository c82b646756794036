//! The setup and teardown flows, composed once. `cargo xtask setup`, `teardown`, `demo` and
//! `bench` call them; so can any Rust program. The caller follows along and answers through
//! [`Events`]: the plan to show, the permission check, the confirmation, each change made.
//!
//! Setup is: the review (the one "may this be written" decision: an error or an unaccepted
//! security finding stops here, before any request) -> who is calling -> the deployment
//! packages -> desired -> observe -> plan -> on a real account, the permission simulation and
//! the confirmation -> apply. Teardown is the same without the review and the packages, with
//! [`teardown_plan`] and a final read that says what, if anything, is left.

use std::collections::BTreeMap;

use iamkit_stack::{
    Change, Code, Desired, Identity, Manifest, Plan, plan, required_permissions, review,
    teardown_plan,
};

use crate::{
    apply::{ApplyOptions, ApplyReport, apply},
    clients::{Clients, DEFAULT_REGION},
    error::Error,
    observe::{observe, observe_for_teardown, whoami},
    preflight::{PermissionCheck, check_permissions},
};

/// What a flow tells its caller as it goes, and what it asks. Every method has a default: a
/// caller implements the ones it needs.
pub trait Events: Send {
    /// The caller's identity, as soon as it is known.
    fn identity(&mut self, _identity: &Identity) {}

    /// The deployment package of each function, by name; asked once the identity is known, so
    /// that missing credentials stop a run before a package is built. Setup only. The default
    /// gives none: functions are not created.
    fn packages(&mut self) -> Result<BTreeMap<String, Code>, Error> {
        Ok(BTreeMap::new())
    }

    /// The plan, before anything is written (in a dry run too).
    fn planned(&mut self, _plan: &Plan) {}

    /// On a real account: IAM's policy simulator found the caller allowed everything the plan
    /// needs.
    fn permitted(&mut self, _check: &PermissionCheck) {}

    /// On a real account, before the first write: `Ok` to go on. The default refuses, so that
    /// nothing is written to a real account unless the caller says so.
    fn confirm(&mut self, _plan: &Plan) -> Result<(), Error> {
        Err(Error::NotConfirmed {
            reason: "the caller gave no way to confirm the plan".to_owned(),
        })
    }

    /// A change was made.
    fn changed(&mut self, _change: &Change) {}
}

/// How [`setup`] runs.
#[derive(Clone, Debug)]
pub struct SetupOptions {
    /// Take over resources that have the manifest's names but not the stack's mark.
    pub adopt: bool,
    /// Plan (and on a real account, check permissions), but write nothing.
    pub dry_run: bool,
    /// How the plan is applied.
    pub apply: ApplyOptions,
}

/// What [`setup`] did.
#[derive(Clone, Debug)]
pub struct SetupOutcome {
    /// Who ran it.
    pub identity: Identity,
    /// The manifest in the caller's account.
    pub desired: Desired,
    /// The plan.
    pub plan: Plan,
    /// What apply did; `None` when nothing was applied (no change, or a dry run).
    pub applied: Option<ApplyReport>,
}

/// What [`teardown`] did.
#[derive(Clone, Debug)]
pub struct TeardownOutcome {
    /// The plan.
    pub plan: Plan,
    /// What apply did; `None` when nothing was applied (no change, or a dry run).
    pub applied: Option<ApplyReport>,
    /// What a fresh read still finds to remove after applying (empty when teardown converged).
    pub left: Vec<String>,
}

/// The region the clients send requests to.
fn region(clients: &Clients) -> String {
    clients
        .config
        .region()
        .map_or(DEFAULT_REGION, |r| r.as_ref())
        .to_owned()
}

/// Sets the stack of `manifest` up in the clients' account. Nothing is sent when the review
/// refuses the manifest ([`review::Review::gate`]); nothing is written when the plan has
/// conflicts, in a dry run, or on a real account before the permission check passed and
/// [`Events::confirm`] agreed.
pub async fn setup(
    clients: &Clients,
    manifest: &Manifest,
    options: &SetupOptions,
    events: &mut dyn Events,
) -> Result<SetupOutcome, Error> {
    review::review(manifest).gate()?;
    let identity = whoami(clients).await?;
    events.identity(&identity);
    let code = events.packages()?;
    let mut desired = Desired::new(manifest, &identity, &region(clients), &code)?;
    desired.adopt = options.adopt;
    let observed = observe(clients, &desired).await?;
    let plan = plan(&desired, &observed);
    events.planned(&plan);
    let applied = carry_out(clients, &identity, &desired, &plan, options, events).await?;
    Ok(SetupOutcome {
        identity,
        desired,
        plan,
        applied,
    })
}

/// Removes everything of the stack's from the clients' account: what the manifest names and
/// carries the stack's mark, any group under the stack's path, and any user, role or
/// customer-managed policy with the mark that the manifest no longer names; in the order AWS
/// requires, from any partial state. Then reads again and reports what is left.
pub async fn teardown(
    clients: &Clients,
    manifest: &Manifest,
    options: &SetupOptions,
    events: &mut dyn Events,
) -> Result<TeardownOutcome, Error> {
    let identity = whoami(clients).await?;
    events.identity(&identity);
    let desired = Desired::names(manifest, &identity, &region(clients))?;
    let observed = observe_for_teardown(clients, &desired).await?;
    let plan = teardown_plan(&desired, &observed);
    events.planned(&plan);
    let applied = carry_out(clients, &identity, &desired, &plan, options, events).await?;
    let left = match applied {
        Some(_) => {
            let now = observe_for_teardown(clients, &desired).await?;
            let rest = teardown_plan(&desired, &now);
            rest.changes.into_iter().map(|c| c.address).collect()
        }
        None => Vec::new(),
    };
    Ok(TeardownOutcome {
        plan,
        applied,
        left,
    })
}

/// Applies `plan` unless it has conflicts (an error), is empty or this is a dry run; on a
/// real account, only after the permission check and the confirmation.
async fn carry_out(
    clients: &Clients,
    identity: &Identity,
    desired: &Desired,
    plan: &Plan,
    options: &SetupOptions,
    events: &mut dyn Events,
) -> Result<Option<ApplyReport>, Error> {
    if !plan.conflicts.is_empty() {
        return Err(Error::NotOurs(plan.conflicts.clone()));
    }
    if plan.is_empty() {
        return Ok(None);
    }
    if clients.target.is_aws() {
        let needed = required_permissions(plan, desired);
        let check = check_permissions(clients, identity, &needed).await?;
        events.permitted(&check);
        if options.dry_run {
            return Ok(None);
        }
        events.confirm(plan)?;
    }
    if options.dry_run {
        return Ok(None);
    }
    let report = apply(clients, plan, &options.apply, &mut |change| {
        events.changed(change)
    })
    .await?;
    Ok(Some(report))
}
