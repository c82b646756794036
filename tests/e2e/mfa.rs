//! Virtual MFA enrolment on the emulator. The emulator accepts any six digits in
//! EnableMFADevice (AWS checks them), so the codes are also checked locally before the call:
//! the unit tests check that check against RFC 6238's vectors.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_iam::types::Tag;
use iamkit_e2e::{clients, own};
use iamkit_provision::{Clients, mfa};
use totp_rs::{Algorithm, Builder, Secret};

async fn our_user(clients: &Clients, name: &str) {
    let tag = Tag::builder()
        .key(mfa::OWNER_TAG)
        .value("iamkit")
        .build()
        .unwrap();
    clients
        .iam
        .create_user()
        .user_name(name)
        .tags(tag)
        .send()
        .await
        .unwrap();
}

/// Two consecutive codes from the seed, computed independently of the code under test.
fn codes(seed: &str, now: u64) -> (String, String) {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(seed).unwrap())
        .build_noncompliant();
    (
        totp.generate(now).to_string(),
        totp.generate(now + 30).to_string(),
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn dev_user_is_enrolled_with_two_codes_then_the_device_is_removed() {
    let emulator = own();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;

    let device = mfa::begin_enroll(&clients, "dev-user").await.unwrap();
    assert_eq!(device.serial, "arn:aws:iam::123456789012:mfa/dev-user");
    assert!(!device.replaced_stray);
    let now = now();
    let (first, second) = codes(device.seed.expose(), now);
    mfa::finish_enroll(&clients, &device, &first, &second, now)
        .await
        .unwrap();

    let status = mfa::user_status(&clients, &["dev-user".to_owned()])
        .await
        .unwrap();
    assert_eq!(status[0].devices, vec![device.serial.clone()]);
    let again = mfa::begin_enroll(&clients, "dev-user").await.unwrap_err();
    assert!(
        matches!(again, mfa::MfaError::AlreadyEnrolled { .. }),
        "{again}"
    );

    assert_eq!(
        mfa::remove(&clients, "dev-user").await.unwrap(),
        mfa::Removed::Device(device.serial)
    );
    let status = mfa::user_status(&clients, &["dev-user".to_owned()])
        .await
        .unwrap();
    assert!(status[0].devices.is_empty());
    let left = clients.iam.list_virtual_mfa_devices().send().await.unwrap();
    assert!(left.virtual_mfa_devices().is_empty(), "{left:?}");
    assert_eq!(
        mfa::remove(&clients, "dev-user").await.unwrap(),
        mfa::Removed::Nothing
    );
}

#[tokio::test]
async fn a_wrong_code_is_refused_before_aws_is_called_and_a_rerun_replaces_the_stray_device() {
    let emulator = own();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;

    let device = mfa::begin_enroll(&clients, "dev-user").await.unwrap();
    let now = now();
    let (first, second) = codes(device.seed.expose(), now);
    let err = mfa::finish_enroll(&clients, &device, &second, &first, now)
        .await
        .unwrap_err();
    assert!(matches!(err, mfa::MfaError::CodesDoNotMatch(..)), "{err}");
    // Nothing was enabled: the emulator would have accepted any digits.
    let status = mfa::user_status(&clients, &["dev-user".to_owned()])
        .await
        .unwrap();
    assert!(status[0].devices.is_empty());

    // The interrupted enrolment left an unassigned device; a rerun replaces it.
    let rerun = mfa::begin_enroll(&clients, "dev-user").await.unwrap();
    assert!(rerun.replaced_stray);
    assert_ne!(rerun.seed, device.seed);
    let (first, second) = codes(rerun.seed.expose(), now);
    mfa::finish_enroll(&clients, &rerun, &first, &second, now)
        .await
        .unwrap();
    let all = clients.iam.list_virtual_mfa_devices().send().await.unwrap();
    assert_eq!(all.virtual_mfa_devices().len(), 1);
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
    let err = mfa::begin_enroll(&clients, "someone").await.unwrap_err();
    assert!(matches!(err, mfa::MfaError::UserNotOurs(_)), "{err}");
    let err = mfa::remove(&clients, "someone").await.unwrap_err();
    assert!(matches!(err, mfa::MfaError::UserNotOurs(_)), "{err}");

    // A device named like our user, made by someone else.
    our_user(&clients, "dev-user").await;
    clients
        .iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("dev-user")
        .send()
        .await
        .unwrap();
    let err = mfa::begin_enroll(&clients, "dev-user").await.unwrap_err();
    assert!(matches!(err, mfa::MfaError::DeviceNotOurs(_)), "{err}");
    let devices = clients.iam.list_virtual_mfa_devices().send().await.unwrap();
    assert_eq!(
        devices.virtual_mfa_devices().len(),
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
        tags.tags().iter().all(|t| t.key() != mfa::DEVICE_TAG),
        "our mark was taken back"
    );
    assert_eq!(
        mfa::remove(&clients, "dev-user").await.unwrap(),
        mfa::Removed::Nothing
    );
    let devices = clients.iam.list_virtual_mfa_devices().send().await.unwrap();
    assert_eq!(devices.virtual_mfa_devices().len(), 1);
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
