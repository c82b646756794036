//! Live checks, made with the principals' own credentials: a temporary access key of the user
//! (`key`), what the user may do with it and the roles it switches to (`user`), the function
//! run and its object read back (`function`), and on AWS the simulator's word on each deny
//! expectation (`simulator`).

mod function;
mod key;
mod simulator;
mod user;

use std::collections::BTreeMap;

use aws_credential_types::{Credentials, provider::SharedCredentialsProvider};
use iamkit_provision::{Clients, from_config};
use iamkit_stack::Desired;

pub use function::GREETING;
pub use key::KEY_MARK;
pub use simulator::aws_decision;

use crate::{
    VerifyOptions,
    expectations::{Judged, Placeholders},
    report::{Check, Group, Report, Status},
};

fn check(name: &str, status: Status, detail: impl Into<String>) -> Check {
    Check::new(Group::Live, name, status, detail)
}

/// An AWS error in one line (`Code: message`, or why there was no answer).
fn sdk<E, R>(e: aws_sdk_iam::error::SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    iamkit_provision::describe(&e)
}

/// Clients that sign with `credentials`, to the same target.
fn clients_as(clients: &Clients, credentials: Credentials) -> Clients {
    let config = clients
        .config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build();
    from_config(clients.target.clone(), config)
}

/// The live group. The temporary key is deleted on every path once it exists.
pub(super) async fn run(
    clients: &Clients,
    desired: &Desired,
    at: &Placeholders,
    options: &VerifyOptions,
    judged: &BTreeMap<String, Judged>,
    report: &mut Report,
) {
    if clients.target.is_aws() {
        simulator::simulate(clients, at, &options.expectations, judged, report).await;
    } else {
        report.push(check(
            "aws-simulator",
            Status::Skipped,
            "known emulator limit: it does not implement iam:SimulatePrincipalPolicy; \
             with --aws, each deny expectation is also asked of AWS",
        ));
    }
    let Some(user) = desired.users.keys().next() else {
        report.push(check(
            "user-key",
            Status::Skipped,
            "the manifest has no user",
        ));
        return;
    };
    let Some(key) = key::create(clients, user, report).await else {
        return;
    };
    let me = clients_as(clients, key.credentials.clone());
    user::run(clients, &me, desired, at, user, report).await;
    for name in desired.functions.keys() {
        function::run(clients, desired, &me, options, user, name, report).await;
    }
    key::delete(clients, user, &key.id, report).await;
}
