#![doc = include_str!("../README.md")]

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
pub use error::{Error, Failure, describe};
pub use flow::{Events, SetupOptions, SetupOutcome, TeardownOutcome, setup, teardown};
pub use invoke::{Invocation, Runner, invoke};
pub use observe::{
    READ_PARALLELISM, observe, observe_for_teardown, observe_with_snapshot, read_access_account,
    read_functions, read_snapshot, whoami,
};
pub use preflight::{PermissionCheck, Principal, check_permissions, confirm};
