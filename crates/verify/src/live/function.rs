//! The function, run as the article runs it (an event naming the bucket and the object), and
//! its object read back as the user.

use iamkit_provision::{Clients, Runner};
use iamkit_stack::Desired;

use super::{check, sdk};
use crate::{
    VerifyOptions,
    report::{Report, Status},
};

/// What the function writes, and what must be read back.
pub const GREETING: &str = "Hello, World!";

/// Reads the object as the user: `None` when it does not exist.
async fn read_object(me: &Clients, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
    match me.s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out
            .body
            .collect()
            .await
            .map(|b| Some(b.into_bytes().to_vec()))
            .map_err(|e| format!("reading the object's body: {e}")),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(sdk(e)),
    }
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        format!("`{short}...` ({} bytes)", bytes.len())
    } else {
        format!("`{short}`")
    }
}

pub(super) async fn run(
    caller: &Clients,
    desired: &Desired,
    me: &Clients,
    options: &VerifyOptions,
    user: &str,
    name: &str,
    report: &mut Report,
) {
    let Some(bucket) = desired.bucket.as_ref().map(|b| b.name.as_str()) else {
        return;
    };
    let object = Object {
        bucket,
        key: &options.object,
        reader: user,
    };
    // The object the last run left: whoever wrote it since was not the function.
    report.push(object.unchanged(me).await);
    let event = serde_json::json!({"bucketName": bucket, "objectName": object.key}).to_string();
    // On AWS the function is invoked as the user (the article's check); locally, the
    // provisioner's credentials read its configuration and assume its role, as Lambda does.
    let signer = match options.runner {
        Runner::Lambda => me,
        Runner::Local { .. } => caller,
    };
    let invoked = iamkit_provision::invoke(signer, name, &event, &options.runner).await;
    let invoke_name = format!("{name}-invoke");
    match invoked {
        Ok(answer) => report.push(check(
            &invoke_name,
            Status::Pass,
            format!("{}: {}", answer.how, answer.body),
        )),
        Err(e) => {
            report.push(check(&invoke_name, Status::Fail, e));
            return;
        }
    }
    report.push(object.written(me, name).await);
}

/// The object the function writes, read as the user.
struct Object<'a> {
    bucket: &'a str,
    key: &'a str,
    reader: &'a str,
}

impl Object<'_> {
    fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// Before the run: absent, or as the function left it.
    async fn unchanged(&self, me: &Clients) -> crate::report::Check {
        let (object, name) = (self.url(), "object-unchanged");
        match read_object(me, self.bucket, self.key).await {
            Ok(None) => check(
                name,
                Status::Skipped,
                format!("{object} does not exist yet: the function writes it below"),
            ),
            Ok(Some(bytes)) if bytes == GREETING.as_bytes() => check(
                name,
                Status::Pass,
                format!("{object} holds `{GREETING}`, as the function left it"),
            ),
            Ok(Some(bytes)) => check(
                name,
                Status::Fail,
                format!(
                    "{object} holds {}, not `{GREETING}`: it was changed outside the function",
                    shown(&bytes)
                ),
            )
            .help("find out who wrote it (CloudTrail data events, S3 server access logs)"),
            Err(e) => check(
                name,
                Status::Fail,
                format!("s3:GetObject {object} as {}: {e}", self.reader),
            ),
        }
    }

    /// After the run: what the function wrote.
    async fn written(&self, me: &Clients, function: &str) -> crate::report::Check {
        let (object, name) = (self.url(), format!("{function}-wrote-object"));
        match read_object(me, self.bucket, self.key).await {
            Ok(Some(bytes)) if bytes == GREETING.as_bytes() => check(
                &name,
                Status::Pass,
                format!("{object} read back as {}: `{GREETING}`", self.reader),
            ),
            Ok(Some(bytes)) => check(
                &name,
                Status::Fail,
                format!("{object} holds {}, not `{GREETING}`", shown(&bytes)),
            ),
            Ok(None) => check(
                &name,
                Status::Fail,
                format!("{object} does not exist after the function answered"),
            ),
            Err(e) => check(
                &name,
                Status::Fail,
                format!("s3:GetObject {object} as {}: {e}", self.reader),
            ),
        }
    }
}
