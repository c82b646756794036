//! Virtual MFA enrolment on the emulator. The emulator accepts any six digits in
//! EnableMFADevice (AWS checks them), so the codes are also checked locally before the call:
//! the unit tests check that check against RFC 6238's vectors, and these tests count on it
//! (a wrong code that reached the emulator would enable the device).

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_iam::types::Tag;
use iamkit_e2e::{clients, own};
use iamkit_provision::{
    Clients,
    mfa::{self, CodePair, MfaError, TotpError},
};
use iamkit_stack::marks::{MFA_DEVICE_TAG, STACK_TAG};
use totp_rs::{Algorithm, Builder, Secret};

mod cli;

/// The stack of `policies/baseline.toml`.
const STACK: &str = "iamkit";

/// Creates user `name`, tagged as a user of `stack`.
async fn user_of(clients: &Clients, stack: &str, name: &str) {
    let tag = Tag::builder().key(STACK_TAG).value(stack).build().unwrap();
    clients
        .iam
        .create_user()
        .user_name(name)
        .tags(tag)
        .send()
        .await
        .unwrap();
}

async fn our_user(clients: &Clients, name: &str) {
    user_of(clients, STACK, name).await;
}

/// Two consecutive codes from the seed, computed independently of the code under test.
fn codes(seed: &str, now: u64) -> CodePair {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(seed).unwrap())
        .build_noncompliant();
    format!("{},{}", totp.generate(now), totp.generate(now + 30))
        .parse()
        .unwrap()
}

fn swapped(codes: &CodePair) -> CodePair {
    CodePair {
        first: codes.second.clone(),
        second: codes.first.clone(),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn assigned(clients: &Clients, user: &str) -> Vec<String> {
    mfa::user_status(clients, &[user.to_owned()])
        .await
        .unwrap()
        .remove(0)
        .devices
}

async fn virtual_devices(clients: &Clients) -> Vec<(String, bool)> {
    let all = clients.iam.list_virtual_mfa_devices().send().await.unwrap();
    all.virtual_mfa_devices()
        .iter()
        .map(|d| (d.serial_number().to_owned(), d.user().is_some()))
        .collect()
}

#[tokio::test]
async fn dev_user_is_enrolled_with_two_codes_then_the_device_is_removed() {
    let emulator = own();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;

    let device = mfa::begin_enroll(&clients, STACK, "dev-user")
        .await
        .unwrap();
    assert_eq!(device.serial, "arn:aws:iam::123456789012:mfa/dev-user");
    assert!(!device.replaced_stray);
    let now = now();
    mfa::finish_enroll(&clients, &device, &codes(device.seed.expose(), now), now)
        .await
        .unwrap();

    assert_eq!(
        assigned(&clients, "dev-user").await,
        vec![device.serial.clone()]
    );
    let again = mfa::begin_enroll(&clients, STACK, "dev-user")
        .await
        .unwrap_err();
    assert!(matches!(again, MfaError::AlreadyEnrolled { .. }), "{again}");

    assert_eq!(
        mfa::remove(&clients, STACK, "dev-user").await.unwrap(),
        mfa::Removed::Device(device.serial)
    );
    assert!(assigned(&clients, "dev-user").await.is_empty());
    assert!(virtual_devices(&clients).await.is_empty());
    assert_eq!(
        mfa::remove(&clients, STACK, "dev-user").await.unwrap(),
        mfa::Removed::Nothing
    );
}

/// Wrong codes are refused before AWS is called, and the device keeps waiting for codes of
/// the same seed; a new enrolment after an interrupted one replaces its device.
#[tokio::test]
async fn a_wrong_code_leaves_the_device_waiting_and_a_rerun_replaces_the_stray_device() {
    let emulator = own();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;

    let device = mfa::begin_enroll(&clients, STACK, "dev-user")
        .await
        .unwrap();
    let now = now();
    let right = codes(device.seed.expose(), now);
    let err = mfa::finish_enroll(&clients, &device, &swapped(&right), now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, MfaError::Totp(TotpError::CodesDoNotMatch(..))),
        "{err}"
    );
    // Nothing was enabled: the emulator would have accepted any digits.
    assert!(assigned(&clients, "dev-user").await.is_empty());
    // The same device still waits for codes of the same seed.
    let pending = mfa::pending_device(&clients, STACK, "dev-user", device.seed.clone())
        .await
        .unwrap();
    assert_eq!(pending.serial, device.serial);

    // An enrolment given up at this point is replaced by the next one, with a new seed.
    let rerun = mfa::begin_enroll(&clients, STACK, "dev-user")
        .await
        .unwrap();
    assert!(rerun.replaced_stray);
    assert_ne!(rerun.seed, device.seed);
    mfa::finish_enroll(&clients, &rerun, &codes(rerun.seed.expose(), now), now)
        .await
        .unwrap();
    assert_eq!(
        virtual_devices(&clients).await,
        vec![(rerun.serial.clone(), true)]
    );
    let err = mfa::pending_device(&clients, STACK, "dev-user", rerun.seed)
        .await
        .unwrap_err();
    assert!(matches!(err, MfaError::AlreadyEnrolled { .. }), "{err}");
}

#[tokio::test]
async fn without_a_device_created_first_nothing_waits_for_codes() {
    let emulator = own();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;
    let seed = mfa::Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let err = mfa::pending_device(&clients, STACK, "dev-user", seed)
        .await
        .unwrap_err();
    assert!(matches!(err, MfaError::NoPendingDevice { .. }), "{err}");
}

#[tokio::test]
async fn an_unknown_user_is_an_error_everywhere() {
    let emulator = own();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;
    let users = ["dev-user".to_owned(), "nosuch".to_owned()];
    let err = mfa::user_status(&clients, &users).await.unwrap_err();
    assert!(
        matches!(&err, MfaError::NoSuchUser(user) if user == "nosuch"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "there is no IAM user `nosuch` in this account\n  help: check the name; the stack's users exist once setup has run"
    );
    let err = mfa::begin_enroll(&clients, STACK, "nosuch")
        .await
        .unwrap_err();
    assert!(matches!(err, MfaError::NoSuchUser(_)), "{err}");
    let err = mfa::remove(&clients, STACK, "nosuch").await.unwrap_err();
    assert!(matches!(err, MfaError::NoSuchUser(_)), "{err}");
    assert!(virtual_devices(&clients).await.is_empty());
}

#[tokio::test]
async fn devices_and_users_that_are_not_ours_are_never_touched() {
    let emulator = own();
    let clients = clients(&emulator).await;
    clients
        .iam
        .create_user()
        .user_name("someone")
        .send()
        .await
        .unwrap();
    user_of(&clients, "another-stack", "theirs").await;
    for user in ["someone", "theirs"] {
        let err = mfa::begin_enroll(&clients, STACK, user).await.unwrap_err();
        assert!(matches!(err, MfaError::UserNotOurs { .. }), "{err}");
        let err = mfa::remove(&clients, STACK, user).await.unwrap_err();
        assert!(matches!(err, MfaError::UserNotOurs { .. }), "{err}");
    }
    assert!(virtual_devices(&clients).await.is_empty());

    // A device named like our user, made by someone else.
    our_user(&clients, "dev-user").await;
    clients
        .iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("dev-user")
        .send()
        .await
        .unwrap();
    let err = mfa::begin_enroll(&clients, STACK, "dev-user")
        .await
        .unwrap_err();
    assert!(matches!(err, MfaError::DeviceNotOurs(_)), "{err}");
    assert_eq!(
        virtual_devices(&clients).await.len(),
        1,
        "the foreign device is still there"
    );
    let tags = clients
        .iam
        .list_user_tags()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags().iter().all(|t| t.key() != MFA_DEVICE_TAG),
        "our mark was taken back"
    );
    assert_eq!(
        mfa::remove(&clients, STACK, "dev-user").await.unwrap(),
        mfa::Removed::Nothing
    );
    assert_eq!(virtual_devices(&clients).await.len(), 1);
}

#[tokio::test]
async fn root_status_reads_the_account_summary() {
    let emulator = own();
    let clients = clients(&emulator).await;
    let root = mfa::root_status(&clients).await.unwrap();
    // moto always reports AccountMFAEnabled = 0 and AccountAccessKeysPresent = 0; on AWS they
    // reflect the root user. The test checks the call and its decoding, not the account.
    assert!(!root.mfa_enabled);
    assert!(!root.access_keys_present);
}
