//! From JSON text (or a `serde_json::Value`) to a validated [`Policy`], collecting every
//! problem with where it is.

use std::fmt;

use iamkit_arn::{AccountId, Arn, ArnError, ResourcePattern, Template};
use serde_json::{Map, Value};

use crate::{
    Operator, OperatorError,
    domain::{
        ActionError, ActionMatch, ActionPattern, Condition, Policy, Principal, PrincipalMatch,
        ResourceMatch, Statement,
    },
    locate::{Position, SourceMap, push_token},
    wire::{Effect, PolicyDocument, Version},
};

/// One problem in a policy document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// JSON pointer of the offending value (`/Statement/1/Action/0`); `""` is the document.
    pub pointer: String,
    /// Line, from 1; 0 when the document had no source text ([`parse_value`]).
    pub line: usize,
    /// Column in characters, from 1; 0 when the document had no source text.
    pub column: usize,
    /// The offending text: the element's name or the value as JSON.
    pub text: String,
    /// What is wrong.
    pub kind: ErrorKind,
    /// `kind` rendered: lowercase, user input in backticks.
    pub message: String,
    /// Advice, when there is some.
    pub help: Option<String>,
}

impl fmt::Display for ParseError {
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

impl std::error::Error for ParseError {}

/// What is wrong with a policy document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The text is not JSON.
    #[error("malformed JSON: {0}")]
    Syntax(String),
    /// An element IAM does not know, such as `Effects`.
    #[error("unknown element `{name}` in {place}")]
    UnknownElement {
        /// The element's name.
        name: String,
        /// `the policy`, `a statement`, `a principal`.
        place: &'static str,
    },
    /// The same element twice in one object.
    #[error("duplicate element `{0}`")]
    Duplicate(String),
    /// A value of the wrong JSON type.
    #[error("{element} must be {expected}, found {found}")]
    WrongType {
        /// The element, such as `` `Action` `` or ``entry 1 of `Action` ``.
        element: String,
        /// What IAM accepts there.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A required element is missing.
    #[error("{place} has no `{element}`")]
    Missing {
        /// The missing element.
        element: &'static str,
        /// `the policy` or `a statement`.
        place: &'static str,
    },
    /// Two elements that exclude each other, such as `Action` and `NotAction`.
    #[error("a statement cannot have both `{0}` and `{1}`")]
    Both(&'static str, &'static str),
    /// Neither of two elements of which one is required.
    #[error("a statement needs `{0}` or `{1}`")]
    Neither(&'static str, &'static str),
    /// A `Version` other than `2012-10-17` and `2008-10-17`.
    #[error("unknown policy version `{0}`")]
    Version(String),
    /// An `Effect` other than `Allow` and `Deny`.
    #[error("effect `{0}` must be `Allow` or `Deny`")]
    Effect(String),
    /// An action entry that is not `service:name`.
    #[error("invalid action `{text}`: {error}")]
    Action {
        /// The entry.
        text: String,
        /// Why.
        error: ActionError,
    },
    /// A resource entry that is neither `*` nor an ARN (the ARN parser's message names it).
    #[error("{error}")]
    Resource {
        /// The entry.
        text: String,
        /// Why, from the ARN parser.
        error: ArnError,
    },
    /// An `AWS` principal that is neither `*`, an account id nor an ARN.
    #[error("invalid principal `{text}`: {reason}")]
    Principal {
        /// The entry.
        text: String,
        /// Why.
        reason: String,
    },
    /// An unknown condition operator.
    #[error(transparent)]
    Operator(#[from] OperatorError),
    /// A condition key that is empty.
    #[error("empty condition key")]
    EmptyConditionKey,
    /// The checked value could not be read into the wire types: a bug in this crate.
    #[error("the document could not be read: {0}")]
    Internal(String),
}

/// Every problem found in one document, in document order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseErrors {
    /// The problems; never empty.
    pub errors: Vec<ParseError>,
}

impl ParseErrors {
    /// Iterates over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, ParseError> {
        self.errors.iter()
    }

    /// The number of problems.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always false: a `ParseErrors` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Renders every problem for a person, naming `file`:
    ///
    /// ```text
    /// error: policies/x.json:5:13: unknown element `Effects` in a statement
    ///   at: /Statement/0/Effects
    ///   help: did you mean `Effect`?
    /// ```
    pub fn render(&self, file: &str) -> String {
        let mut out = String::new();
        for e in &self.errors {
            render_error(
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

/// Appends one problem as the project prints it: `error: FILE:LINE:COLUMN: MESSAGE`, then
/// `  at: POINTER` and `  help: HELP` when there are some (line 0: no place in the text).
pub fn render_error(
    out: &mut String,
    file: &str,
    (line, column): (usize, usize),
    pointer: &str,
    message: &str,
    help: Option<&str>,
) {
    out.push_str("error: ");
    out.push_str(file);
    if line > 0 {
        out.push_str(&format!(":{line}:{column}"));
    }
    out.push_str(": ");
    out.push_str(message);
    out.push('\n');
    if !pointer.is_empty() {
        out.push_str(&format!("  at: {pointer}\n"));
    }
    if let Some(help) = help {
        out.push_str(&format!("  help: {help}\n"));
    }
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

impl IntoIterator for ParseErrors {
    type Item = ParseError;
    type IntoIter = std::vec::IntoIter<ParseError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a ParseErrors {
    type Item = &'a ParseError;
    type IntoIter = std::slice::Iter<'a, ParseError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

/// Parses and validates a policy document, reporting every problem with its line, column
/// and JSON pointer. Never panics. The `<account-id>` placeholder is accepted wherever an
/// account id may stand.
///
/// ```
/// let errors = iamkit_policy::parse(r#"{"Statement": {"Effects": "Allow", "Action": "s3:*"}}"#)
///     .unwrap_err();
/// let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
/// assert_eq!(
///     messages,
///     ["a statement has no `Effect`", "unknown element `Effects` in a statement"]
/// );
/// ```
pub fn parse(source: &str) -> Result<Policy, ParseErrors> {
    let value: Value = match serde_json::from_str(source) {
        Ok(value) => value,
        Err(error) => return Err(syntax_error(source, &error)),
    };
    let map = SourceMap::build(source);
    check(&value, map)
}

/// [`parse`], after putting `account` in place of every `<account-id>`.
///
/// ```
/// let account = "123456789012".parse().unwrap();
/// let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::<account-id>:role/admin"}}"#;
/// let policy = iamkit_policy::parse_for_account(text, &account).unwrap();
/// let resource = &policy.statements[0].resources.as_ref().unwrap().patterns()[0];
/// assert!(resource.matches("arn:aws:iam::123456789012:role/admin"));
/// ```
pub fn parse_for_account(source: &str, account: &AccountId) -> Result<Policy, ParseErrors> {
    // Both the placeholder and an account id are 12 characters, so positions do not move.
    match Template::parse(source) {
        Ok(template) => parse(&template.fill(account)),
        Err(_) => parse(source),
    }
}

/// Validates a document that is already JSON, such as one read back from AWS. Errors carry
/// pointers but no lines (0).
///
/// ```
/// let value = serde_json::json!({
///     "Version": "2012-10-17",
///     "Statement": [{"Effect": "Allow", "Action": ["lambda:*"], "Resource": "*"}]
/// });
/// let policy = iamkit_policy::parse_value(&value).unwrap();
/// assert!(policy.statements[0].actions.covers("lambda:CreateFunction"));
/// ```
pub fn parse_value(value: &Value) -> Result<Policy, ParseErrors> {
    check(value, SourceMap::default())
}

/// Checks a document already read into `value` from text whose positions `map` holds,
/// reporting every problem as [`parse`] does, without building the [`Policy`]: for callers that
/// keep the value and the map themselves (the linter), so that the text is read once.
pub fn validate(value: &Value, map: &SourceMap) -> Result<(), ParseErrors> {
    let mut checker = Checker::new(map);
    let _ = checker.document(value);
    let mut errors = checker.errors;
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by_key(|e| (e.line, e.column));
    Err(ParseErrors { errors })
}

/// [`parse`]'s error for text that is not JSON.
pub fn syntax_errors(source: &str, error: &serde_json::Error) -> ParseErrors {
    syntax_error(source, error)
}

fn syntax_error(source: &str, error: &serde_json::Error) -> ParseErrors {
    let full = error.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full.get(..i).unwrap_or(&full).to_owned(),
        None => full,
    };
    // serde_json counts columns in bytes; ours count characters.
    let line = error.line();
    let line_start = if line <= 1 {
        0
    } else {
        source
            .match_indices('\n')
            .nth(line - 2)
            .map_or(source.len(), |(i, _)| i + 1)
    };
    let position = Position::of_offset(source, line_start + error.column().saturating_sub(1));
    let column = if error.column() == 0 {
        0
    } else {
        position.column
    };
    let text = source
        .get(position.offset..)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_default()
        .chars()
        .take(20)
        .collect();
    let help = message
        .contains("trailing comma")
        .then(|| "IAM reads strict JSON: remove the comma after the last item".to_owned());
    let kind = ErrorKind::Syntax(message);
    ParseErrors {
        errors: vec![ParseError {
            pointer: String::new(),
            line: line.max(1),
            column: column.max(1),
            text,
            message: kind.to_string(),
            kind,
            help,
        }],
    }
}

const POLICY_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_TYPES: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

fn check(value: &Value, map: SourceMap) -> Result<Policy, ParseErrors> {
    let mut checker = Checker::new(&map);
    let policy = checker.document(value);
    let mut errors = checker.errors;
    if let (true, Some((version, id, statements))) = (errors.is_empty(), policy) {
        match <PolicyDocument as serde::Deserialize>::deserialize(value) {
            Ok(document) => {
                return Ok(Policy {
                    version,
                    id,
                    statements,
                    document,
                    source_map: map,
                });
            }
            Err(error) => {
                let kind = ErrorKind::Internal(error.to_string());
                errors.push(located(String::new(), None, String::new(), kind, None));
            }
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    Err(ParseErrors { errors })
}

fn located(
    pointer: String,
    position: Option<Position>,
    text: String,
    kind: ErrorKind,
    help: Option<String>,
) -> ParseError {
    let (line, column) = position.map_or((0, 0), |p| (p.line, p.column));
    ParseError {
        pointer,
        line,
        column,
        text,
        message: kind.to_string(),
        kind,
        help,
    }
}

/// Where an error points: at the element's name or at its value.
#[derive(Clone, Copy)]
enum At {
    Key,
    Value,
}

struct Checker<'a> {
    map: &'a SourceMap,
    errors: Vec<ParseError>,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn child(pointer: &str, token: &str) -> String {
    let mut p = pointer.to_owned();
    push_token(&mut p, token);
    p
}

/// How a message names the value at `pointer`: `` `Action` ``, or ``entry 1 of `Action` ``
/// for an item of an array.
fn describe(pointer: &str, element: &str) -> String {
    let last = pointer.rsplit('/').next().unwrap_or_default();
    let is_item = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
    match (is_item, element) {
        (_, "the policy") => element.to_owned(),
        (true, "Statement") => format!("statement {last}"),
        (true, _) => format!("entry {last} of `{element}`"),
        (false, _) => format!("`{element}`"),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

type Parts = (Version, Option<String>, Vec<Statement>);

impl<'a> Checker<'a> {
    /// A checker over the text whose positions `map` holds, which has already reported
    /// every element that stands twice in one object.
    fn new(map: &'a SourceMap) -> Self {
        let errors = map
            .duplicates()
            .iter()
            .map(|(pointer, position)| {
                let name = pointer.rsplit('/').next().unwrap_or_default().to_owned();
                located(
                    pointer.clone(),
                    Some(*position),
                    name.clone(),
                    ErrorKind::Duplicate(name),
                    Some("IAM keeps only one of them; remove the other".to_owned()),
                )
            })
            .collect();
        Checker { map, errors }
    }

    fn report(
        &mut self,
        pointer: &str,
        at: At,
        text: String,
        kind: ErrorKind,
        help: Option<String>,
    ) {
        let mut position = None;
        let mut p = pointer;
        loop {
            if let Some(entry) = self.map.get(p) {
                position = Some(match at {
                    At::Key if p == pointer => entry.key.unwrap_or(entry.value),
                    _ => entry.value,
                });
                break;
            }
            match p.rfind('/') {
                Some(i) => p = p.get(..i).unwrap_or_default(),
                None => break,
            }
        }
        self.errors
            .push(located(pointer.to_owned(), position, text, kind, help));
    }

    fn wrong_type(&mut self, pointer: &str, element: &str, expected: &'static str, found: &Value) {
        let kind = ErrorKind::WrongType {
            element: describe(pointer, element),
            expected,
            found: type_name(found),
        };
        self.report(pointer, At::Value, value_text(found), kind, None);
    }

    fn unknown_elements(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
        known: &[&str],
        place: &'static str,
    ) {
        for name in object.keys() {
            if known.contains(&name.as_str()) {
                continue;
            }
            let help = match closest(name, known) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("{place} may contain only {}", known.join(", ")),
            };
            let kind = ErrorKind::UnknownElement {
                name: name.clone(),
                place,
            };
            self.report(
                &child(pointer, name),
                At::Key,
                name.clone(),
                kind,
                Some(help),
            );
        }
    }

    fn document(&mut self, value: &Value) -> Option<Parts> {
        let Value::Object(object) = value else {
            self.wrong_type("", "the policy", "an object", value);
            return None;
        };
        self.unknown_elements(object, "", POLICY_ELEMENTS, "the policy");
        let version = self.version(object);
        let id = match object.get("Id") {
            None => Some(None),
            Some(Value::String(id)) => Some(Some(id.clone())),
            Some(other) => {
                self.wrong_type("/Id", "Id", "a string", other);
                None
            }
        };
        // A bad Version is reported once; check the statements as the current version.
        let checked = version.unwrap_or(Version::V2012_10_17);
        let statements = self.statements(object, checked);
        Some((version?, id?, statements?))
    }

    /// The policy's `Version`: `2008-10-17` when it has none.
    fn version(&mut self, object: &Map<String, Value>) -> Option<Version> {
        match object.get("Version") {
            None => Some(Version::V2008_10_17),
            Some(Value::String(text)) => {
                let version = Version::from_text(text);
                if version.is_none() {
                    let help = Some("use \"2012-10-17\", the current version".to_owned());
                    let kind = ErrorKind::Version(text.clone());
                    self.report("/Version", At::Value, text.clone(), kind, help);
                }
                version
            }
            Some(other) => {
                self.wrong_type("/Version", "Version", "a string", other);
                None
            }
        }
    }

    /// The policy's `Statement`: one object or an array of them, every one checked.
    fn statements(
        &mut self,
        object: &Map<String, Value>,
        version: Version,
    ) -> Option<Vec<Statement>> {
        match object.get("Statement") {
            None => {
                let kind = ErrorKind::Missing {
                    element: "Statement",
                    place: "the policy",
                };
                self.report("", At::Value, String::new(), kind, None);
                None
            }
            Some(Value::Object(statement)) => self
                .statement(statement, "/Statement".to_owned(), 0, version)
                .map(|s| vec![s]),
            Some(Value::Array(items)) => {
                let mut statements = Some(Vec::with_capacity(items.len()));
                for (index, item) in items.iter().enumerate() {
                    let pointer = format!("/Statement/{index}");
                    let statement = match item {
                        Value::Object(statement) => {
                            self.statement(statement, pointer, index, version)
                        }
                        other => {
                            self.wrong_type(&pointer, "Statement", "an object", other);
                            None
                        }
                    };
                    match (statement, statements.as_mut()) {
                        (Some(s), Some(all)) => all.push(s),
                        _ => statements = None,
                    }
                }
                statements
            }
            Some(other) => {
                self.wrong_type(
                    "/Statement",
                    "Statement",
                    "an object or an array of objects",
                    other,
                );
                None
            }
        }
    }

    fn statement(
        &mut self,
        object: &Map<String, Value>,
        pointer: String,
        index: usize,
        version: Version,
    ) -> Option<Statement> {
        let before = self.errors.len();
        self.unknown_elements(object, &pointer, STATEMENT_ELEMENTS, "a statement");
        let sid = self.sid(object, &pointer);
        let effect = self.effect(object, &pointer);
        let principals = self.principal_match(object, &pointer);
        let actions = self.action_match(object, &pointer);
        let resources = self.resource_match(object, &pointer, version);
        let conditions = match object.get("Condition") {
            None => Some(Vec::new()),
            Some(value) => self.conditions(value, &child(&pointer, "Condition")),
        };
        if self.errors.len() != before {
            return None;
        }
        Some(Statement {
            sid,
            index,
            effect: effect?,
            principals: principals?,
            actions: actions?,
            resources: resources?,
            conditions: conditions?,
            pointer,
        })
    }

    /// The statement's `Sid`, if it is a string.
    fn sid(&mut self, object: &Map<String, Value>, pointer: &str) -> Option<String> {
        match object.get("Sid") {
            Some(Value::String(sid)) => Some(sid.clone()),
            Some(other) => {
                self.wrong_type(&child(pointer, "Sid"), "Sid", "a string", other);
                None
            }
            None => None,
        }
    }

    /// The statement's `Effect`: required, and `Allow` or `Deny`.
    fn effect(&mut self, object: &Map<String, Value>, pointer: &str) -> Option<Effect> {
        let text = match object.get("Effect") {
            None => {
                let kind = ErrorKind::Missing {
                    element: "Effect",
                    place: "a statement",
                };
                let help = Some("add \"Effect\": \"Allow\" or \"Effect\": \"Deny\"".to_owned());
                self.report(pointer, At::Value, String::new(), kind, help);
                return None;
            }
            Some(Value::String(text)) => text,
            Some(other) => {
                self.wrong_type(&child(pointer, "Effect"), "Effect", "a string", other);
                return None;
            }
        };
        match text.as_str() {
            "Allow" => Some(Effect::Allow),
            "Deny" => Some(Effect::Deny),
            _ => {
                let help = closest(text, &["Allow", "Deny"])
                    .map(|close| format!("did you mean `{close}`?"));
                let kind = ErrorKind::Effect(text.clone());
                let at = child(pointer, "Effect");
                self.report(&at, At::Value, text.clone(), kind, help);
                None
            }
        }
    }

    /// `Principal` or `NotPrincipal`, either optional. `None` after an error.
    fn principal_match(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Option<Option<PrincipalMatch>> {
        let Some((name, value)) = self.pair(object, pointer, "Principal", "NotPrincipal", false)?
        else {
            return Some(None);
        };
        let list = self.principals(value, &child(pointer, name), name)?;
        Some(Some(if name == "Principal" {
            PrincipalMatch::Principal(list)
        } else {
            PrincipalMatch::NotPrincipal(list)
        }))
    }

    /// `Action` or `NotAction`, exactly one, every entry a valid action pattern.
    fn action_match(&mut self, object: &Map<String, Value>, pointer: &str) -> Option<ActionMatch> {
        let (name, value) = self.pair(object, pointer, "Action", "NotAction", true)??;
        let mut patterns = Vec::new();
        let mut ok = true;
        for (text, at) in self.strings(value, &child(pointer, name), name) {
            match ActionPattern::parse(&text) {
                Ok(pattern) => patterns.push(pattern),
                Err(error) => {
                    ok = false;
                    let kind = ErrorKind::Action {
                        text: text.clone(),
                        error,
                    };
                    let help = Some(
                        "an action is `service:ActionName`, such as `s3:GetObject`, or `*`"
                            .to_owned(),
                    );
                    self.report(&at, At::Value, text, kind, help);
                }
            }
        }
        ok.then_some(if name == "Action" {
            ActionMatch::Action(patterns)
        } else {
            ActionMatch::NotAction(patterns)
        })
    }

    /// `Resource` or `NotResource`, either optional, every entry `*` or an ARN pattern as
    /// `version` reads it. `None` after an error.
    fn resource_match(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
        version: Version,
    ) -> Option<Option<ResourceMatch>> {
        let Some((name, value)) = self.pair(object, pointer, "Resource", "NotResource", false)?
        else {
            return Some(None);
        };
        let mut patterns = Vec::new();
        let mut ok = true;
        for (text, at) in self.strings(value, &child(pointer, name), name) {
            match compile_resource(&text, version) {
                Ok(pattern) => patterns.push(pattern),
                Err(error) => {
                    ok = false;
                    let help = Some(error.help().map_or_else(
                        || {
                            "a resource is `*` or an ARN: \
                             `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`"
                                .to_owned()
                        },
                        str::to_owned,
                    ));
                    let kind = ErrorKind::Resource {
                        text: text.clone(),
                        error,
                    };
                    self.report(&at, At::Value, text, kind, help);
                }
            }
        }
        ok.then_some(Some(if name == "Resource" {
            ResourceMatch::Resource(patterns)
        } else {
            ResourceMatch::NotResource(patterns)
        }))
    }

    /// Checks that at most one of `a` and `b` is present (exactly one when `required`).
    /// `None` after an error; `Some(None)` when neither is present.
    fn pair<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        pointer: &str,
        a: &'static str,
        b: &'static str,
        required: bool,
    ) -> Option<Option<(&'static str, &'v Value)>> {
        match (object.get(a), object.get(b)) {
            (Some(_), Some(_)) => {
                let help = Some(format!("keep either `{a}` or `{b}`"));
                self.report(
                    &child(pointer, b),
                    At::Key,
                    b.to_owned(),
                    ErrorKind::Both(a, b),
                    help,
                );
                None
            }
            (Some(value), None) => Some(Some((a, value))),
            (None, Some(value)) => Some(Some((b, value))),
            (None, None) if required => {
                self.report(
                    pointer,
                    At::Value,
                    String::new(),
                    ErrorKind::Neither(a, b),
                    None,
                );
                None
            }
            (None, None) => Some(None),
        }
    }

    /// A string or an array of strings; reports every non-string.
    fn strings(&mut self, value: &Value, pointer: &str, element: &str) -> Vec<(String, String)> {
        match value {
            Value::String(text) => vec![(text.clone(), pointer.to_owned())],
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let at = child(pointer, &i.to_string());
                    match item {
                        Value::String(text) => out.push((text.clone(), at)),
                        other => self.wrong_type(&at, element, "a string", other),
                    }
                }
                out
            }
            other => {
                self.wrong_type(pointer, element, "a string or an array of strings", other);
                Vec::new()
            }
        }
    }

    fn principals(
        &mut self,
        value: &Value,
        pointer: &str,
        element: &str,
    ) -> Option<Vec<Principal>> {
        let before = self.errors.len();
        let mut out = Vec::new();
        match value {
            Value::String(text) if text == "*" => out.push(Principal::Any),
            Value::Object(map) => {
                self.unknown_elements(map, pointer, PRINCIPAL_TYPES, "a principal");
                for (kind, values) in map {
                    let at = child(pointer, kind);
                    let make: fn(String) -> Principal = match kind.as_str() {
                        "AWS" => Principal::Aws,
                        "Service" => Principal::Service,
                        "Federated" => Principal::Federated,
                        "CanonicalUser" => Principal::CanonicalUser,
                        _ => continue,
                    };
                    for (text, item) in self.strings(values, &at, kind) {
                        if kind == "AWS" {
                            if let Err(reason) = check_aws_principal(&text) {
                                let help = Some(
                                    "an AWS principal is `*`, a 12-digit account id or an IAM/STS ARN"
                                        .to_owned(),
                                );
                                let kind = ErrorKind::Principal {
                                    text: text.clone(),
                                    reason,
                                };
                                self.report(&item, At::Value, text, kind, help);
                                continue;
                            }
                        } else if text.trim().is_empty() {
                            let kind = ErrorKind::Principal {
                                text: text.clone(),
                                reason: "empty".to_owned(),
                            };
                            self.report(&item, At::Value, text, kind, None);
                            continue;
                        }
                        out.push(make(text));
                    }
                }
            }
            other => self.wrong_type(pointer, element, "`\"*\"` or an object", other),
        }
        (self.errors.len() == before).then_some(out)
    }

    fn conditions(&mut self, value: &Value, pointer: &str) -> Option<Vec<Condition>> {
        let before = self.errors.len();
        let Value::Object(block) = value else {
            self.wrong_type(pointer, "Condition", "an object", value);
            return None;
        };
        let mut out = Vec::new();
        for (name, keys) in block {
            let at = child(pointer, name);
            let operator = match name.parse::<Operator>() {
                Ok(operator) => Some(operator),
                Err(error) => {
                    let help = match &error {
                        OperatorError::NullIfExists(_) => {
                            Some("`Null` already tests whether the key exists".to_owned())
                        }
                        OperatorError::Unknown(_) => Operator::suggest(name)
                            .or_else(|| closest_operator(name))
                            .map(|close| format!("did you mean `{close}`?")),
                    };
                    self.report(&at, At::Key, name.clone(), ErrorKind::Operator(error), help);
                    None
                }
            };
            let Value::Object(keys) = keys else {
                self.wrong_type(&at, name, "an object of condition keys", keys);
                continue;
            };
            for (key, values) in keys {
                let key_at = child(&at, key);
                if key.is_empty() {
                    self.report(
                        &key_at,
                        At::Key,
                        String::new(),
                        ErrorKind::EmptyConditionKey,
                        None,
                    );
                    continue;
                }
                let items: Vec<(&Value, String)> = match values {
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v, child(&key_at, &i.to_string())))
                        .collect(),
                    single => vec![(single, key_at.clone())],
                };
                let mut texts = Vec::with_capacity(items.len());
                for (item, item_at) in items {
                    match item {
                        Value::String(s) => texts.push(s.clone()),
                        Value::Number(n) => texts.push(n.to_string()),
                        Value::Bool(b) => texts.push(b.to_string()),
                        other => self.wrong_type(
                            &item_at,
                            key,
                            "a string, a number, a boolean, or an array of them",
                            other,
                        ),
                    }
                }
                if let Some(operator) = operator {
                    out.push(Condition {
                        operator,
                        key: key.clone(),
                        values: texts,
                        pointer: key_at,
                    });
                }
            }
        }
        (self.errors.len() == before).then_some(out)
    }
}

/// Compiles a `Resource` entry. `${...}` is a policy variable only under version
/// `2012-10-17`. The `<account-id>` placeholder is accepted where an account id may stand
/// (as literal text it matches no real ARN until [`parse_for_account`] fills it); near
/// misses such as `<Account-ID>` are errors.
///
/// Two shapes that the IAM User Guide does not describe but IAM accepts (AWS ships both in its
/// own managed policies) compile rather than fail, matched part by part: an ARN whose resource
/// part is empty (`arn:aws:organizations::*:`, which matches no resource), and a policy
/// variable before the fifth colon (`arn:*:kms:*:${aws:PrincipalAccount}:key/*`). The linter
/// warns about both.
fn compile_resource(text: &str, version: Version) -> Result<ResourcePattern, ArnError> {
    Template::parse(text)?;
    let variables = version == Version::V2012_10_17;
    if let Some((head, resource)) = split_resource(text)
        && !head.split(':').nth(2).unwrap_or_default().is_empty()
        && (resource.is_empty() || (variables && head.contains("${")))
    {
        return Ok(ResourcePattern::parse_condition(text, variables));
    }
    if variables {
        ResourcePattern::parse(text)
    } else {
        ResourcePattern::parse_literal(text)
    }
}

/// An ARN-shaped text split after its fifth colon (colons inside `${...}` do not count):
/// the first five parts, and the resource part. `None` for text with fewer parts.
///
/// ```
/// use iamkit_policy::split_resource;
///
/// assert_eq!(
///     split_resource("arn:aws:iam::${aws:PrincipalAccount}:role/a:b"),
///     Some(("arn:aws:iam::${aws:PrincipalAccount}", "role/a:b"))
/// );
/// assert_eq!(split_resource("arn:aws:s3"), None);
/// ```
pub fn split_resource(text: &str) -> Option<(&str, &str)> {
    if !text.starts_with("arn:") {
        return None;
    }
    let mut colons = 0;
    let mut in_variable = false;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '{' if previous == '$' => in_variable = true,
            '}' if in_variable => in_variable = false,
            ':' if !in_variable => {
                colons += 1;
                if colons == 5 {
                    return Some((text.get(..i)?, text.get(i + 1..)?));
                }
            }
            _ => {}
        }
        previous = c;
    }
    None
}

fn check_aws_principal(text: &str) -> Result<(), String> {
    if text == "*" || text == Template::ACCOUNT_ID {
        return Ok(());
    }
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    let template = Template::parse(text).map_err(|e| e.to_string())?;
    let filled = match "000000000000".parse::<AccountId>() {
        Ok(account) => template.fill(&account),
        Err(_) => text.to_owned(),
    };
    match filled.parse::<Arn>() {
        Ok(_) => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

/// The known name closest to `name`: same letters ignoring case, or at most two edits away.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    if let Some(same) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        return Some(same);
    }
    known
        .iter()
        .map(|k| {
            (
                edit_distance(&name.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn closest_operator(name: &str) -> Option<String> {
    let mut names = Vec::new();
    for set in ["", "ForAllValues:", "ForAnyValue:"] {
        for kind in crate::OperatorKind::ALL {
            names.push(format!("{set}{kind}"));
            if *kind != crate::OperatorKind::Null {
                names.push(format!("{set}{kind}IfExists"));
            }
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    closest(name, &names).map(str::to_owned)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute =
                previous.get(j).copied().unwrap_or(usize::MAX / 2) + usize::from(ca != *cb);
            let insert = current.get(j).copied().unwrap_or(usize::MAX / 2) + 1;
            let delete = previous.get(j + 1).copied().unwrap_or(usize::MAX / 2) + 1;
            current.push(substitute.min(insert).min(delete));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two shapes AWS ships in its own managed policies: IAM accepts them, so we do.
    #[test]
    fn an_empty_resource_part_and_a_variable_in_the_account_compile() {
        let policy = |resource: &str| {
            serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Action": "kms:Decrypt", "Resource": resource}})
            .to_string()
        };
        let empty = parse(&policy("arn:aws:organizations::*:")).unwrap();
        let pattern = &empty.statements[0].resources.as_ref().unwrap().patterns()[0];
        assert!(!pattern.matches("arn:aws:organizations::123456789012:account/o-1/1"));
        let variable = parse(&policy("arn:*:kms:*:${aws:PrincipalAccount}:key/*")).unwrap();
        let pattern = &variable.statements[0]
            .resources
            .as_ref()
            .unwrap()
            .patterns()[0];
        let account = |_: &iamkit_arn::Variable| Some("123456789012");
        assert!(pattern.matches_with("arn:aws:kms:us-east-1:123456789012:key/k", account));
        assert!(!pattern.matches_with("arn:aws:kms:us-east-1:210987654321:key/k", account));
        // Still errors: no service, too few parts.
        assert!(parse(&policy("arn:aws:::*:x")).is_err());
        assert!(parse(&policy("arn:aws:kms:x")).is_err());
        assert_eq!(
            split_resource("arn:aws:iam::${aws:PrincipalAccount}:role/a:b"),
            Some(("arn:aws:iam::${aws:PrincipalAccount}", "role/a:b"))
        );
        assert_eq!(split_resource("arn:aws:s3"), None);
    }

    fn check(source: &str, expected: &[(&str, usize, usize, &str)]) {
        let errors = parse(source).expect_err("expected errors");
        let got: Vec<_> = errors
            .iter()
            .map(|e| (e.pointer.as_str(), e.line, e.column, e.message.as_str()))
            .collect();
        assert_eq!(got, expected, "{}", errors.render("test.json"));
    }

    #[test]
    fn collects_every_problem_with_positions() {
        check(
            "{\"Version\": \"2012-10-18\",\n \"Statement\": [{\"Effects\": \"Allow\", \"Action\": \"s3\"},\n 7]}",
            &[
                ("/Version", 1, 13, "unknown policy version `2012-10-18`"),
                ("/Statement/0", 2, 16, "a statement has no `Effect`"),
                (
                    "/Statement/0/Effects",
                    2,
                    17,
                    "unknown element `Effects` in a statement",
                ),
                (
                    "/Statement/0/Action",
                    2,
                    47,
                    "invalid action `s3`: expected `service:action`",
                ),
                (
                    "/Statement/1",
                    3,
                    2,
                    "statement 1 must be an object, found a number",
                ),
            ],
        );
    }

    #[test]
    fn malformed_json_has_a_position() {
        check(
            "{\n  \"Statement\": [,]\n}",
            &[("", 2, 17, "malformed JSON: expected value")],
        );
        check(
            "",
            &[("", 1, 1, "malformed JSON: EOF while parsing a value")],
        );
    }

    #[test]
    fn both_neither_and_operators() {
        check(
            r#"{"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "*", "Condition": {"StringEqual": {"k": "v"}, "NullIfExists": {"k": true}, "Bool": {"k": [null]}}}}"#,
            &[
                (
                    "/Statement/NotAction",
                    1,
                    50,
                    "a statement cannot have both `Action` and `NotAction`",
                ),
                (
                    "/Statement/Condition/StringEqual",
                    1,
                    82,
                    "unknown condition operator `StringEqual`",
                ),
                (
                    "/Statement/Condition/NullIfExists",
                    1,
                    109,
                    "condition operator `NullIfExists` cannot take `IfExists`",
                ),
                (
                    "/Statement/Condition/Bool/k/0",
                    1,
                    153,
                    "entry 0 of `k` must be a string, a number, a boolean, or an array of them, found null",
                ),
            ],
        );
    }

    #[test]
    fn suggestions() {
        let errors = parse(r#"{"Statement": {"Effect": "allow", "Action": "*", "Condition": {"StringEqual": {}}}}"#)
            .unwrap_err();
        let helps: Vec<_> = errors.iter().filter_map(|e| e.help.as_deref()).collect();
        assert_eq!(
            helps,
            ["did you mean `Allow`?", "did you mean `StringEquals`?"]
        );
    }

    #[test]
    fn values_of_every_json_type_in_conditions() {
        let policy = parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":["*"],"Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":false},"StringEquals":{"aws:username":["a","b"]}}}}"#,
        )
        .unwrap();
        let s = &policy.statements[0];
        let values: Vec<_> = s
            .conditions
            .iter()
            .map(|c| (c.operator.to_string(), c.values.clone()))
            .collect();
        assert_eq!(
            values,
            [
                ("NumericLessThan".to_owned(), vec!["10".to_owned()]),
                ("Bool".to_owned(), vec!["false".to_owned()]),
                (
                    "StringEquals".to_owned(),
                    vec!["a".to_owned(), "b".to_owned()]
                ),
            ]
        );
        assert!(!s.actions.covers("IAM:CreateUser"));
        assert!(s.actions.covers("s3:GetObject"));
        assert_eq!(
            policy.item_pointer(0, "NotResource", 0).as_deref(),
            Some("/Statement/NotResource/0")
        );
    }

    #[test]
    fn parse_value_has_pointers_but_no_lines() {
        let value = serde_json::json!({"Statement": [{"Effect": "Allow"}]});
        let errors = parse_value(&value).unwrap_err();
        let e = &errors.errors[0];
        assert_eq!(
            (e.pointer.as_str(), e.line, e.column),
            ("/Statement/0", 0, 0)
        );
        assert_eq!(e.message, "a statement needs `Action` or `NotAction`");
    }

    #[test]
    fn trust_policies_and_principals() {
        let policy = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::<account-id>:root","Service":["lambda.amazonaws.com"]},"Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":"*","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap();
        assert_eq!(
            policy.statements[0].principals,
            Some(PrincipalMatch::Principal(vec![
                Principal::Aws("arn:aws:iam::<account-id>:root".to_owned()),
                Principal::Service("lambda.amazonaws.com".to_owned()),
            ]))
        );
        assert!(policy.statements[0].resources.is_none());
        check(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob","Services":"x"},"Action":"*"}}"#,
            &[
                (
                    "/Statement/Principal/AWS",
                    1,
                    51,
                    "invalid principal `bob`: invalid ARN `bob`: expected 6 colon-separated parts, found 1",
                ),
                (
                    "/Statement/Principal/Services",
                    1,
                    57,
                    "unknown element `Services` in a principal",
                ),
            ],
        );
    }

    #[test]
    fn policy_variables_only_under_the_current_version() {
        let resource = |version: &str| {
            let text = format!(
                r#"{{{version}"Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${{aws:username}}"}}}}"#
            );
            let policy = parse(&text).unwrap();
            let pattern = policy.statements[0].resources.as_ref().unwrap().patterns()[0].clone();
            (policy.version, pattern.has_variables())
        };
        assert_eq!(
            resource(r#""Version":"2012-10-17","#),
            (Version::V2012_10_17, true)
        );
        assert_eq!(
            resource(r#""Version":"2008-10-17","#),
            (Version::V2008_10_17, false)
        );
        assert_eq!(resource(""), (Version::V2008_10_17, false));
    }

    #[test]
    fn duplicates_are_reported() {
        check(
            r#"{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*"}}"#,
            &[("/Statement/Effect", 1, 32, "duplicate element `Effect`")],
        );
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("effects", "effect"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("Effects", STATEMENT_ELEMENTS), Some("Effect"));
        assert_eq!(closest("Zzzzzz", STATEMENT_ELEMENTS), None);
    }
}
