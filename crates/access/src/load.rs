//! Loaders from text: what `aws iam get-account-authorization-details --output json` prints,
//! and what `aws lambda list-functions --output json` prints.
//!
//! The CLI prints policy documents decoded, as JSON objects; the API (and tools that keep its
//! answer) gives them URL-encoded, as strings. Both are accepted: a string is percent-decoded
//! (not form-decoded: a `+` stays a `+`) and then read as JSON. Every problem in the file is
//! collected, each with the JSON pointer of the value it is about and, from the text, its line
//! and column.

use std::fmt;

use iamkit_arn::{AccountId, Arn, Partition};
use iamkit_policy::SourceMap;
use serde_json::{Map, Value};

use crate::model::{
    Account, Function, Group, InlinePolicy, ManagedPolicy, ModelError, PolicyVersion, Role, User,
    document,
};

/// One problem in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// JSON pointer of the offending value, such as `/RoleDetailList/0/AssumeRolePolicyDocument`.
    pub pointer: String,
    /// Line from 1; 0 when unknown.
    pub line: usize,
    /// Column in characters from 1; 0 when unknown.
    pub column: usize,
    /// What is wrong: lowercase, user input in backticks.
    pub message: String,
    /// Advice.
    pub help: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.line, self.column)?;
        }
        if !self.pointer.is_empty() {
            write!(f, "{}: ", self.pointer)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a file; never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct LoadErrors {
    /// The problems, in the order found.
    pub errors: Vec<LoadError>,
}

impl LoadErrors {
    /// Renders every problem for a person, naming `file`:
    ///
    /// ```text
    /// error: details.json:12:9: `RoleName` must be a string, found number
    ///   at: /RoleDetailList/0/RoleName
    ///   help: ...
    /// ```
    pub fn render(&self, file: &str) -> String {
        let mut out = String::new();
        for e in &self.errors {
            iamkit_policy::render_error(
                &mut out,
                file,
                (e.line, e.column),
                &e.pointer,
                &e.message,
                e.help.as_deref(),
            );
        }
        out
    }
}

const DETAILS_HELP: &str =
    "the file should be what `aws iam get-account-authorization-details --output json` prints";
const FUNCTIONS_HELP: &str =
    "the file should be what `aws lambda list-functions --output json` prints";

/// Collects problems while walking a document.
struct Walker {
    problems: Vec<(String, String, Option<String>)>,
    help: &'static str,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn child(pointer: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}

impl Walker {
    fn new(help: &'static str) -> Walker {
        Walker {
            problems: Vec::new(),
            help,
        }
    }

    fn problem(&mut self, pointer: &str, message: String) {
        self.problems
            .push((pointer.to_owned(), message, Some(self.help.to_owned())));
    }

    fn model(&mut self, pointer: &str, error: &ModelError) {
        match error {
            ModelError::Policy { what, errors } => {
                for e in errors {
                    self.problems.push((
                        format!("{pointer}{}", e.pointer),
                        format!("{what}: {}", e.message),
                        e.help.clone(),
                    ));
                }
            }
            other => self.problems.push((
                pointer.to_owned(),
                other.to_string(),
                Some(other.help().to_owned()),
            )),
        }
    }

    /// The object at `pointer`, or a problem.
    fn object<'v>(&mut self, value: &'v Value, pointer: &str) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.problem(
                    pointer,
                    format!("expected an object, found {}", type_name(other)),
                );
                None
            }
        }
    }

    /// The array member `key` of `map` (missing: empty), or a problem.
    fn list<'v>(&mut self, map: &'v Map<String, Value>, pointer: &str, key: &str) -> &'v [Value] {
        match map.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.problem(
                    &child(pointer, key),
                    format!("`{key}` must be an array, found {}", type_name(other)),
                );
                &[]
            }
        }
    }

    /// The string member `key` of `map`; a problem when missing or not a string.
    fn text<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        pointer: &str,
        key: &str,
    ) -> Option<&'v str> {
        match map.get(key) {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                self.problem(
                    &child(pointer, key),
                    format!("`{key}` must be a string, found {}", type_name(other)),
                );
                None
            }
            None => {
                self.problem(pointer, format!("this entry has no `{key}`"));
                None
            }
        }
    }

    /// The optional string member `key` of `map`.
    fn opt_text<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        pointer: &str,
        key: &str,
    ) -> Option<&'v str> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(_) => self.text(map, pointer, key),
        }
    }

    /// A policy document: an object, or a URL-encoded JSON string.
    fn document(&mut self, map: &Map<String, Value>, pointer: &str, key: &str) -> Option<Value> {
        let at = child(pointer, key);
        match map.get(key) {
            Some(Value::Object(_)) => map.get(key).cloned(),
            Some(Value::String(encoded)) => match decode_document(encoded) {
                Ok(value) => Some(value),
                Err(error) => {
                    self.problems.push((
                        at,
                        error.to_string(),
                        Some("a document given as a string must be URL-encoded JSON, as IAM's API returns it".to_owned()),
                    ));
                    None
                }
            },
            Some(other) => {
                self.problem(
                    &at,
                    format!(
                        "`{key}` must be a policy document (an object or a URL-encoded string), found {}",
                        type_name(other)
                    ),
                );
                None
            }
            None => {
                self.problem(pointer, format!("this entry has no `{key}`"));
                None
            }
        }
    }

    /// The ARNs of the `AttachedManagedPolicies` (or another list of `{PolicyArn}`).
    fn attached(&mut self, map: &Map<String, Value>, pointer: &str) -> Vec<Arn> {
        let list_pointer = child(pointer, "AttachedManagedPolicies");
        let mut out = Vec::new();
        for (i, item) in self
            .list(map, pointer, "AttachedManagedPolicies")
            .iter()
            .enumerate()
        {
            let at = child(&list_pointer, &i.to_string());
            let Some(entry) = self.object(item, &at) else {
                continue;
            };
            if let Some(text) = self.text(entry, &at, "PolicyArn") {
                match crate::model::arn(text) {
                    Ok(arn) => out.push(arn),
                    Err(e) => self.model(&child(&at, "PolicyArn"), &e),
                }
            }
        }
        out
    }

    /// Inline policies from a `...PolicyList` of `{PolicyName, PolicyDocument}`.
    fn inline(
        &mut self,
        map: &Map<String, Value>,
        pointer: &str,
        key: &str,
        owner: &str,
    ) -> Vec<InlinePolicy> {
        let list_pointer = child(pointer, key);
        let mut out = Vec::new();
        for (i, item) in self.list(map, pointer, key).iter().enumerate() {
            let at = child(&list_pointer, &i.to_string());
            let Some(entry) = self.object(item, &at) else {
                continue;
            };
            let name = self.text(entry, &at, "PolicyName");
            let doc = self.document(entry, &at, "PolicyDocument");
            if let (Some(name), Some(doc)) = (name, doc) {
                match InlinePolicy::new(owner, name, &doc) {
                    Ok(policy) => out.push(policy),
                    Err(e) => self.model(&child(&at, "PolicyDocument"), &e),
                }
            }
        }
        out
    }

    fn boundary(&mut self, map: &Map<String, Value>, pointer: &str) -> Option<Arn> {
        let at = child(pointer, "PermissionsBoundary");
        let entry = match map.get("PermissionsBoundary") {
            None | Some(Value::Null) => return None,
            Some(value) => self.object(value, &at)?,
        };
        let text = self.text(entry, &at, "PermissionsBoundaryArn")?;
        match crate::model::arn(text) {
            Ok(arn) => Some(arn),
            Err(e) => {
                self.model(&child(&at, "PermissionsBoundaryArn"), &e);
                None
            }
        }
    }

    fn tags(&mut self, map: &Map<String, Value>, pointer: &str) -> Vec<(String, String)> {
        let list_pointer = child(pointer, "Tags");
        let mut out = Vec::new();
        for (i, item) in self.list(map, pointer, "Tags").iter().enumerate() {
            let at = child(&list_pointer, &i.to_string());
            let Some(entry) = self.object(item, &at) else {
                continue;
            };
            if let (Some(k), Some(v)) =
                (self.text(entry, &at, "Key"), self.text(entry, &at, "Value"))
            {
                out.push((k.to_owned(), v.to_owned()));
            }
        }
        out
    }

    /// Strings of a list of strings (`GroupList`).
    fn strings(&mut self, map: &Map<String, Value>, pointer: &str, key: &str) -> Vec<String> {
        let list_pointer = child(pointer, key);
        let mut out = Vec::new();
        for (i, item) in self.list(map, pointer, key).iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                other => self.problem(
                    &child(&list_pointer, &i.to_string()),
                    format!("expected a string, found {}", type_name(other)),
                ),
            }
        }
        out
    }

    /// Turns the problems into errors, locating each pointer in `source`.
    fn finish(self, source: &str) -> Result<(), LoadErrors> {
        if self.problems.is_empty() {
            return Ok(());
        }
        let map = SourceMap::build(source);
        let errors = self
            .problems
            .into_iter()
            .map(|(pointer, message, help)| {
                let position = locate(&map, &pointer);
                LoadError {
                    line: position.map_or(0, |p| p.line),
                    column: position.map_or(0, |p| p.column),
                    pointer,
                    message,
                    help,
                }
            })
            .collect();
        Err(LoadErrors { errors })
    }
}

/// The position of `pointer`, or of its nearest ancestor that the map knows (a pointer inside
/// a URL-encoded document points at the string).
fn locate(map: &SourceMap, pointer: &str) -> Option<iamkit_policy::Position> {
    let mut current = pointer;
    loop {
        if let Some(position) = map.key_or_value(current) {
            return Some(position);
        }
        let cut = current.rfind('/')?;
        current = current.get(..cut)?;
    }
}

/// Why a URL-encoded policy document could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The percent-decoded bytes are not UTF-8.
    #[error("the URL-encoded document is not UTF-8: {0}")]
    NotUtf8(String),
    /// The decoded text is not JSON.
    #[error("the document is not JSON: {0}")]
    NotJson(String),
}

/// Percent-decodes a policy document as IAM's API returns it (`GetAccountAuthorizationDetails`,
/// `GetPolicyVersion`, `GetRole`) and reads it as JSON. A `+` stays a `+`: IAM percent-encodes,
/// it does not form-encode. For adapters that build an [`Account`] from the API's answers.
///
/// ```
/// let doc = iamkit_access::decode_document("%7B%22Version%22%3A%222012-10-17%22%7D")?;
/// assert_eq!(doc["Version"], "2012-10-17");
/// # Ok::<(), iamkit_access::DecodeError>(())
/// ```
pub fn decode_document(encoded: &str) -> Result<Value, DecodeError> {
    let decoded = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|e| DecodeError::NotUtf8(e.to_string()))?;
    serde_json::from_str(&decoded).map_err(|e| DecodeError::NotJson(e.to_string()))
}

/// Reads the whole text as JSON, or gives the syntax error with its position.
fn json(source: &str, help: &str) -> Result<Value, LoadErrors> {
    serde_json::from_str(source).map_err(|e| {
        let full = e.to_string();
        let message = full
            .rfind(" at line ")
            .and_then(|i| full.get(..i))
            .unwrap_or(&full)
            .to_owned();
        LoadErrors {
            errors: vec![LoadError {
                pointer: String::new(),
                line: e.line(),
                column: e.column(),
                message: format!("malformed JSON: {message}"),
                help: Some(help.to_owned()),
            }],
        }
    })
}

/// Reads what `aws iam get-account-authorization-details --output json` prints into an
/// account. The account id and partition come from the first ARN of a user, group, role or
/// customer-managed policy.
///
/// ```
/// let text = r#"{"UserDetailList": [{"UserName": "dev-user", "Path": "/",
///     "Arn": "arn:aws:iam::111122223333:user/dev-user", "GroupList": [],
///     "AttachedManagedPolicies": [], "UserPolicyList": []}],
///   "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
/// let account = iamkit_access::load_details(text)?;
/// assert_eq!(account.id.as_str(), "111122223333");
/// assert_eq!(account.users[0].name, "dev-user");
///
/// let bad = iamkit_access::load_details(r#"{"RoleDetailList": [{"Arn": 7}]}"#).unwrap_err();
/// assert_eq!(bad.errors[0].pointer, "/RoleDetailList/0/Arn");
/// assert_eq!(bad.errors[0].message, "`Arn` must be a string, found a number");
/// assert_eq!(bad.errors[0].line, 1);
/// # Ok::<(), iamkit_access::LoadErrors>(())
/// ```
pub fn load_details(source: &str) -> Result<Account, LoadErrors> {
    let value = json(source, DETAILS_HELP)?;
    let mut w = Walker::new(DETAILS_HELP);
    let Some(root) = w.object(&value, "") else {
        return w.finish(source).and(Err(no_account()));
    };
    let users = read_all(&mut w, root, "UserDetailList", read_user);
    let groups = read_all(&mut w, root, "GroupDetailList", read_group);
    let roles = read_all(&mut w, root, "RoleDetailList", read_role);
    let policies = read_all(&mut w, root, "Policies", read_policy);
    w.finish(source)?;
    let first = users
        .iter()
        .map(|u| &u.arn)
        .chain(groups.iter().map(|g| &g.arn))
        .chain(roles.iter().map(|r| &r.arn))
        .chain(policies.iter().map(|p| &p.arn))
        .find_map(|arn| arn.account_id().map(|id| (arn.partition().clone(), id)));
    let (partition, id): (Partition, AccountId) = first.ok_or_else(no_account)?;
    Ok(Account {
        partition,
        id,
        users,
        groups,
        roles,
        policies,
        functions: Vec::new(),
    })
}

fn no_account() -> LoadErrors {
    LoadErrors {
        errors: vec![LoadError {
            pointer: String::new(),
            line: 0,
            column: 0,
            message: "the file names no user, group, role or customer-managed policy, so it does not say which account it is".to_owned(),
            help: Some(DETAILS_HELP.to_owned()),
        }],
    }
}

fn read_all<T>(
    w: &mut Walker,
    root: &Map<String, Value>,
    key: &str,
    read: fn(&mut Walker, &Map<String, Value>, &str) -> Option<T>,
) -> Vec<T> {
    let list_pointer = child("", key);
    let mut out = Vec::new();
    for (i, item) in w.list(root, "", key).iter().enumerate() {
        let at = child(&list_pointer, &i.to_string());
        if let Some(entry) = w.object(item, &at) {
            out.extend(read(w, entry, &at));
        }
    }
    out
}

fn read_user(w: &mut Walker, map: &Map<String, Value>, at: &str) -> Option<User> {
    let arn = w.text(map, at, "Arn")?;
    let mut user = match User::new(arn) {
        Ok(user) => user,
        Err(e) => {
            w.model(&child(at, "Arn"), &e);
            return None;
        }
    };
    user.id = w.opt_text(map, at, "UserId").map(str::to_owned);
    user.groups = w.strings(map, at, "GroupList");
    user.attached = w.attached(map, at);
    user.inline = w.inline(map, at, "UserPolicyList", &format!("user {}", user.name));
    user.boundary = w.boundary(map, at);
    user.tags = w.tags(map, at);
    Some(user)
}

fn read_group(w: &mut Walker, map: &Map<String, Value>, at: &str) -> Option<Group> {
    let arn = w.text(map, at, "Arn")?;
    let mut group = match Group::new(arn) {
        Ok(group) => group,
        Err(e) => {
            w.model(&child(at, "Arn"), &e);
            return None;
        }
    };
    group.attached = w.attached(map, at);
    group.inline = w.inline(map, at, "GroupPolicyList", &format!("group {}", group.name));
    Some(group)
}

fn read_role(w: &mut Walker, map: &Map<String, Value>, at: &str) -> Option<Role> {
    let arn = w.text(map, at, "Arn");
    let trust = w.document(map, at, "AssumeRolePolicyDocument");
    let (arn, trust) = (arn?, trust?);
    let mut role = match Role::new(arn, &trust) {
        Ok(role) => role,
        Err(e @ ModelError::Policy { .. }) => {
            w.model(&child(at, "AssumeRolePolicyDocument"), &e);
            return None;
        }
        Err(e) => {
            w.model(&child(at, "Arn"), &e);
            return None;
        }
    };
    role.id = w.opt_text(map, at, "RoleId").map(str::to_owned);
    role.attached = w.attached(map, at);
    role.inline = w.inline(map, at, "RolePolicyList", &format!("role {}", role.name));
    role.boundary = w.boundary(map, at);
    role.tags = w.tags(map, at);
    let profiles_pointer = child(at, "InstanceProfileList");
    for (i, item) in w.list(map, at, "InstanceProfileList").iter().enumerate() {
        let p = child(&profiles_pointer, &i.to_string());
        if let Some(entry) = w.object(item, &p)
            && let Some(name) = w.text(entry, &p, "InstanceProfileName")
        {
            role.instance_profiles.push(name.to_owned());
        }
    }
    Some(role)
}

fn read_policy(w: &mut Walker, map: &Map<String, Value>, at: &str) -> Option<ManagedPolicy> {
    let arn = w.text(map, at, "Arn")?;
    let mut policy = match ManagedPolicy::empty(arn) {
        Ok(policy) => policy,
        Err(e) => {
            w.model(&child(at, "Arn"), &e);
            return None;
        }
    };
    let default_id = w.opt_text(map, at, "DefaultVersionId").map(str::to_owned);
    let versions_pointer = child(at, "PolicyVersionList");
    for (i, item) in w.list(map, at, "PolicyVersionList").iter().enumerate() {
        let v = child(&versions_pointer, &i.to_string());
        let Some(entry) = w.object(item, &v) else {
            continue;
        };
        let id = w.text(entry, &v, "VersionId");
        let doc = w.document(entry, &v, "Document");
        let flagged = matches!(entry.get("IsDefaultVersion"), Some(Value::Bool(true)));
        let (Some(id), Some(doc)) = (id, doc) else {
            continue;
        };
        let what = format!("version {id} of policy {}", policy.name);
        match document(&what, &doc) {
            Ok(document) => policy.versions.push(PolicyVersion {
                id: id.to_owned(),
                default: flagged || default_id.as_deref() == Some(id),
                document,
            }),
            Err(e) => w.model(&child(&v, "Document"), &e),
        }
    }
    Some(policy)
}

/// Reads what `aws lambda list-functions --output json` prints: each function's ARN and role.
///
/// ```
/// let text = r#"{"Functions": [{"FunctionName": "hello",
///     "FunctionArn": "arn:aws:lambda:ap-northeast-1:111122223333:function:hello",
///     "Role": "arn:aws:iam::111122223333:role/exec-lambda"}]}"#;
/// let functions = iamkit_access::load_functions(text)?;
/// assert_eq!(functions[0].name, "hello");
/// # Ok::<(), iamkit_access::LoadErrors>(())
/// ```
pub fn load_functions(source: &str) -> Result<Vec<Function>, LoadErrors> {
    let value = json(source, FUNCTIONS_HELP)?;
    let mut w = Walker::new(FUNCTIONS_HELP);
    let mut out = Vec::new();
    if let Some(root) = w.object(&value, "") {
        for (i, item) in w.list(root, "", "Functions").iter().enumerate() {
            let at = format!("/Functions/{i}");
            let Some(entry) = w.object(item, &at) else {
                continue;
            };
            let arn = w.text(entry, &at, "FunctionArn");
            let role = w.text(entry, &at, "Role");
            if let (Some(arn), Some(role)) = (arn, role) {
                match Function::new(arn, role) {
                    Ok(f) => out.push(f),
                    Err(e) => w.model(&at, &e),
                }
            }
        }
    }
    w.finish(source)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_documents_are_percent_decoded_not_form_decoded() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aa+b%2F*%22%7D%5D%7D";
        let value = decode_document(encoded).unwrap();
        assert_eq!(
            value["Statement"][0]["Resource"],
            Value::from("arn:aws:s3:::a+b/*")
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = "{\n  \"RoleDetailList\": [\n    {\"RoleName\": \"x\", \"Arn\": 5, \"AssumeRolePolicyDocument\": {}},\n    {\"Arn\": \"arn:aws:iam::111122223333:role/y\", \"AssumeRolePolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {\"AWS\": 7}}}}\n  ]\n}";
        let errors = load_details(text).unwrap_err().errors;
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert!(pointers.contains(&"/RoleDetailList/0/Arn"), "{pointers:?}");
        assert!(
            pointers
                .iter()
                .any(|p| p.starts_with("/RoleDetailList/1/AssumeRolePolicyDocument/Statement")),
            "{pointers:?}"
        );
        let first = errors
            .iter()
            .find(|e| e.pointer == "/RoleDetailList/0/Arn")
            .unwrap();
        assert_eq!((first.line, first.column), (3, 23));
        assert_eq!(first.message, "`Arn` must be a string, found a number");
    }

    #[test]
    fn malformed_json_gives_its_line() {
        let errors = load_details("{\n  \"UserDetailList\": [,]\n}")
            .unwrap_err()
            .errors;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.starts_with("malformed JSON"));
    }

    #[test]
    fn a_file_with_no_principal_names_no_account() {
        let errors = load_details("{}").unwrap_err();
        assert!(errors.to_string().contains("does not say which account"));
    }
}
