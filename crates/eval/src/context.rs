//! The request: who asks to do what to which resource, and the request context.

use std::fmt;

/// The value of a context key: one string or a list of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A single-valued key, such as `aws:SourceIp`.
    One(String),
    /// A multivalued key, such as `aws:TagKeys`; the list may be empty.
    Many(Vec<String>),
}

impl Value {
    /// The values as a slice (one element for [`Value::One`]).
    pub fn as_slice(&self) -> &[String] {
        match self {
            Value::One(v) => std::slice::from_ref(v),
            Value::Many(v) => v,
        }
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::One(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::One(v)
    }
}

impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Self {
        Value::Many(v)
    }
}

impl From<&[&str]> for Value {
    fn from(v: &[&str]) -> Self {
        Value::Many(v.iter().map(|s| (*s).to_owned()).collect())
    }
}

/// The request context: condition keys and their values. Key names are case-insensitive, as
/// in IAM (`aws:CurrentTime` is `AWS:currenttime`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// (lowercased key, original key, value), in insertion order; a later insert replaces.
    entries: Vec<(String, String, Value)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` to `value`, replacing any value the key (in any case) had.
    pub fn insert(&mut self, key: &str, value: impl Into<Value>) {
        let lower = key.to_ascii_lowercase();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _, _)| *k == lower) {
            Some(entry) => *entry = (lower, key.to_owned(), value),
            None => self.entries.push((lower, key.to_owned(), value)),
        }
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Context {
        self.insert(key, value);
        self
    }

    /// The value of `key`, in any case.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, _, v)| v)
    }

    /// The value of `key` given already lowercased (the engine's fast path).
    pub(crate) fn get_lower(&self, lower: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == lower)
            .map(|(_, _, v)| v)
    }

    /// The keys and values, keys as given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(_, k, v)| (k.as_str(), v))
    }

    /// Whether the context holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: AsRef<str>, V: Into<Value>> FromIterator<(K, V)> for Context {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut ctx = Context::new();
        for (k, v) in iter {
            ctx.insert(k.as_ref(), v);
        }
        ctx
    }
}

/// One request to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Who asks: an IAM user, role session, federated user or root ARN, an AWS service
    /// principal (`lambda.amazonaws.com`), a federated identity provider, or `*` (anonymous).
    pub principal: String,
    /// The action, such as `s3:GetObject` (case-insensitive).
    pub action: String,
    /// The resource ARN, or `*` for actions that take no resource. A `*` or `?` here is a
    /// literal character, not a wildcard.
    pub resource: String,
    /// The request context.
    pub context: Context,
}

impl Request {
    /// A request with an empty context.
    pub fn new(principal: &str, action: &str, resource: &str) -> Request {
        Request {
            principal: principal.to_owned(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: Context::new(),
        }
    }

    /// Builder form: adds a context key.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Request {
        self.context.insert(key, value);
        self
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} calls {} on {}",
            self.principal, self.action, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_from_pairs_and_requests_in_words() {
        assert!(Context::new().is_empty());
        let ctx: Context = [
            ("aws:SourceIp", "10.0.0.1"),
            ("AWS:sourceip", "10.0.0.2"),
            ("k", "v"),
        ]
        .into_iter()
        .collect();
        assert!(!ctx.is_empty());
        assert_eq!(
            ctx.iter().collect::<Vec<_>>(),
            [
                ("AWS:sourceip", &Value::from("10.0.0.2")),
                ("k", &Value::from("v"))
            ]
        );
        let request = Request::new("arn:aws:iam::111122223333:user/a", "s3:GetObject", "*");
        assert_eq!(
            request.to_string(),
            "arn:aws:iam::111122223333:user/a calls s3:GetObject on *"
        );
    }

    #[test]
    fn keys_are_case_insensitive_and_replace() {
        let mut ctx = Context::new().with("aws:SourceIp", "10.0.0.1");
        assert_eq!(ctx.get("AWS:SOURCEIP"), Some(&Value::from("10.0.0.1")));
        ctx.insert("aws:sourceip", "10.0.0.2");
        assert_eq!(ctx.iter().count(), 1);
        assert_eq!(
            ctx.get_lower("aws:sourceip").map(Value::as_slice),
            Some(&["10.0.0.2".to_owned()][..])
        );
    }
}
