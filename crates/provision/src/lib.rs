//! Sets up and tears down the iamkit stack in an AWS account or the local emulator: the only
//! crate (with `iamkit-verify`, which builds on it) that talks to AWS.
//!
//! The stack itself (manifest, review, desired state, plan) is plain data in `iamkit-stack`;
//! this crate is the imperative shell around it:
//!
//! - [`connect`] builds every AWS client, once: the standard credential chain for
//!   [`Target::Aws`], or an emulator endpoint with dummy credentials.
//! - [`whoami`] asks STS who is calling; [`observe`] reads what exists of the stack (reads
//!   only): one `GetAccountAuthorizationDetails` for IAM, then what that call leaves out.
//! - [`apply`] carries a plan out, each change as soon as the changes it waits for are done,
//!   retrying only named transient errors until a deadline.
//! - [`check_permissions`] asks IAM's policy simulator, before the first write on a real
//!   account, whether the caller may make every call of the plan; [`confirm`] asks the person.
//! - [`setup`] and [`teardown`] are the whole flows, composed once: `cargo xtask setup`,
//!   `teardown`, `demo` and `bench` call them, and so can any Rust program.
//! - [`invoke`] runs a deployed function: `lambda:Invoke` on AWS, the deployed package through
//!   a local Lambda Runtime API on the emulator.
//! - [`mfa`] enrols virtual MFA devices from a terminal.

mod apply;
mod clients;
mod error;
mod flow;
mod invoke;
pub mod mfa;
mod observe;
pub mod password;
mod preflight;

pub use apply::{ApplyOptions, ApplyReport, DEFAULT_PARALLELISM, apply};
pub use clients::{Clients, DEFAULT_REGION, MAX_ATTEMPTS, Target, connect, from_config};
pub use error::{Error, Failure};
pub use flow::{Events, SetupOptions, SetupOutcome, TeardownOutcome, setup, teardown};
pub use invoke::{Invocation, Runner, invoke};
pub use observe::{
    READ_PARALLELISM, observe, observe_for_teardown, observe_with_snapshot, read_snapshot, whoami,
};
pub use preflight::{PermissionCheck, Principal, check_permissions, confirm};
