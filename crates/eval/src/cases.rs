//! The case file format of `cargo xtask simulate` and of the engine's data-driven tests: a
//! JSON array of cases, each with its policies, one request and optionally the expected
//! decision. Fields the engine does not know (`why`, `tags`) are ignored.
//!
//! ```
//! let file = r#"[{
//!   "name": "s3-read",
//!   "identity_policies": [{"Version": "2012-10-17",
//!     "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}],
//!   "request": {"principal": "arn:aws:iam::111122223333:user/dev-user",
//!               "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": {}},
//!   "expect": "Allow"
//! }]"#;
//! let cases = iamkit_eval::cases::parse(file).unwrap();
//! let outcome = cases[0].run();
//! assert!(outcome.passed());
//! ```

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::{Context, Decision, Engine, Evaluation, NamedPolicy, Policies, Request, Value};

/// Why a case file cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The text is not JSON, or not shaped like a case list.
    #[error("{line}:{column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A policy or context value inside a case is invalid.
    #[error("{line}:{column}: case `{case}`: {pointer}: {message}")]
    Invalid {
        /// The case's name.
        case: String,
        /// JSON pointer into the file, such as `/3/identity_policies/0/Statement/1/Effect`.
        pointer: String,
        /// 1-based line of the offending value.
        line: usize,
        /// 1-based column of the offending value.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Two cases share a name.
    #[error("{line}:{column}: case name `{name}` is used twice")]
    DuplicateName {
        /// The name.
        name: String,
        /// 1-based line of the second use.
        line: usize,
        /// 1-based column of the second use.
        column: usize,
    },
}

#[derive(Deserialize)]
struct WireCase {
    name: String,
    #[serde(default)]
    identity_policies: Vec<Json>,
    #[serde(default)]
    resource_policy: Option<Json>,
    #[serde(default)]
    permission_boundary: Option<Json>,
    #[serde(default)]
    scp_policies: Vec<Json>,
    #[serde(default)]
    session_policy: Option<Json>,
    request: WireRequest,
    #[serde(default)]
    expect: Option<Decision>,
}

#[derive(Deserialize)]
struct WireRequest {
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    context: serde_json::Map<String, Json>,
}

/// One case, compiled: its policies are compiled once, so it can be run many times.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's unique name.
    pub name: String,
    /// The request.
    pub request: Request,
    /// The expected decision, when the case gives one.
    pub expect: Option<Decision>,
    engine: Engine,
}

/// The result of running one case.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// The case's name.
    pub name: String,
    /// The decision and its reasons.
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// The expected decision, when the case gives one.
    #[serde(skip)]
    pub expect: Option<Decision>,
}

impl Outcome {
    /// Whether the decision is the expected one (true when nothing is expected).
    pub fn passed(&self) -> bool {
        self.expect.is_none_or(|e| e == self.evaluation.decision)
    }
}

impl Case {
    /// Evaluates the case's request.
    pub fn run(&self) -> Outcome {
        Outcome {
            name: self.name.clone(),
            evaluation: self.engine.evaluate(&self.request),
            expect: self.expect,
        }
    }

    /// Evaluates the request and returns only the decision (what `--bench` measures).
    pub fn decide(&self) -> Decision {
        self.engine.evaluate(&self.request).decision
    }

    /// The compiled policies.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// Reads a case file: a JSON array of cases. Every policy is checked and compiled; the first
/// problem is reported with its line, column and JSON pointer. Cases whose policies are the
/// same share one compiled [`Engine`], as one principal's requests would.
pub fn parse(source: &str) -> Result<Vec<Case>, CaseError> {
    let wire: Vec<WireCase> = serde_json::from_str(source).map_err(|e| CaseError::Json {
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    })?;
    let mut seen = std::collections::HashSet::new();
    // Cases with the same policies share one compiled engine.
    let mut engines: HashMap<String, Engine> = HashMap::new();
    let mut cases = Vec::with_capacity(wire.len());
    for (i, case) in wire.into_iter().enumerate() {
        if !seen.insert(case.name.clone()) {
            let (line, column) = locate(source, &format!("/{i}/name"));
            return Err(CaseError::DuplicateName {
                name: case.name,
                line,
                column,
            });
        }
        let key = serde_json::to_string(&(
            &case.identity_policies,
            &case.resource_policy,
            &case.permission_boundary,
            &case.scp_policies,
            &case.session_policy,
        ))
        .unwrap_or_default();
        let engine = match engines.get(&key) {
            Some(engine) => engine.clone(),
            None => {
                let engine = Engine::new(&policies(source, i, &case)?);
                engines.insert(key, engine.clone());
                engine
            }
        };
        let context = context(source, i, &case)?;
        cases.push(Case {
            engine,
            request: Request {
                principal: case.request.principal,
                action: case.request.action,
                resource: case.request.resource,
                context,
            },
            expect: case.expect,
            name: case.name,
        });
    }
    Ok(cases)
}

/// The error for the value at `pointer` in case `case`.
fn invalid(source: &str, case: &WireCase, pointer: String, message: String) -> CaseError {
    let (line, column) = locate(source, &pointer);
    CaseError::Invalid {
        case: case.name.clone(),
        pointer,
        line,
        column,
        message,
    }
}

/// The case's policies, each checked by the policy crate.
fn policies(source: &str, i: usize, case: &WireCase) -> Result<Policies, CaseError> {
    let policy = |field: &str, index: Option<usize>, doc: &Json| {
        let (name, base) = match index {
            Some(n) => (format!("{field}[{n}]"), format!("/{i}/{field}/{n}")),
            None => (field.to_owned(), format!("/{i}/{field}")),
        };
        NamedPolicy::from_json(&name, doc).map_err(|errors| {
            let first = errors.iter().next();
            let pointer = format!("{base}{}", first.map_or("", |e| e.pointer.as_str()));
            let mut message = first.map_or_else(String::new, |e| e.message.clone());
            if errors.len() > 1 {
                message.push_str(&format!(
                    " (and {} more problems in this policy)",
                    errors.len() - 1
                ));
            }
            invalid(source, case, pointer, message)
        })
    };
    let list = |field: &str, docs: &[Json]| {
        docs.iter()
            .enumerate()
            .map(|(n, d)| policy(field, Some(n), d))
            .collect::<Result<Vec<_>, _>>()
    };
    let one = |field: &str, doc: &Option<Json>| match doc {
        None | Some(Json::Null) => Ok(None),
        Some(d) => policy(field, None, d).map(Some),
    };
    Ok(Policies {
        identity: list("identity_policies", &case.identity_policies)?,
        resource: one("resource_policy", &case.resource_policy)?,
        boundary: one("permission_boundary", &case.permission_boundary)?,
        scps: list("scp_policies", &case.scp_policies)?,
        session: one("session_policy", &case.session_policy)?,
    })
}

/// The request context: strings, numbers and booleans as text, or lists of them.
fn context(source: &str, i: usize, case: &WireCase) -> Result<Context, CaseError> {
    let mut context = Context::new();
    for (key, value) in &case.request.context {
        let scalar = |v: &Json| match v {
            Json::String(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let value = match value {
            Json::Array(items) => items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<_>>>()
                .map(Value::Many),
            v => scalar(v).map(Value::One),
        };
        let Some(value) = value else {
            let pointer = format!("/{i}/request/context/{}", escape(key));
            return Err(invalid(
                source,
                case,
                pointer,
                format!("context key `{key}` must be a string or a list of strings"),
            ));
        };
        context.insert(key, value);
    }
    Ok(context)
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The 1-based line and column of the value a JSON pointer names in `source` (the start of
/// the document when the pointer cannot be followed).
pub fn locate(source: &str, pointer: &str) -> (usize, usize) {
    let offset = pointer_offset(source, pointer).unwrap_or(0);
    let before = source.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Follows `pointer` through the JSON text and returns the byte offset of the value.
fn pointer_offset(source: &str, pointer: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        match bytes.get(pos)? {
            b'[' => {
                let want: usize = token.parse().ok()?;
                pos = skip_ws(bytes, pos + 1);
                for _ in 0..want {
                    pos = skip_value(bytes, pos)?;
                    pos = skip_ws(bytes, pos);
                    if bytes.get(pos) != Some(&b',') {
                        return None;
                    }
                    pos = skip_ws(bytes, pos + 1);
                }
            }
            b'{' => {
                pos = skip_ws(bytes, pos + 1);
                loop {
                    let key_end = skip_value(bytes, pos)?;
                    let key: String = serde_json::from_str(source.get(pos..key_end)?).ok()?;
                    pos = skip_ws(bytes, key_end);
                    if bytes.get(pos) != Some(&b':') {
                        return None;
                    }
                    pos = skip_ws(bytes, pos + 1);
                    if key == token {
                        break;
                    }
                    pos = skip_ws(bytes, skip_value(bytes, pos)?);
                    if bytes.get(pos) != Some(&b',') {
                        return None;
                    }
                    pos = skip_ws(bytes, pos + 1);
                }
            }
            _ => return None,
        }
    }
    Some(pos)
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// The offset just after the JSON value starting at `pos`.
fn skip_value(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => {
            let mut p = pos + 1;
            loop {
                match bytes.get(p)? {
                    b'\\' => p += 2,
                    b'"' => return Some(p + 1),
                    _ => p += 1,
                }
            }
        }
        b'[' | b'{' => {
            let mut depth = 0usize;
            let mut p = pos;
            loop {
                match bytes.get(p)? {
                    b'"' => {
                        p = skip_value(bytes, p)?;
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(p + 1);
                        }
                    }
                    _ => {}
                }
                p += 1;
            }
        }
        _ => {
            let mut p = pos;
            while bytes
                .get(p)
                .is_some_and(|b| !matches!(b, b',' | b']' | b'}') && !b.is_ascii_whitespace())
            {
                p += 1;
            }
            Some(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_pointers() {
        let src = "[\n  {\"a\": 1, \"b\": [true, {\"c/d\": \"x\"}]}\n]";
        assert_eq!(locate(src, "/0/b/1/c~1d"), (2, 32));
        assert_eq!(locate(src, "/0/a"), (2, 9));
        assert_eq!(locate(src, "/7"), (1, 1));
    }

    #[test]
    fn strings_with_escapes_and_brackets_are_skipped_whole() {
        let src = r#"[{"a": "x\"]}[{", "b": ["}", "\\", {"c": "\""}], "d": 7}]"#;
        assert_eq!(locate(src, "/0/d"), (1, 55));
        assert_eq!(locate(src, "/0/b/2/c"), (1, 42));
        assert_eq!(locate(src, "/0/b/1"), (1, 30));
    }

    fn one_case(context: &str) -> String {
        format!(
            r#"[{{"name": "x", "request": {{"principal": "p", "action": "a", "resource": "r", "context": {context}}}, "expect": "Allow"}}]"#
        )
    }

    #[test]
    fn context_values_are_strings_numbers_booleans_or_lists() {
        let cases = parse(&one_case(
            r#"{"s": "v", "n": 3, "b": true, "l": ["a", 1, false]}"#,
        ))
        .unwrap();
        let context = &cases[0].request.context;
        assert_eq!(context.get("s"), Some(&Value::from("v")));
        assert_eq!(context.get("n"), Some(&Value::from("3")));
        assert_eq!(context.get("b"), Some(&Value::from("true")));
        assert_eq!(
            context.get("l"),
            Some(&Value::Many(vec!["a".into(), "1".into(), "false".into()]))
        );
        let err = parse(&one_case(r#"{"a/b~c": {"x": 1}}"#)).unwrap_err();
        assert!(
            matches!(&err, CaseError::Invalid { pointer, .. } if pointer == "/0/request/context/a~1b~0c"),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with("context key `a/b~c` must be a string or a list of strings"),
            "{err}"
        );
    }

    #[test]
    fn outcomes_pass_only_as_expected() {
        let cases = parse(&one_case("{}")).unwrap();
        let outcome = cases[0].run();
        assert_eq!(outcome.evaluation.decision, Decision::ImplicitDeny);
        assert!(!outcome.passed());
        assert_eq!(cases[0].decide(), Decision::ImplicitDeny);
        let unexpected = Outcome {
            expect: None,
            ..outcome
        };
        assert!(unexpected.passed());
    }

    #[test]
    fn one_problem_or_several() {
        let one = r#"[{"name": "x", "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]}],
  "request": {"principal": "p", "action": "a", "resource": "r"}}]"#;
        assert!(
            !parse(one)
                .unwrap_err()
                .to_string()
                .contains("more problems")
        );
        let two = one.replace(r#""Action": "*""#, r#""Action": "nocolon""#);
        assert!(
            parse(&two)
                .unwrap_err()
                .to_string()
                .ends_with("(and 1 more problems in this policy)"),
            "{}",
            parse(&two).unwrap_err()
        );
    }

    #[test]
    fn cases_with_the_same_policies_share_one_engine() {
        let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
        let src = format!(
            r#"[{{"name": "a", "identity_policies": [{policy}], "request": {{"principal": "p", "action": "s3:GetObject", "resource": "*"}}}},
               {{"name": "b", "identity_policies": [{policy}], "request": {{"principal": "p", "action": "s3:PutObject", "resource": "*"}}}},
               {{"name": "c", "request": {{"principal": "p", "action": "s3:PutObject", "resource": "*"}}}}]"#
        );
        let cases = parse(&src).unwrap();
        let shared = |i: usize, j: usize| {
            std::sync::Arc::ptr_eq(&cases[i].engine().compiled, &cases[j].engine().compiled)
        };
        assert!(shared(0, 1));
        assert!(!shared(0, 2));
    }

    #[test]
    fn bad_policies_are_located() {
        let src = r#"[{"name": "x", "identity_policies": [
  {"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]}],
  "request": {"principal": "p", "action": "a", "resource": "r"}}]"#;
        let err = parse(src).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2:54: case `x`: /0/identity_policies/0/Statement/0/Effect: effect `Permit` must be `Allow` or `Deny`"
        );
        assert!(matches!(parse("[{]"), Err(CaseError::Json { line: 1, .. })));
        let dup = r#"[{"name": "x", "request": {"principal": "p", "action": "a", "resource": "r"}},
 {"name": "x", "request": {"principal": "p", "action": "a", "resource": "r"}}]"#;
        assert!(matches!(
            parse(dup),
            Err(CaseError::DuplicateName { line: 2, .. })
        ));
    }
}
