#![doc = include_str!("../README.md")]

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

#[cfg(feature = "package")]
pub mod package;

/// What the function writes: the article's greeting, byte for byte.
pub const GREETING: &str = "Hello, World!";

/// The longest object key S3 accepts, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// The invocation event, with the article's field names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The bucket to write to.
    pub bucket_name: String,
    /// The key of the object to write.
    pub object_name: String,
}

impl Event {
    /// Reads an event from the JSON the Runtime API delivers. A missing field or a value of
    /// the wrong type is an [`ErrorKind::InvalidEvent`] error, with serde's description.
    pub fn from_value(value: serde_json::Value) -> Result<Event, HandlerError> {
        serde_json::from_value(value).map_err(|err| {
            HandlerError::new(
                ErrorKind::InvalidEvent,
                format!(
                    "the event must be {{\"bucketName\": \"...\", \"objectName\": \"...\"}}: {err}"
                ),
            )
        })
    }

    /// Checks the event before anything is sent: a bucket name that no S3 bucket can have
    /// (the legacy rules are the loosest: 3 to 255 of `A-Z a-z 0-9 . - _`), and an empty key
    /// or one longer than [`MAX_KEY_BYTES`], are [`ErrorKind::InvalidEvent`].
    pub fn validate(&self) -> Result<(), HandlerError> {
        let invalid = |message: String| Err(HandlerError::new(ErrorKind::InvalidEvent, message));
        let bucket = self.bucket_name.as_str();
        if bucket.is_empty() {
            return invalid("`bucketName` is empty".to_owned());
        }
        if !(3..=255).contains(&bucket.len()) {
            return invalid(format!(
                "bucket name `{bucket}` has {} characters; S3 bucket names have 3 to 63 (255 for old buckets)",
                bucket.chars().count()
            ));
        }
        if let Some(bad) = bucket
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return invalid(format!(
                "bucket name `{bucket}` contains `{bad}`; S3 bucket names use only letters, digits, `.`, `-` and `_`"
            ));
        }
        let key = self.object_name.as_str();
        if key.is_empty() {
            return invalid("`objectName` is empty".to_owned());
        }
        if key.len() > MAX_KEY_BYTES {
            return invalid(format!(
                "object name is {} bytes long; S3 keys are at most {MAX_KEY_BYTES} bytes of UTF-8",
                key.len()
            ));
        }
        Ok(())
    }
}

/// What the function returns: where it wrote, and the object's ETag.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The bucket written to.
    pub bucket_name: String,
    /// The key written.
    pub object_name: String,
    /// The ETag S3 returned for the new object (quoted, as S3 sends it), if it sent one.
    pub e_tag: Option<String>,
}

/// The stable error categories; [`ErrorKind::error_type`] is what callers of `lambda:Invoke`
/// see as `errorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The event is malformed; nothing was sent to S3.
    InvalidEvent,
    /// S3 refused the write (`AccessDenied`): the execution role may not put this object.
    AccessDenied,
    /// The bucket does not exist (`NoSuchBucket`).
    NoSuchBucket,
    /// S3 kept throttling after the SDK's retries (`SlowDown` and the like).
    Throttling,
    /// Any other error S3 answered with; the message names S3's code.
    S3Error,
    /// S3 could not be reached or did not answer in time.
    S3Unreachable,
}

impl ErrorKind {
    /// The `errorType` string: stable, one word, never a Rust type name.
    pub fn error_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidEvent => "InvalidEvent",
            ErrorKind::AccessDenied => "AccessDenied",
            ErrorKind::NoSuchBucket => "NoSuchBucket",
            ErrorKind::Throttling => "Throttling",
            ErrorKind::S3Error => "S3Error",
            ErrorKind::S3Unreachable => "S3Unreachable",
        }
    }

    /// The kind for an S3 error code.
    fn from_code(code: &str) -> ErrorKind {
        match code {
            "AccessDenied" => ErrorKind::AccessDenied,
            "NoSuchBucket" => ErrorKind::NoSuchBucket,
            "SlowDown"
            | "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "RequestThrottled" => ErrorKind::Throttling,
            _ => ErrorKind::S3Error,
        }
    }
}

/// Why an invocation failed: a stable [`ErrorKind`] and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    /// The category, which gives `errorType`.
    pub kind: ErrorKind,
    /// The message (`errorMessage`): S3's own message when S3 answered.
    pub message: String,
}

impl HandlerError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> HandlerError {
        HandlerError {
            kind,
            message: message.into(),
        }
    }

    fn from_put<E, R>(err: &SdkError<E, R>, event: &Event) -> HandlerError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let place = format!("s3://{}/{}", event.bucket_name, event.object_name);
        match err {
            SdkError::ServiceError(_) => {
                let code = err.code().unwrap_or("Unknown");
                let kind = ErrorKind::from_code(code);
                let message = err.message().unwrap_or("no message");
                let message = if kind == ErrorKind::S3Error {
                    format!("{code}: {message} (PutObject `{place}`)")
                } else {
                    format!("{message} (PutObject `{place}`)")
                };
                HandlerError::new(kind, message)
            }
            other => HandlerError::new(
                ErrorKind::S3Unreachable,
                format!(
                    "PutObject `{place}` got no answer from S3: {}",
                    aws_smithy_types::error::display::DisplayErrorContext(other)
                ),
            ),
        }
    }
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(err: HandlerError) -> lambda_runtime::Diagnostic {
        lambda_runtime::Diagnostic {
            error_type: err.kind.error_type().to_owned(),
            error_message: err.message,
        }
    }
}

/// Writes [`GREETING`] to the event's bucket and key. The event is validated first
/// ([`Event::validate`]); an S3 error is returned, never swallowed.
pub async fn handler(s3: &aws_sdk_s3::Client, event: Event) -> Result<Response, HandlerError> {
    event.validate()?;
    let output = s3
        .put_object()
        .bucket(&event.bucket_name)
        .key(&event.object_name)
        .content_type("text/plain; charset=utf-8")
        .body(ByteStream::from_static(GREETING.as_bytes()))
        .send()
        .await
        .map_err(|err| HandlerError::from_put(&err, &event))?;
    Ok(Response {
        e_tag: output.e_tag().map(str::to_owned),
        bucket_name: event.bucket_name,
        object_name: event.object_name,
    })
}

/// [`handler`] for raw JSON, as the Runtime API delivers it.
pub async fn handle_json(
    s3: &aws_sdk_s3::Client,
    event: serde_json::Value,
) -> Result<Response, HandlerError> {
    handler(s3, Event::from_value(event)?).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::Client;
    use aws_sdk_s3::operation::put_object::PutObjectOutput;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use serde_json::json;

    fn s3_error(code: &str, message: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>R1</RequestId><HostId>H1</HostId></Error>"
        )
    }

    fn event() -> Event {
        Event {
            bucket_name: "iamkit-hello".into(),
            object_name: "hello.txt".into(),
        }
    }

    fn client(rules: &[&Rule]) -> Client {
        mock_client!(aws_sdk_s3, RuleMode::Sequential, rules)
    }

    fn check_invalid(value: serde_json::Value, expected: &str) {
        let err = Event::from_value(value.clone())
            .and_then(|event| event.validate())
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidEvent, "{value}");
        assert!(err.message.contains(expected), "{value}: {}", err.message);
    }

    #[tokio::test]
    async fn writes_the_greeting_and_returns_the_etag() {
        let put = mock!(Client::put_object)
            .match_requests(|req| {
                req.bucket() == Some("iamkit-hello")
                    && req.key() == Some("hello.txt")
                    && req.body().bytes() == Some(GREETING.as_bytes())
            })
            .then_output(|| PutObjectOutput::builder().e_tag("\"abc\"").build());
        let response = handler(&client(&[&put]), event()).await.unwrap();
        assert_eq!(
            response,
            Response {
                bucket_name: "iamkit-hello".into(),
                object_name: "hello.txt".into(),
                e_tag: Some("\"abc\"".into()),
            }
        );
        assert_eq!(put.num_calls(), 1);
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({"bucketName": "iamkit-hello", "objectName": "hello.txt", "eTag": "\"abc\""})
        );
    }

    #[tokio::test]
    async fn access_denied_keeps_s3_s_message() {
        let put = mock!(Client::put_object)
            .sequence()
            .http_status(403, Some(s3_error("AccessDenied", "Access Denied")))
            .build();
        let err = handler(&client(&[&put]), event()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::AccessDenied);
        assert_eq!(
            err.message,
            "Access Denied (PutObject `s3://iamkit-hello/hello.txt`)"
        );
        let diagnostic = lambda_runtime::Diagnostic::from(err);
        assert_eq!(diagnostic.error_type, "AccessDenied");
    }

    #[tokio::test]
    async fn a_missing_bucket_is_no_such_bucket() {
        let put = mock!(Client::put_object)
            .sequence()
            .http_status(
                404,
                Some(s3_error(
                    "NoSuchBucket",
                    "The specified bucket does not exist",
                )),
            )
            .build();
        let err = handler(&client(&[&put]), event()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::NoSuchBucket);
        assert!(
            err.message
                .starts_with("The specified bucket does not exist"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn throttling_is_retried_by_the_sdk_and_then_succeeds() {
        let put = mock!(Client::put_object)
            .sequence()
            .http_status(
                503,
                Some(s3_error("SlowDown", "Please reduce your request rate.")),
            )
            .output(|| PutObjectOutput::builder().e_tag("\"def\"").build())
            .build();
        let response = handler(&client(&[&put]), event()).await.unwrap();
        assert_eq!(response.e_tag.as_deref(), Some("\"def\""));
        assert_eq!(put.num_calls(), 2);
    }

    #[tokio::test]
    async fn throttling_that_outlasts_the_retries_is_throttling() {
        let put = mock!(Client::put_object)
            .sequence()
            .http_status(
                503,
                Some(s3_error("SlowDown", "Please reduce your request rate.")),
            )
            .repeatedly()
            .build();
        let err = handler(&client(&[&put]), event()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Throttling);
        assert!(err.message.starts_with("Please reduce your request rate."));
        assert_eq!(
            put.num_calls(),
            3,
            "the SDK's standard retry makes 3 attempts"
        );
    }

    #[tokio::test]
    async fn another_s3_error_names_its_code() {
        let put = mock!(Client::put_object)
            .sequence()
            .http_status(
                400,
                Some(s3_error(
                    "InvalidStorageClass",
                    "The storage class you specified is not valid",
                )),
            )
            .build();
        let err = handler(&client(&[&put]), event()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::S3Error);
        assert!(
            err.message.starts_with("InvalidStorageClass: "),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn an_invalid_event_sends_nothing() {
        let put = mock!(Client::put_object).then_output(|| PutObjectOutput::builder().build());
        let s3 = client(&[&put]);
        let err = handle_json(&s3, json!({"bucketName": "iamkit-hello"}))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidEvent);
        assert!(
            err.message.contains("missing field `objectName`"),
            "{}",
            err.message
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[test]
    fn events_s3_would_reject_are_invalid() {
        check_invalid(json!({"objectName": "k"}), "missing field `bucketName`");
        check_invalid(json!({"bucketName": 3, "objectName": "k"}), "invalid type");
        check_invalid(
            json!({"bucketName": "", "objectName": "k"}),
            "`bucketName` is empty",
        );
        check_invalid(
            json!({"bucketName": "b-1", "objectName": ""}),
            "`objectName` is empty",
        );
        check_invalid(
            json!({"bucketName": "ab", "objectName": "k"}),
            "has 2 characters",
        );
        check_invalid(
            json!({"bucketName": "a/b", "objectName": "k"}),
            "contains `/`",
        );
        check_invalid(
            json!({"bucketName": "my bucket", "objectName": "k"}),
            "contains ` `",
        );
        let long = "é".repeat(513);
        check_invalid(
            json!({"bucketName": "b-1", "objectName": long}),
            "1026 bytes",
        );
    }

    #[test]
    fn events_s3_accepts_are_valid() {
        for (bucket, key) in [
            ("iamkit-hello", "hello.txt"),
            ("a.b-c", "folder/sub folder/ünïcode ✓.txt"),
            ("Legacy_Bucket", "k"),
        ] {
            let event = Event {
                bucket_name: bucket.into(),
                object_name: key.into(),
            };
            assert_eq!(event.validate(), Ok(()), "{bucket} {key}");
        }
        let longest = Event {
            bucket_name: "b-1".into(),
            object_name: "k".repeat(MAX_KEY_BYTES),
        };
        assert_eq!(longest.validate(), Ok(()));
    }

    #[test]
    fn extra_fields_in_the_event_are_ignored() {
        let event = Event::from_value(json!({"bucketName": "b-1", "objectName": "k", "key1": "v"}))
            .unwrap();
        assert_eq!(event.object_name, "k");
    }
}
