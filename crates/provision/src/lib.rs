//! Sets up, verifies and tears down the iamkit baseline. The only crate that talks to AWS.
//!
//! Every AWS client is built here, once, by [`connect`]: from the standard credential chain
//! for a real account ([`Target::Aws`]), or for an emulator endpoint with dummy credentials
//! ([`Target::Emulator`]).
//!
//! ```no_run
//! use iamkit_provision::{connect, Target};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let target = Target::Emulator { endpoint: "http://127.0.0.1:5000".into() };
//! let clients = connect(&target, None).await;
//! let me = clients.sts.get_caller_identity().send().await?;
//! println!("account {}", me.account().unwrap_or_default());
//! # Ok(()) }
//! ```

mod clients;
pub mod mfa;

pub use clients::{Clients, DEFAULT_REGION, Target, connect, from_config};
