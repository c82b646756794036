//! The managed-policy case corpus: requests generated over every AWS managed policy (the
//! pinned `iamkit_e2e::corpus`), in the case format of `cargo xtask simulate`, so that the
//! engine is measured on the policies people attach and not only on the article's.
//!
//! For each policy that the policy crate accepts, four requests, drawn with a fixed seed
//! (so every run measures the same corpus): an action the policy names (a wildcard expanded
//! through the service catalog) on a resource its statement names; another action of the
//! same service; an action of some other service; and the first request again, asked by a
//! role session with a request context. Resources are made concrete from the statement's
//! pattern, or from the catalog's ARN format when the statement names `*`. The cases carry
//! no `expect`: they measure speed; correctness is the hand-written cases' job.

use anyhow::{Result, anyhow};
use iamkit_catalog::{ActionRef, Catalog};
use serde_json::{Value, json};

/// The principal of most generated requests.
const USER: &str = "arn:aws:iam::111122223333:user/dev-user";
/// The principal of the fourth request of each policy.
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app-role/app-session";

/// The corpus, and how it was made.
pub struct Corpus {
    /// The cases, in the `simulate` format.
    pub cases: Vec<Value>,
    /// The cases of the policies with the most `Action` entries (the `largest` family).
    pub largest: Vec<Value>,
    /// Policies in the package.
    pub policies: usize,
    /// Policies the policy crate rejected, with the first problem (no cases for them).
    pub rejected: Vec<(String, String)>,
}

/// How many of the policies with the most `Action` entries make the `largest` family.
const LARGEST: usize = 20;

/// Builds the corpus from the pinned managed policies (fetched on first use).
pub fn managed() -> Result<Corpus> {
    let policies = iamkit_e2e::corpus::managed_policies().map_err(|e| anyhow!(e))?;
    let catalog = Catalog::get();
    let mut cases = Vec::new();
    let mut sized = Vec::new();
    let mut rejected = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        if let Err(errors) = iamkit_eval::NamedPolicy::from_json(&policy.name, &policy.document) {
            let first = errors.iter().next().map(ToString::to_string);
            rejected.push((policy.name.clone(), first.unwrap_or_default()));
            continue;
        }
        let mut rng = Rng::new(index as u64 + 1);
        let made = requests(catalog, &policy.document, &mut rng);
        let actions = allow_statements(&policy.document)
            .iter()
            .map(|s| s.actions.len())
            .sum::<usize>();
        for (n, request) in made.into_iter().enumerate() {
            let case = json!({
                "name": format!("{}#{n}", policy.name),
                "identity_policies": [policy.document],
                "request": request,
            });
            sized.push((actions, cases.len()));
            cases.push(case);
        }
    }
    sized.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut largest: Vec<usize> = sized.iter().map(|(_, i)| *i).take(LARGEST * 4).collect();
    largest.sort_unstable();
    let largest = largest
        .into_iter()
        .filter_map(|i| cases.get(i).cloned())
        .collect();
    Ok(Corpus {
        cases,
        largest,
        policies: policies.len(),
        rejected,
    })
}

/// An `Allow` statement's `Action` and `Resource` entries (empty when it uses the `Not`
/// forms).
struct Allow {
    actions: Vec<String>,
    resources: Vec<String>,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn allow_statements(document: &Value) -> Vec<Allow> {
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    statements
        .into_iter()
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .map(|s| Allow {
            actions: strings(s.get("Action")),
            resources: strings(s.get("Resource")),
        })
        .filter(|s| !s.actions.is_empty())
        .collect()
}

/// The four requests of one policy.
fn requests(catalog: &Catalog, document: &Value, rng: &mut Rng) -> Vec<Value> {
    let statements = allow_statements(document);
    let services = catalog.services();
    let first = rng.pick(&statements).and_then(|statement| {
        let pattern = rng.pick(&statement.actions)?;
        let expanded = catalog.expand(pattern);
        let action = rng.pick(&expanded).copied()?;
        let resource = match rng.pick(&statement.resources) {
            Some(r) if r != "*" => concrete(r),
            _ => resource_for(&action, rng),
        };
        Some((action, resource))
    });
    let (action, resource) = match first {
        Some(found) => found,
        None => {
            let service = rng
                .pick(services)
                .ok_or(())
                .and_then(|s| rng.pick(s.actions()).map(|a| (s, a)).ok_or(()));
            match service {
                Ok((service, action)) => {
                    let action = ActionRef { service, action };
                    let resource = resource_for(&action, rng);
                    (action, resource)
                }
                Err(()) => return Vec::new(),
            }
        }
    };
    let mut out = vec![request(USER, &action.full_name(), &resource, json!({}))];
    if let Some(other) = rng.pick(action.service.actions()) {
        let other = ActionRef {
            service: action.service,
            action: other,
        };
        let resource = resource_for(&other, rng);
        out.push(request(USER, &other.full_name(), &resource, json!({})));
    }
    if let Some(service) = rng.pick(services)
        && let Some(other) = rng.pick(service.actions())
    {
        let other = ActionRef {
            service,
            action: other,
        };
        let resource = resource_for(&other, rng);
        out.push(request(USER, &other.full_name(), &resource, json!({})));
    }
    let context = json!({
        "aws:CurrentTime": "2026-11-27T09:00:00Z",
        "aws:SourceIp": "203.0.113.7",
        "aws:SecureTransport": "true",
        "aws:MultiFactorAuthPresent": "true",
        "aws:RequestedRegion": "us-east-1",
    });
    out.push(request(SESSION, &action.full_name(), &resource, context));
    out
}

fn request(principal: &str, action: &str, resource: &str, context: Value) -> Value {
    json!({"principal": principal, "action": action, "resource": resource, "context": context})
}

/// A resource ARN for `action` from one of its resource types' ARN formats, or `*` when it
/// takes none.
fn resource_for(action: &ActionRef<'_>, rng: &mut Rng) -> String {
    let formats: Vec<&str> = action
        .resource_types()
        .map(|(t, _)| t.arn_format.as_str())
        .collect();
    match rng.pick(&formats) {
        Some(format) => concrete(format),
        None => "*".to_owned(),
    }
}

/// A resource that the pattern or ARN format matches: `${Partition}`, `${Region}` and
/// `${Account}` (and policy variables) get the generated request's values, other `${...}`
/// and `*` become `example`, `?` becomes `x`.
fn concrete(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${")
            && let Some(end) = after.find('}')
        {
            let name = after.get(..end).unwrap_or_default();
            out.push_str(match name {
                "Partition" => "aws",
                "Region" => "us-east-1",
                "Account" => "111122223333",
                "aws:username" => "dev-user",
                _ => "example",
            });
            rest = after.get(end + 1..).unwrap_or_default();
            continue;
        }
        match c {
            '*' => out.push_str("example"),
            '?' => out.push('x'),
            _ => out.push(c),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    out
}

/// A small xorshift generator: the corpus must be the same on every run and machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let at = (self.next() % items.len() as u64) as usize;
        items.get(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_resources_match_their_patterns() {
        for pattern in [
            "arn:aws:s3:::*/*",
            "arn:aws:iam::*:role/aws-service-role/*",
            "arn:aws:s3:::home/${aws:username}/?",
        ] {
            let resource = concrete(pattern);
            let compiled = iamkit_arn::ResourcePattern::parse(pattern).unwrap();
            let lookup = |_: &iamkit_arn::Variable| Some("dev-user");
            assert!(
                compiled.matches_with(&resource, lookup),
                "{pattern} -> {resource}"
            );
        }
        // A catalog ARN format, its placeholders filled in.
        assert_eq!(
            concrete("arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"),
            "arn:aws:lambda:us-east-1:111122223333:function:example"
        );
    }

    #[test]
    fn the_generator_is_deterministic() {
        let draw = |seed| {
            let mut rng = Rng::new(seed);
            (0..4).map(|_| rng.next()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }
}
