//! The user's temporary access key: created for the live checks, marked on the user as
//! verify's (the tag's key is the access key id, as the console stores a key's description),
//! and deleted at the end; one an interrupted run left is found by its mark and deleted first.

use aws_credential_types::Credentials;
use iamkit_provision::Clients;

use super::{check, sdk};
use crate::report::{Report, Status};

/// The value of the user tag that marks an access key as verify's own: the tag's key is the
/// access key id, as the AWS console stores an access key's description.
pub const KEY_MARK: &str = "iamkit verify: temporary, deleted when verify ends";

/// A key verify made: its id, and the credentials it signs with (the secret is never shown).
pub(super) struct TemporaryKey {
    pub(super) id: String,
    pub(super) credentials: Credentials,
}

/// Creates and marks the key; `None` (with a failed check) when there is none to use.
pub(super) async fn create(
    clients: &Clients,
    user: &str,
    report: &mut Report,
) -> Option<TemporaryKey> {
    if let Err(e) = delete_stray_keys(clients, user).await {
        report.push(check("user-key", Status::Fail, e));
        return None;
    }
    let key = match clients.iam.create_access_key().user_name(user).send().await {
        Ok(out) => out.access_key,
        Err(e) => {
            let why = format!(
                "cannot create a temporary access key for {user}: {}",
                sdk(e)
            );
            report.push(check("user-key", Status::Fail, why));
            return None;
        }
    };
    let Some(key) = key else {
        report.push(check(
            "user-key",
            Status::Fail,
            "CreateAccessKey returned no key",
        ));
        return None;
    };
    let id = key.access_key_id().to_owned();
    report.push(match mark(clients, user, &id).await {
        Ok(()) => check(
            "user-key",
            Status::Pass,
            format!("temporary access key {id} created for {user} (tagged as verify's)"),
        ),
        Err(e) => check(
            "user-key",
            Status::Warn,
            format!("temporary access key {id} created, but not tagged: {e}"),
        ),
    });
    let credentials = Credentials::new(
        &id,
        key.secret_access_key(),
        None,
        None,
        "iamkit-verify-temporary-key",
    );
    Some(TemporaryKey { id, credentials })
}

async fn mark(clients: &Clients, user: &str, id: &str) -> Result<(), String> {
    let tag = aws_sdk_iam::types::Tag::builder()
        .key(id)
        .value(KEY_MARK)
        .build()
        .map_err(|e| e.to_string())?;
    clients
        .iam
        .tag_user()
        .user_name(user)
        .tags(tag)
        .send()
        .await
        .map(|_| ())
        .map_err(sdk)
}

/// Deletes the key and its mark, whatever happened with it.
pub(super) async fn delete(clients: &Clients, user: &str, id: &str, report: &mut Report) {
    let deleted = clients
        .iam
        .delete_access_key()
        .user_name(user)
        .access_key_id(id)
        .send()
        .await;
    let _ = clients
        .iam
        .untag_user()
        .user_name(user)
        .tag_keys(id)
        .send()
        .await;
    report.push(match deleted {
        Ok(_) => check(
            "user-key-deleted",
            Status::Pass,
            format!("temporary access key {id} deleted"),
        ),
        Err(e) => check(
            "user-key-deleted",
            Status::Fail,
            format!("temporary access key {id} NOT deleted: {}", sdk(e)),
        )
        .help(format!(
            "aws iam delete-access-key --user-name {user} --access-key-id {id}"
        )),
    });
}

/// Deletes access keys a verify run left behind (interrupted before its cleanup).
async fn delete_stray_keys(clients: &Clients, user: &str) -> Result<(), String> {
    let tags = clients
        .iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .map_err(|e| format!("cannot read {user}'s tags: {}", sdk(e)))?;
    let keys = clients
        .iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| format!("cannot list {user}'s access keys: {}", sdk(e)))?;
    for tag in tags.tags().iter().filter(|t| t.value() == KEY_MARK) {
        let id = tag.key();
        if keys
            .access_key_metadata()
            .iter()
            .any(|k| k.access_key_id() == Some(id))
        {
            clients
                .iam
                .delete_access_key()
                .user_name(user)
                .access_key_id(id)
                .send()
                .await
                .map_err(|e| format!("cannot delete the stray key {id}: {}", sdk(e)))?;
        }
        clients
            .iam
            .untag_user()
            .user_name(user)
            .tag_keys(id)
            .send()
            .await
            .map_err(|e| format!("cannot untag {user}: {}", sdk(e)))?;
    }
    Ok(())
}
