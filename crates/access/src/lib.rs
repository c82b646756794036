#![doc = include_str!("../README.md")]

mod admin;
mod analysis;
mod effective;
mod escalation;
mod graph;
mod load;
mod model;
mod paths;
mod report;
mod steps;
mod subject;
pub mod synthetic;
mod technique;
mod who_can;
mod witness;

pub use admin::AdminProof;
pub use analysis::{AccessError, Analysis, Options};
pub use effective::{ActionPermission, Grant, Permissions, ServicePermissions};
pub use escalation::{Escalation, Fix};
pub use load::{DecodeError, LoadError, LoadErrors, decode_document, load_details, load_functions};
pub use model::{
    Account, Function, Group, InlinePolicy, ManagedPolicy, MfaDevices, ModelError, PolicyVersion,
    Role, User, document,
};
pub use paths::{Path, PathsReport, PrincipalPaths, Step};
pub use subject::StatementRef;
pub use technique::Technique;
pub use who_can::{Allowance, WhoCan};
