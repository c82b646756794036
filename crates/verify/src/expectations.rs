//! The expectations file (`policies/expectations.toml`): what the account must allow and deny,
//! and the evaluation of each expectation over the policies read back from the account.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use iamkit_arn::{AccountId, Arn, Partition};
use iamkit_eval::{Decision, Engine, Evaluation, NamedPolicy, Policies, Reason, Request};
use serde::Deserialize;

use iamkit_stack::{ManifestError, ManifestErrors, line_column};

/// One expected decision, as written in the file (placeholders not yet filled in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// A short name, unique in the file: `dev-user-lists-buckets`.
    pub name: String,
    /// The article's sentence it comes from.
    pub article: String,
    /// `user/NAME`, `role/NAME` (a session of that role) or a full ARN.
    pub principal: String,
    /// The action, such as `s3:ListAllMyBuckets`.
    pub action: String,
    /// The resource ARN, with placeholders `<account-id>`, `<region>`, `<bucket>`,
    /// `<function>`.
    pub resource: String,
    /// Condition keys of the request.
    pub context: BTreeMap<String, Vec<String>>,
    /// The decision the account must give.
    pub decision: Decision,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    check: Vec<toml::Spanned<RawExpectation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    name: String,
    #[serde(default)]
    article: String,
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    context: BTreeMap<String, OneOrMany>,
    decision: Decision,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Reads the expectations file at `path`.
pub fn load_expectations(path: &Path) -> Result<Vec<Expectation>, ManifestErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ManifestErrors(vec![ManifestError {
            file: path.to_owned(),
            location: None,
            message: format!("cannot read the expectations file: {e}"),
            help: None,
        }])
    })?;
    parse_expectations(path, &text)
}

/// Parses expectations `text` read from `file`: every problem is reported with its line and
/// column.
pub fn parse_expectations(file: &Path, text: &str) -> Result<Vec<Expectation>, ManifestErrors> {
    let error = |offset: Option<usize>, message: String, help: Option<&str>| ManifestError {
        file: PathBuf::from(file),
        location: offset.map(|o| line_column(text, o)),
        message,
        help: help.map(str::to_owned),
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        ManifestErrors(vec![error(
            e.span().map(|s| s.start),
            e.message().to_owned(),
            None,
        )])
    })?;
    let mut errors = Vec::new();
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for spanned in raw.check {
        let start = spanned.span().start;
        let raw = spanned.into_inner();
        if seen.insert(raw.name.clone(), start).is_some() {
            errors.push(error(
                Some(start),
                format!("check `{}` is defined twice", raw.name),
                Some("give each check a name of its own"),
            ));
        }
        if !raw.principal.starts_with("arn:")
            && !raw.principal.starts_with("user/")
            && !raw.principal.starts_with("role/")
        {
            errors.push(error(
                Some(start),
                format!(
                    "check `{}`: principal `{}` is not `user/NAME`, `role/NAME` or an ARN",
                    raw.name, raw.principal
                ),
                None,
            ));
        }
        out.push(Expectation {
            name: raw.name,
            article: raw.article,
            principal: raw.principal,
            action: raw.action,
            resource: raw.resource,
            context: raw
                .context
                .into_iter()
                .map(|(k, v)| match v {
                    OneOrMany::One(v) => (k, vec![v]),
                    OneOrMany::Many(v) => (k, v),
                })
                .collect(),
            decision: raw.decision,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ManifestErrors(errors))
    }
}

/// The values placeholders are filled in with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholders {
    /// The partition, `aws` mostly.
    pub partition: Partition,
    /// `<account-id>`.
    pub account: AccountId,
    /// `<region>`.
    pub region: String,
    /// `<bucket>`.
    pub bucket: String,
    /// `<function>`.
    pub function: String,
}

impl Placeholders {
    /// `text` with every placeholder filled in.
    pub fn fill(&self, text: &str) -> String {
        text.replace("<account-id>", self.account.as_str())
            .replace("<region>", &self.region)
            .replace("<bucket>", &self.bucket)
            .replace("<function>", &self.function)
    }
}

/// Who a request comes from, as it reaches IAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An IAM user, by name.
    User(String),
    /// A session of an IAM role, by role name.
    Role(String),
    /// Any other principal ARN (no identity policies are read for it).
    Arn(String),
}

/// The session name verify gives role sessions, in static checks and live.
pub const SESSION_NAME: &str = "iamkit-verify";

impl Principal {
    /// Reads `user/NAME`, `role/NAME` or an ARN.
    pub fn parse(text: &str) -> Principal {
        if let Some(name) = text.strip_prefix("user/") {
            Principal::User(name.to_owned())
        } else if let Some(name) = text.strip_prefix("role/") {
            Principal::Role(name.to_owned())
        } else {
            Principal::Arn(text.to_owned())
        }
    }

    /// The ARN the request is made with: a user's ARN, or an assumed-role session ARN. A
    /// name IAM would not accept makes no ARN: its text is given as it is, and matches no
    /// policy that names real principals.
    pub fn request_arn(&self, at: &Placeholders) -> String {
        let (partition, account) = (&at.partition, at.account);
        let built = match self {
            Principal::User(name) => Arn::iam_user(partition, account, "/", name),
            Principal::Role(name) => Arn::sts_assumed_role(partition, account, name, SESSION_NAME),
            Principal::Arn(arn) => return at.fill(arn),
        };
        built.map_or_else(|e| e.to_string(), |arn| arn.as_str().to_owned())
    }

    /// The ARN of the user or role itself (not a session), for IAM's policy simulator; `None`
    /// for another principal, or a name IAM would not accept.
    pub fn identity_arn(&self, at: &Placeholders) -> Option<String> {
        let (partition, account) = (&at.partition, at.account);
        let built = match self {
            Principal::User(name) => Arn::iam_user(partition, account, "/", name),
            Principal::Role(name) => Arn::iam_role(partition, account, "/", name),
            Principal::Arn(_) => return None,
        };
        built.ok().map(|arn| arn.as_str().to_owned())
    }
}

/// The outcome of one expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    /// The decision the engine gave.
    pub decision: Decision,
    /// Why: each deciding statement, or each policy type that lacked an Allow.
    pub why: String,
}

/// Builds the request of `expectation`.
pub fn request(expectation: &Expectation, at: &Placeholders) -> Request {
    let principal = Principal::parse(&expectation.principal).request_arn(at);
    let mut request = Request::new(
        &principal,
        &expectation.action,
        &at.fill(&expectation.resource),
    );
    for (key, values) in &expectation.context {
        let values: Vec<String> = values.iter().map(|v| at.fill(v)).collect();
        request = match <[String; 1]>::try_from(values) {
            Ok([one]) => request.with(key, one),
            Err(many) => request.with(key, many),
        };
    }
    request
}

/// Evaluates `expectation` against the principal's `identity` policies and, for actions on a
/// resource that has one, its resource-based policy (`resource`: a role's trust policy for
/// `sts:AssumeRole`).
pub fn judge(
    expectation: &Expectation,
    at: &Placeholders,
    identity: &[NamedPolicy],
    resource: Option<&NamedPolicy>,
) -> Judged {
    let policies = Policies {
        identity: identity.to_vec(),
        resource: resource.cloned(),
        ..Policies::default()
    };
    let evaluation = Engine::new(&policies).evaluate(&request(expectation, at));
    Judged {
        decision: evaluation.decision,
        why: why(&evaluation),
    }
}

/// The reasons of an evaluation in one line.
pub fn why(evaluation: &Evaluation) -> String {
    let reasons: Vec<String> = evaluation.reasons.iter().map(Reason::to_string).collect();
    if reasons.is_empty() {
        "no reason given".to_owned()
    } else {
        reasons.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Placeholders {
        Placeholders {
            partition: Partition::Aws,
            account: "123456789012".parse().unwrap(),
            region: "ap-northeast-1".into(),
            bucket: "b".into(),
            function: "hello".into(),
        }
    }

    fn one(text: &str) -> Expectation {
        let file = format!(
            "[[check]]\nname = \"x\"\nprincipal = \"user/dev-user\"\naction = \"s3:GetObject\"\n{text}decision = \"Allow\"\n"
        );
        let mut all = parse_expectations(Path::new("e.toml"), &file).unwrap();
        all.remove(0)
    }

    #[test]
    fn the_projects_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/expectations.toml");
        let all = load_expectations(&path).unwrap();
        assert!(all.len() >= 25);
        assert!(all.iter().any(|e| e.name == "dev-user-lists-buckets"));
    }

    #[test]
    fn errors_have_a_line_and_a_column() {
        let text = "[[check]]\nname = \"x\"\nprincipal = \"user/a\"\naction = \"s3:GetObject\"\nresource = \"*\"\ndecision = \"Maybe\"\n";
        let errors = parse_expectations(Path::new("e.toml"), text).unwrap_err();
        assert_eq!(errors.0[0].location.map(|l| l.0), Some(6), "{errors}");
        let twice = format!("{text}{text}").replace("Maybe", "Allow");
        let errors = parse_expectations(Path::new("e.toml"), &twice).unwrap_err();
        assert!(errors.to_string().contains("defined twice"), "{errors}");
        assert_eq!(errors.0[0].location.map(|l| l.0), Some(7));
    }

    #[test]
    fn placeholders_and_principals_fill_in() {
        let e = one("resource = \"arn:aws:s3:::<bucket>/<function>-<region>-<account-id>\"\n");
        let request = request(&e, &at());
        assert_eq!(request.principal, "arn:aws:iam::123456789012:user/dev-user");
        assert_eq!(
            request.resource,
            "arn:aws:s3:::b/hello-ap-northeast-1-123456789012"
        );
        assert_eq!(
            Principal::parse("role/admin").request_arn(&at()),
            "arn:aws:sts::123456789012:assumed-role/admin/iamkit-verify"
        );
    }

    #[test]
    fn context_values_are_one_or_many() {
        let e = one(
            "resource = \"*\"\ncontext = { \"aws:MultiFactorAuthPresent\" = \"true\", \"aws:TagKeys\" = [\"a\", \"b\"] }\n",
        );
        let request = request(&e, &at());
        assert_eq!(
            request.context.get("aws:multifactorauthpresent"),
            Some(&iamkit_eval::Value::One("true".into()))
        );
        assert_eq!(
            request
                .context
                .get("aws:TagKeys")
                .map(|v| v.as_slice().len()),
            Some(2)
        );
    }

    #[test]
    fn judging_names_the_deciding_statement() {
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Objects", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*/*"}
        ]});
        let identity = vec![NamedPolicy::from_json("develop-s3", &policy).unwrap()];
        let read = one("resource = \"arn:aws:s3:::<bucket>/hello.txt\"\n");
        let judged = judge(&read, &at(), &identity, None);
        assert_eq!(judged.decision, Decision::Allow);
        assert!(
            judged.why.contains("`develop-s3` statement `Objects`"),
            "{}",
            judged.why
        );
        let mut list = read.clone();
        list.action = "s3:ListAllMyBuckets".into();
        list.resource = "*".into();
        let judged = judge(&list, &at(), &identity, None);
        assert_eq!(judged.decision, Decision::ImplicitDeny);
        assert_eq!(judged.why, "no identity policy statement allows it");
    }
}
