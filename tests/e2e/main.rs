//! End-to-end tests against the local AWS emulator: one test binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure with a message

mod aws;
mod bad_input;
mod cli;
mod cli_options;
mod corpus;
mod emulator;
mod gate;
mod lambda;
mod lint_corpus;
mod mfa;
mod provision;
mod proxy;
mod tidy;
mod verify;
