//! The article's S3 hello-world Lambda: writes `Hello, World!` to `bucketName`/`objectName`.
//!
//! ```
//! let event: iamkit_hello_lambda::Event =
//!     serde_json::from_str(r#"{"bucketName": "b", "objectName": "hello.txt"}"#).unwrap();
//! assert_eq!(event.object_name, "hello.txt");
//! ```

/// The invocation event, with the article's field names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The bucket to write to.
    pub bucket_name: String,
    /// The key of the object to write.
    pub object_name: String,
}

#[cfg(test)]
mod tests {
    use super::Event;

    #[test]
    fn the_article_event_parses() {
        let event: Event =
            serde_json::from_str(r#"{"bucketName": "b", "objectName": "k"}"#).unwrap();
        assert_eq!(event.bucket_name, "b");
    }
}
