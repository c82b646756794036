//! Virtual MFA devices for IAM users: enrol from the terminal, report, remove.
//!
//! The article's first step is MFA: scan a QR code with an authenticator app, type two
//! consecutive codes. [`begin_enroll`] creates the device and returns its seed (kept in a
//! [`Seed`] that never prints itself); the caller shows [`otpauth_uri`] as a QR code
//! ([`qr_text`], [`qr_png`]) and asks for two codes; [`finish_enroll`] checks them locally
//! against the seed (RFC 6238: 30 s steps, 6 digits, HMAC-SHA1) before `iam:EnableMFADevice`.
//!
//! Ownership: a device is ours when the user it is named after is ours and carries the tag
//! [`DEVICE_TAG`] naming it. The user is tagged *before* the device is created, so a run killed
//! in between leaves a device that a rerun recognises, deletes (its seed is lost) and creates
//! again. A device with the same name that we did not create is never touched.

use std::fmt;

use aws_sdk_iam::types::{SummaryKeyType, Tag};
use totp_rs::{Algorithm, Builder, Secret};

use crate::clients::Clients;

/// The user tag that records the virtual MFA device iamkit created for that user.
pub const DEVICE_TAG: &str = "iamkit:mfa-device";

/// The tag that marks a user as created by iamkit.
pub const OWNER_TAG: &str = "iamkit:stack";

const STEP_SECONDS: u64 = 30;
/// How many steps back the first code may be: time to read and type two codes.
const STEPS_BACK: u64 = 10;

/// A TOTP seed, as the base32 text IAM returns. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed(String);

impl Seed {
    /// A seed from its base32 text.
    pub fn from_base32(text: &str) -> Seed {
        Seed(text.trim().to_owned())
    }

    /// The base32 text. Callers print it only when the user asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, MfaError> {
        Secret::try_from_base32(&self.0)
            .map(|secret| secret.as_bytes().to_vec())
            .map_err(|_| MfaError::BadSeed)
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

/// A device created by [`begin_enroll`], not yet enabled.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// The user it is for.
    pub user: String,
    /// The account the user is in.
    pub account: String,
    /// The device's serial number (its ARN).
    pub serial: String,
    /// The TOTP seed.
    pub seed: Seed,
    /// Whether an unassigned device of ours, left by an interrupted run, was deleted first.
    pub replaced_stray: bool,
}

/// What can go wrong with MFA devices.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// A code is not six digits.
    #[error("the {which} code `{text}` is not six digits")]
    CodeShape {
        /// "first" or "second".
        which: &'static str,
        /// What was typed.
        text: String,
    },
    /// The codes are well formed but are not two consecutive codes of this seed.
    #[error(
        "the codes `{0}` and `{1}` are not two consecutive codes of this device; check the clock of the device that shows them, then enter two new codes"
    )]
    CodesDoNotMatch(String, String),
    /// IAM returned a seed that is not base32.
    #[error("the seed returned by IAM is not valid base32")]
    BadSeed,
    /// The user is not one iamkit created.
    #[error("user `{0}` was not created by iamkit (no `iamkit:stack` tag); refusing to change it")]
    UserNotOurs(String),
    /// A device with the user's name exists and is not ours.
    #[error("a virtual MFA device `{0}` exists that iamkit did not create; refusing to touch it")]
    DeviceNotOurs(String),
    /// The user already has an MFA device.
    #[error("user `{user}` already has MFA device `{serial}`")]
    AlreadyEnrolled {
        /// The user.
        user: String,
        /// The assigned device.
        serial: String,
    },
    /// An AWS call failed.
    #[error("{action} failed: {message}")]
    Aws {
        /// The IAM or STS action.
        action: &'static str,
        /// The error, rendered with its context.
        message: String,
    },
}

fn aws<E: std::error::Error>(action: &'static str) -> impl FnOnce(E) -> MfaError {
    move |err| MfaError::Aws {
        action,
        message: aws_sdk_iam::error::DisplayErrorContext(err).to_string(),
    }
}

/// The `otpauth://` URI authenticator apps read from the QR code, as AWS writes it.
pub fn otpauth_uri(account: &str, user: &str, seed: &Seed) -> String {
    let issuer = "Amazon%20Web%20Services";
    format!(
        "otpauth://totp/{issuer}:{user}@{account}?secret={}&issuer={issuer}",
        seed.expose()
    )
}

/// `uri` as a QR code drawn with Unicode half blocks, for a terminal.
pub fn qr_text(uri: &str) -> Result<String, MfaError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|_| MfaError::BadSeed)?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// `uri` as a QR code in a PNG image (8 pixels a module, with a quiet zone).
pub fn qr_png(uri: &str) -> Result<Vec<u8>, MfaError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|_| MfaError::BadSeed)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                let row = y * side;
                pixels
                    .get_mut(row + mx * SCALE..row + (mx + 1) * SCALE)
                    .into_iter()
                    .for_each(|run| run.fill(0));
            }
        }
    }
    let mut png_bytes = Vec::new();
    let side = u32::try_from(side).map_err(|_| MfaError::BadSeed)?;
    let mut encoder = png::Encoder::new(&mut png_bytes, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels));
    written.map_err(|_| MfaError::BadSeed)?;
    Ok(png_bytes)
}

/// The 6-digit code of `seed` for Unix time `time`.
pub fn code_at(seed: &Seed, time: u64) -> Result<String, MfaError> {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::new(seed.bytes()?.into_boxed_slice()))
        .build_noncompliant();
    Ok(totp.generate(time).to_string())
}

fn check_shape(which: &'static str, code: &str) -> Result<(), MfaError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(MfaError::CodeShape {
            which,
            text: code.to_owned(),
        })
    }
}

/// Checks that `first` and `second` are the codes of two consecutive 30-second steps of
/// `seed`, the first at most five minutes old at Unix time `now`.
pub fn check_codes(seed: &Seed, first: &str, second: &str, now: u64) -> Result<(), MfaError> {
    check_shape("first", first)?;
    check_shape("second", second)?;
    let current = now / STEP_SECONDS;
    for step in current.saturating_sub(STEPS_BACK)..=current {
        if code_at(seed, step * STEP_SECONDS)? == first
            && code_at(seed, (step + 1) * STEP_SECONDS)? == second
        {
            return Ok(());
        }
    }
    Err(MfaError::CodesDoNotMatch(
        first.to_owned(),
        second.to_owned(),
    ))
}

async fn user_tags(clients: &Clients, user: &str) -> Result<Vec<Tag>, MfaError> {
    let out = clients
        .iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:ListUserTags"))?;
    Ok(out.tags().to_vec())
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == key).map(Tag::value)
}

async fn assigned_devices(clients: &Clients, user: &str) -> Result<Vec<String>, MfaError> {
    let out = clients
        .iam
        .list_mfa_devices()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:ListMFADevices"))?;
    Ok(out
        .mfa_devices()
        .iter()
        .map(|d| d.serial_number().to_owned())
        .collect())
}

fn tag(key: &str, value: &str) -> Result<Tag, MfaError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(aws("building a tag"))
}

/// Creates a virtual MFA device named after `user` (a user iamkit created), or reports that
/// the user already has one. A stray unassigned device of ours, left by an interrupted
/// enrolment, is deleted and created again: its seed cannot be read back.
pub async fn begin_enroll(clients: &Clients, user: &str) -> Result<NewDevice, MfaError> {
    let tags = user_tags(clients, user).await?;
    if tag_value(&tags, OWNER_TAG).is_none() {
        return Err(MfaError::UserNotOurs(user.to_owned()));
    }
    if let Some(serial) = assigned_devices(clients, user).await?.into_iter().next() {
        return Err(MfaError::AlreadyEnrolled {
            user: user.to_owned(),
            serial,
        });
    }
    let me = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(aws("sts:GetCallerIdentity"))?;
    let account = me.account().unwrap_or_default().to_owned();

    let marked_before = tag_value(&tags, DEVICE_TAG) == Some(user);
    if !marked_before {
        // Mark the intent first: a run killed after the device exists still knows it is ours.
        clients
            .iam
            .tag_user()
            .user_name(user)
            .tags(tag(DEVICE_TAG, user)?)
            .send()
            .await
            .map_err(aws("iam:TagUser"))?;
    }
    let mut replaced_stray = false;
    let created = match create_device(clients, user).await {
        Ok(created) => created,
        Err(CreateError::Exists(serial)) if marked_before => {
            clients
                .iam
                .delete_virtual_mfa_device()
                .serial_number(&serial)
                .send()
                .await
                .map_err(aws("iam:DeleteVirtualMFADevice"))?;
            replaced_stray = true;
            create_device(clients, user)
                .await
                .map_err(CreateError::into_mfa)?
        }
        Err(CreateError::Exists(serial)) => {
            // Not ours: put the user's tags back as they were.
            clients
                .iam
                .untag_user()
                .user_name(user)
                .tag_keys(DEVICE_TAG)
                .send()
                .await
                .map_err(aws("iam:UntagUser"))?;
            return Err(MfaError::DeviceNotOurs(serial));
        }
        Err(other) => return Err(other.into_mfa()),
    };
    Ok(NewDevice {
        user: user.to_owned(),
        account,
        serial: created.0,
        seed: created.1,
        replaced_stray,
    })
}

enum CreateError {
    Exists(String),
    Other(MfaError),
}

impl CreateError {
    fn into_mfa(self) -> MfaError {
        match self {
            CreateError::Exists(serial) => MfaError::DeviceNotOurs(serial),
            CreateError::Other(err) => err,
        }
    }
}

async fn create_device(clients: &Clients, user: &str) -> Result<(String, Seed), CreateError> {
    let owner = tag(OWNER_TAG, "iamkit").map_err(CreateError::Other)?;
    let result = clients
        .iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(user)
        .tags(owner)
        .send()
        .await;
    match result {
        Ok(out) => {
            let device = out.virtual_mfa_device();
            let serial = device
                .map(|d| d.serial_number().to_owned())
                .unwrap_or_default();
            let seed = device
                .and_then(|d| d.base32_string_seed())
                .map(|blob| String::from_utf8_lossy(blob.as_ref()).into_owned())
                .ok_or(CreateError::Other(MfaError::BadSeed))?;
            Ok((serial, Seed::from_base32(&seed)))
        }
        Err(err) => {
            let service = err.into_service_error();
            if service.is_entity_already_exists_exception() {
                let account_serial = existing_serial(clients, user)
                    .await
                    .map_err(CreateError::Other)?;
                Err(CreateError::Exists(account_serial))
            } else {
                Err(CreateError::Other(aws("iam:CreateVirtualMFADevice")(
                    service,
                )))
            }
        }
    }
}

async fn existing_serial(clients: &Clients, user: &str) -> Result<String, MfaError> {
    let suffix = format!(":mfa/{user}");
    let mut pages = clients
        .iam
        .list_virtual_mfa_devices()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("iam:ListVirtualMFADevices"))?;
        if let Some(device) = page
            .virtual_mfa_devices()
            .iter()
            .find(|d| d.serial_number().ends_with(&suffix))
        {
            return Ok(device.serial_number().to_owned());
        }
    }
    Ok(format!("mfa/{user}"))
}

/// Checks the two codes locally against the seed (at Unix time `now`), then enables the
/// device for its user.
pub async fn finish_enroll(
    clients: &Clients,
    device: &NewDevice,
    first: &str,
    second: &str,
    now: u64,
) -> Result<(), MfaError> {
    check_codes(&device.seed, first, second, now)?;
    clients
        .iam
        .enable_mfa_device()
        .user_name(&device.user)
        .serial_number(&device.serial)
        .authentication_code1(first)
        .authentication_code2(second)
        .send()
        .await
        .map_err(aws("iam:EnableMFADevice"))?;
    Ok(())
}

/// What [`remove`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// The device was deactivated (if assigned) and deleted.
    Device(String),
    /// iamkit had created no device for this user.
    Nothing,
}

/// Deactivates and deletes the device iamkit created for `user`. Idempotent; refuses users
/// that are not ours and never touches a device we did not create.
pub async fn remove(clients: &Clients, user: &str) -> Result<Removed, MfaError> {
    let tags = user_tags(clients, user).await?;
    if tag_value(&tags, OWNER_TAG).is_none() {
        return Err(MfaError::UserNotOurs(user.to_owned()));
    }
    let Some(device_name) = tag_value(&tags, DEVICE_TAG).map(str::to_owned) else {
        return Ok(Removed::Nothing);
    };
    let suffix = format!(":mfa/{device_name}");
    let mut removed = None;
    for serial in assigned_devices(clients, user).await? {
        if serial.ends_with(&suffix) {
            clients
                .iam
                .deactivate_mfa_device()
                .user_name(user)
                .serial_number(&serial)
                .send()
                .await
                .map_err(aws("iam:DeactivateMFADevice"))?;
            removed = Some(serial);
        }
    }
    let serial = match removed {
        Some(serial) => serial,
        None => existing_serial(clients, &device_name).await?,
    };
    match clients
        .iam
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
    {
        Ok(_) => {}
        Err(err) => {
            let service = err.into_service_error();
            if !service.is_no_such_entity_exception() {
                return Err(aws("iam:DeleteVirtualMFADevice")(service));
            }
        }
    }
    clients
        .iam
        .untag_user()
        .user_name(user)
        .tag_keys(DEVICE_TAG)
        .send()
        .await
        .map_err(aws("iam:UntagUser"))?;
    Ok(Removed::Device(serial))
}

/// MFA state of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMfa {
    /// The user.
    pub user: String,
    /// Serial numbers of the MFA devices assigned to it.
    pub devices: Vec<String>,
}

/// The account's root-user controls, from `iam:GetAccountSummary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootStatus {
    /// `AccountMFAEnabled`: the root user has an MFA device.
    pub mfa_enabled: bool,
    /// `AccountAccessKeysPresent`: the root user has access keys.
    pub access_keys_present: bool,
}

/// The MFA devices of each of `users` (a missing user has none).
pub async fn user_status(clients: &Clients, users: &[String]) -> Result<Vec<UserMfa>, MfaError> {
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        let devices = match clients.iam.list_mfa_devices().user_name(user).send().await {
            Ok(page) => page
                .mfa_devices()
                .iter()
                .map(|d| d.serial_number().to_owned())
                .collect(),
            Err(err) => {
                let service = err.into_service_error();
                if service.is_no_such_entity_exception() {
                    Vec::new()
                } else {
                    return Err(aws("iam:ListMFADevices")(service));
                }
            }
        };
        out.push(UserMfa {
            user: user.clone(),
            devices,
        });
    }
    Ok(out)
}

/// Root MFA and root access keys, from `iam:GetAccountSummary`.
pub async fn root_status(clients: &Clients) -> Result<RootStatus, MfaError> {
    let summary = clients
        .iam
        .get_account_summary()
        .send()
        .await
        .map_err(aws("iam:GetAccountSummary"))?;
    let map = summary.summary_map();
    let flag = |key: SummaryKeyType| map.and_then(|m| m.get(&key)).copied().unwrap_or(0) > 0;
    Ok(RootStatus {
        mfa_enabled: flag(SummaryKeyType::AccountMfaEnabled),
        access_keys_present: flag(SummaryKeyType::AccountAccessKeysPresent),
    })
}

/// What to do in the console to enable MFA for the root user (AWS allows it nowhere else).
pub const ROOT_MFA_STEPS: &str = "\
sign in to the AWS console as the root user (email address and password), then:
  1. open the account menu (top right) > Security credentials
  2. under Multi-factor authentication (MFA), choose Assign MFA device
  3. name it, choose Authenticator app, scan the QR code with the app
  4. type two consecutive codes from the app, then Add MFA
  5. under Access keys, delete any root access keys (the article found some 700+ days old)";

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's seed for SHA-1: the ASCII string "12345678901234567890".
    fn rfc_seed() -> Seed {
        Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    }

    fn check(time: u64, expected_8_digits: &str) {
        // RFC 6238 publishes 8-digit codes; a 6-digit code is their last six digits.
        let expected = &expected_8_digits[2..];
        assert_eq!(code_at(&rfc_seed(), time).unwrap(), expected, "T = {time}");
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        check(59, "94287082");
        check(1_111_111_109, "07081804");
        check(1_111_111_111, "14050471");
        check(1_234_567_890, "89005924");
        check(2_000_000_000, "69279037");
        check(20_000_000_000, "65353130");
    }

    #[test]
    fn two_consecutive_codes_are_accepted_within_five_minutes() {
        let seed = rfc_seed();
        let now = 1_234_567_890;
        let first = code_at(&seed, now - 60).unwrap();
        let second = code_at(&seed, now - 30).unwrap();
        check_codes(&seed, &first, &second, now).unwrap();
        // The second code may be the one about to appear.
        let first = code_at(&seed, now).unwrap();
        let second = code_at(&seed, now + 30).unwrap();
        check_codes(&seed, &first, &second, now).unwrap();
    }

    #[test]
    fn wrong_swapped_stale_or_malformed_codes_are_refused() {
        let seed = rfc_seed();
        let now = 1_234_567_890;
        let a = code_at(&seed, now).unwrap();
        let b = code_at(&seed, now + 30).unwrap();
        assert!(matches!(
            check_codes(&seed, &b, &a, now),
            Err(MfaError::CodesDoNotMatch(..))
        ));
        let old_a = code_at(&seed, now - 3600).unwrap();
        let old_b = code_at(&seed, now - 3570).unwrap();
        assert!(matches!(
            check_codes(&seed, &old_a, &old_b, now),
            Err(MfaError::CodesDoNotMatch(..))
        ));
        let err = check_codes(&seed, "12345", &b, now).unwrap_err();
        assert_eq!(err.to_string(), "the first code `12345` is not six digits");
        assert!(matches!(
            check_codes(&seed, &a, "12a456", now),
            Err(MfaError::CodeShape {
                which: "second",
                ..
            })
        ));
    }

    #[test]
    fn the_seed_never_shows_in_debug_output() {
        let device = NewDevice {
            user: "dev-user".into(),
            account: "123456789012".into(),
            serial: "arn:aws:iam::123456789012:mfa/dev-user".into(),
            seed: rfc_seed(),
            replaced_stray: false,
        };
        let shown = format!("{device:?}");
        assert!(!shown.contains(rfc_seed().expose()), "{shown}");
    }

    #[test]
    fn the_qr_code_renders_as_text_and_as_a_png() {
        let uri = otpauth_uri("123456789012", "dev-user", &rfc_seed());
        assert!(
            uri.starts_with("otpauth://totp/Amazon%20Web%20Services:dev-user@123456789012?secret=")
        );
        let text = qr_text(&uri).unwrap();
        assert!(text.lines().count() > 20 && text.contains('█'));
        let png = qr_png(&uri).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
