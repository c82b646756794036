//! Virtual MFA devices for IAM users: enrol from a terminal or a script, report, remove.
//!
//! The article's first step is MFA: scan a QR code with an authenticator app, type two
//! consecutive codes. [`begin_enroll`] creates the device and returns its seed (kept in a
//! [`Seed`] that never prints itself); the caller shows [`otpauth_uri`] as a QR code
//! ([`qr_text`], [`qr_png`]) or keeps the seed, and gets two codes; [`finish_enroll`] checks
//! them locally against the seed (RFC 6238: 30 s steps, 6 digits, HMAC-SHA1) before
//! `iam:EnableMFADevice`. Codes that do not match leave the device waiting, so the caller can
//! ask again with the same seed. A script that keeps the seed (in a file) finishes in another
//! process: [`pending_device`] finds the device that waits for its codes.
//!
//! Ownership: a user is the stack's when it carries the tag [`STACK_TAG`]` = <stack>`; a
//! device is ours when that user carries [`MFA_DEVICE_TAG`] naming it. The user is tagged
//! *before* the device is created, so a run killed in between leaves a device that a rerun
//! recognises, deletes (its seed is lost) and creates again. A device with the same name
//! that we did not create is never touched.

mod totp;

use aws_sdk_iam::{
    error::{ProvideErrorMetadata, SdkError},
    types::{AssignmentStatusType, SummaryKeyType, Tag},
};
use iamkit_arn::Arn;
use iamkit_stack::marks::{MFA_DEVICE_TAG, STACK_TAG};

pub use totp::{
    Code, CodePair, Seed, TotpError, check_codes, code_at, otpauth_uri, qr_png, qr_text,
};

use crate::clients::Clients;

/// A device created by [`begin_enroll`] (or found by [`pending_device`]), not yet enabled.
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
    /// A seed or a code is wrong.
    #[error(transparent)]
    Totp(#[from] TotpError),
    /// The user does not exist.
    #[error(
        "there is no IAM user `{0}` in this account\n  help: check the name; the stack's users exist once setup has run"
    )]
    NoSuchUser(String),
    /// The user is not the stack's.
    #[error(
        "user `{user}` is not a user of stack `{stack}` (it has no tag `{STACK_TAG}={stack}`): its MFA is left alone\n  help: enrol a user that setup created; enrol any other user in the IAM console"
    )]
    UserNotOurs {
        /// The user.
        user: String,
        /// The stack.
        stack: String,
    },
    /// A device with the user's name exists and is not ours.
    #[error(
        "a virtual MFA device `{0}` exists that iamkit did not create: it is left alone\n  help: delete it in the IAM console if nobody uses it, then enrol again"
    )]
    DeviceNotOurs(String),
    /// The user already has an MFA device.
    #[error(
        "user `{user}` already has MFA device `{serial}`\n  help: remove it first to enrol a new one (iamkit removes only a device it created)"
    )]
    AlreadyEnrolled {
        /// The user.
        user: String,
        /// The assigned device.
        serial: String,
    },
    /// No device of ours waits for the user's codes.
    #[error(
        "user `{user}` has no virtual MFA device waiting for its codes\n  help: create the device first: its seed exists only from then on"
    )]
    NoPendingDevice {
        /// The user.
        user: String,
    },
    /// IAM refused codes that match the seed the caller holds.
    #[error(
        "IAM refused the codes for `{serial}`: {message}\n  help: the codes match the seed given, so either the device was created again after that seed was saved, or this machine's clock is off"
    )]
    CodesRefused {
        /// The device.
        serial: String,
        /// IAM's message.
        message: String,
    },
    /// No credentials, or no answer: nothing was changed.
    #[error(transparent)]
    Unanswered(Box<crate::Error>),
    /// The tag could not be built.
    #[error("building a tag: {0}")]
    Tag(#[from] aws_sdk_iam::error::BuildError),
    /// An AWS call failed.
    #[error("{action} failed: {message}")]
    Aws {
        /// The IAM or STS action.
        action: &'static str,
        /// The error, rendered with its context.
        message: String,
    },
}

/// A failed call as one line: missing credentials and an endpoint that does not answer are
/// the provisioner's errors, with their advice; anything else is `Code: message`.
fn aws<E, R>(action: &'static str) -> impl FnOnce(SdkError<E, R>) -> MfaError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    move |err| match crate::Error::aws(action, "", err) {
        crate::Error::Aws { message, .. } => MfaError::Aws { action, message },
        other => MfaError::Unanswered(Box::new(other)),
    }
}

/// The user's tags; an unknown user is [`MfaError::NoSuchUser`].
async fn user_tags(clients: &Clients, user: &str) -> Result<Vec<Tag>, MfaError> {
    match clients.iam.list_user_tags().user_name(user).send().await {
        Ok(out) => Ok(out.tags().to_vec()),
        Err(err) if no_such_entity(&err) => Err(MfaError::NoSuchUser(user.to_owned())),
        Err(err) => Err(aws("iam:ListUserTags")(err)),
    }
}

/// The tags of `user`, a user of `stack`.
async fn our_user(clients: &Clients, stack: &str, user: &str) -> Result<Vec<Tag>, MfaError> {
    let tags = user_tags(clients, user).await?;
    if tag_value(&tags, STACK_TAG) == Some(stack) {
        Ok(tags)
    } else {
        Err(MfaError::UserNotOurs {
            user: user.to_owned(),
            stack: stack.to_owned(),
        })
    }
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == key).map(Tag::value)
}

/// Serial numbers of the MFA devices assigned to `user`.
async fn assigned_devices(clients: &Clients, user: &str) -> Result<Vec<String>, MfaError> {
    match clients.iam.list_mfa_devices().user_name(user).send().await {
        Ok(out) => Ok(out
            .mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_owned())
            .collect()),
        Err(err) if no_such_entity(&err) => Err(MfaError::NoSuchUser(user.to_owned())),
        Err(err) => Err(aws("iam:ListMFADevices")(err)),
    }
}

async fn not_enrolled(clients: &Clients, user: &str) -> Result<(), MfaError> {
    match assigned_devices(clients, user).await?.into_iter().next() {
        Some(serial) => Err(MfaError::AlreadyEnrolled {
            user: user.to_owned(),
            serial,
        }),
        None => Ok(()),
    }
}

/// Takes [`MFA_DEVICE_TAG`] off the user: it no longer names a device of the stack's.
async fn unmark_user(clients: &Clients, user: &str) -> Result<(), MfaError> {
    clients
        .iam
        .untag_user()
        .user_name(user)
        .tag_keys(MFA_DEVICE_TAG)
        .send()
        .await
        .map_err(aws("iam:UntagUser"))?;
    Ok(())
}

fn tag(key: &str, value: &str) -> Result<Tag, MfaError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(MfaError::from)
}

/// Creates a virtual MFA device named after `user` (a user of `stack`), or reports that the
/// user already has one. A stray unassigned device of ours, left by an interrupted
/// enrolment, is deleted and created again: its seed cannot be read back.
pub async fn begin_enroll(
    clients: &Clients,
    stack: &str,
    user: &str,
) -> Result<NewDevice, MfaError> {
    let tags = our_user(clients, stack, user).await?;
    not_enrolled(clients, user).await?;
    let me = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(aws("sts:GetCallerIdentity"))?;
    let account = me.account().unwrap_or_default().to_owned();

    let marked_before = tag_value(&tags, MFA_DEVICE_TAG) == Some(user);
    if !marked_before {
        // Mark the intent first: a run killed after the device exists still knows it is ours.
        clients
            .iam
            .tag_user()
            .user_name(user)
            .tags(tag(MFA_DEVICE_TAG, user)?)
            .send()
            .await
            .map_err(aws("iam:TagUser"))?;
    }
    let (serial, seed, replaced_stray) =
        create_or_replace(clients, stack, user, marked_before).await?;
    Ok(NewDevice {
        user: user.to_owned(),
        account,
        serial,
        seed,
        replaced_stray,
    })
}

/// Creates the device; when one with its name exists, deletes and creates it again if the
/// user was marked before (it is ours), else takes the mark back and refuses.
async fn create_or_replace(
    clients: &Clients,
    stack: &str,
    user: &str,
    marked_before: bool,
) -> Result<(String, Seed, bool), MfaError> {
    match create_device(clients, stack, user).await {
        Ok((serial, seed)) => Ok((serial, seed, false)),
        Err(CreateError::Exists(serial)) if marked_before => {
            clients
                .iam
                .delete_virtual_mfa_device()
                .serial_number(&serial)
                .send()
                .await
                .map_err(aws("iam:DeleteVirtualMFADevice"))?;
            let (serial, seed) = create_device(clients, stack, user)
                .await
                .map_err(CreateError::into_mfa)?;
            Ok((serial, seed, true))
        }
        Err(CreateError::Exists(serial)) => {
            // Not ours: put the user's tags back as they were.
            unmark_user(clients, user).await?;
            Err(MfaError::DeviceNotOurs(serial))
        }
        Err(other) => Err(other.into_mfa()),
    }
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

async fn create_device(
    clients: &Clients,
    stack: &str,
    user: &str,
) -> Result<(String, Seed), CreateError> {
    let owner = tag(STACK_TAG, stack).map_err(CreateError::Other)?;
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
                .ok_or(CreateError::Other(TotpError::BadSeed.into()))?;
            let seed = Seed::from_base32(&seed).map_err(|e| CreateError::Other(e.into()))?;
            Ok((serial, seed))
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_entity_already_exists_exception()) =>
        {
            let serial = find_device(clients, user, None)
                .await
                .map_err(CreateError::Other)?
                .unwrap_or_else(|| format!("mfa/{user}"));
            Err(CreateError::Exists(serial))
        }
        Err(err) => Err(CreateError::Other(aws("iam:CreateVirtualMFADevice")(err))),
    }
}

/// Whether IAM answered NoSuchEntity.
fn no_such_entity<R>(err: &SdkError<impl ProvideErrorMetadata, R>) -> bool {
    err.as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| code == "NoSuchEntity")
}

/// The serial number of the virtual MFA device named `name` (at path `/`), among those with
/// `status` (all when `None`).
async fn find_device(
    clients: &Clients,
    name: &str,
    status: Option<AssignmentStatusType>,
) -> Result<Option<String>, MfaError> {
    let suffix = format!(":mfa/{name}");
    let mut pages = clients
        .iam
        .list_virtual_mfa_devices()
        .set_assignment_status(status)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("iam:ListVirtualMFADevices"))?;
        if let Some(device) = page
            .virtual_mfa_devices()
            .iter()
            .find(|d| d.serial_number().ends_with(&suffix))
        {
            return Ok(Some(device.serial_number().to_owned()));
        }
    }
    Ok(None)
}

/// The device [`begin_enroll`] created for `user` (a user of `stack`) that still waits for
/// its codes, with the `seed` the caller kept from then: how a script that saved the seed
/// finishes the enrolment in another process. The seed cannot be checked against the device
/// (IAM never returns it again); IAM checks the codes in [`finish_enroll`].
pub async fn pending_device(
    clients: &Clients,
    stack: &str,
    user: &str,
    seed: Seed,
) -> Result<NewDevice, MfaError> {
    let tags = our_user(clients, stack, user).await?;
    not_enrolled(clients, user).await?;
    let pending = match tag_value(&tags, MFA_DEVICE_TAG) {
        Some(name) => find_device(clients, name, Some(AssignmentStatusType::Unassigned)).await?,
        None => None,
    };
    let Some(serial) = pending else {
        return Err(MfaError::NoPendingDevice {
            user: user.to_owned(),
        });
    };
    let account = serial
        .parse::<Arn>()
        .map(|arn| arn.account().to_owned())
        .unwrap_or_default();
    Ok(NewDevice {
        user: user.to_owned(),
        account,
        serial,
        seed,
        replaced_stray: false,
    })
}

/// Checks the two codes locally against the seed (at Unix time `now`), then enables the
/// device for its user. When the codes do not match ([`TotpError::CodesDoNotMatch`]) or IAM
/// refuses them ([`MfaError::CodesRefused`]), the device still waits: call again with two
/// new codes.
pub async fn finish_enroll(
    clients: &Clients,
    device: &NewDevice,
    codes: &CodePair,
    now: u64,
) -> Result<(), MfaError> {
    check_codes(&device.seed, &codes.first, &codes.second, now)?;
    let result = clients
        .iam
        .enable_mfa_device()
        .user_name(&device.user)
        .serial_number(&device.serial)
        .authentication_code1(codes.first.as_str())
        .authentication_code2(codes.second.as_str())
        .send()
        .await;
    let Err(err) = result else {
        return Ok(());
    };
    match err.as_service_error() {
        Some(service) if service.is_invalid_authentication_code_exception() => {
            Err(MfaError::CodesRefused {
                serial: device.serial.clone(),
                message: service.meta().message().unwrap_or_default().to_owned(),
            })
        }
        Some(service) if service.is_entity_already_exists_exception() => {
            Err(MfaError::AlreadyEnrolled {
                user: device.user.clone(),
                serial: device.serial.clone(),
            })
        }
        _ => Err(aws("iam:EnableMFADevice")(err)),
    }
}

/// What [`remove`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// The device was deactivated (if assigned) and deleted.
    Device(String),
    /// iamkit had created no device for this user.
    Nothing,
}

/// Deactivates and deletes the device iamkit created for `user` (a user of `stack`).
/// Idempotent; refuses users that are not the stack's and never touches a device we did not
/// create.
pub async fn remove(clients: &Clients, stack: &str, user: &str) -> Result<Removed, MfaError> {
    let tags = our_user(clients, stack, user).await?;
    let Some(device_name) = tag_value(&tags, MFA_DEVICE_TAG).map(str::to_owned) else {
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
        None => find_device(clients, &device_name, None)
            .await?
            .unwrap_or_else(|| format!("mfa/{device_name}")),
    };
    if let Err(err) = clients
        .iam
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        && !no_such_entity(&err)
    {
        return Err(aws("iam:DeleteVirtualMFADevice")(err));
    }
    unmark_user(clients, user).await?;
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

/// The MFA devices assigned to each of `users`; a user that does not exist is
/// [`MfaError::NoSuchUser`].
pub async fn user_status(clients: &Clients, users: &[String]) -> Result<Vec<UserMfa>, MfaError> {
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        out.push(UserMfa {
            user: user.clone(),
            devices: assigned_devices(clients, user).await?,
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

    #[test]
    fn the_seed_never_shows_in_debug_output() {
        let seed = Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let device = NewDevice {
            user: "dev-user".into(),
            account: "123456789012".into(),
            serial: "arn:aws:iam::123456789012:mfa/dev-user".into(),
            seed: seed.clone(),
            replaced_stray: false,
        };
        let shown = format!("{device:?}");
        assert!(!shown.contains(seed.expose()), "{shown}");
    }

    #[test]
    fn errors_name_the_input_in_backticks_and_end_with_help() {
        let errors = [
            MfaError::NoSuchUser("nosuch".into()),
            MfaError::UserNotOurs {
                user: "someone".into(),
                stack: "iamkit".into(),
            },
            MfaError::NoPendingDevice {
                user: "dev-user".into(),
            },
            MfaError::AlreadyEnrolled {
                user: "dev-user".into(),
                serial: "arn:aws:iam::123456789012:mfa/dev-user".into(),
            },
            TotpError::CodeShape("12345".into()).into(),
        ];
        for err in errors {
            let text = err.to_string();
            let (message, help) = text.split_once("\n  help: ").unwrap();
            assert!(message.contains('`'), "{text}");
            assert!(!message.starts_with(char::is_uppercase), "{text}");
            assert!(!message.ends_with('.') && !help.ends_with('.'), "{text}");
        }
    }
}
