//! Every check the linter runs, over the [`Doc`] view of one document.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use iamkit_arn::Pattern;
use serde_json::Value;

use crate::ctx::{At, Ctx, KeyHasher, KeySet, action_key};
use crate::model::{Cond, Doc, Item, List, Polarity, Stmt, escape};
use crate::{
    Finding, LintOptions, OwnAccount, PolicyKind, Severity, code, escalation, reach, shape, values,
};
use iamkit_catalog::{ActionRef, Catalog, Corrections, KeyType, ResourceType};
use iamkit_policy::SourceMap;
use iamkit_policy::{Operator, OperatorKind, SetQualifier};

/// IAM's limit on a managed policy, in characters not counting white space.
const MANAGED_POLICY_LIMIT: usize = 6_144;
/// IAM's default limit on a role trust policy (adjustable to 4,096).
const TRUST_POLICY_LIMIT: usize = 2_048;
/// AWS Organizations' limit on a service control policy.
const SCP_LIMIT: usize = 5_120;
/// Managed policies per group (fixed), user or role (adjustable to 20).
const ATTACHMENT_LIMIT: usize = 10;

/// Actions that manage MFA devices or credentials: allowing them without MFA lets a stolen
/// access key take over the identity.
const CREDENTIAL_ACTIONS: &[&str] = &[
    "iam:ChangePassword",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:CreateVirtualMFADevice",
    "iam:DeactivateMFADevice",
    "iam:DeleteAccessKey",
    "iam:DeleteLoginProfile",
    "iam:DeleteSSHPublicKey",
    "iam:DeleteServiceSpecificCredential",
    "iam:DeleteSigningCertificate",
    "iam:DeleteVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResetServiceSpecificCredential",
    "iam:ResyncMFADevice",
    "iam:UpdateAccessKey",
    "iam:UpdateLoginProfile",
    "iam:UpdateSSHPublicKey",
    "iam:UpdateServiceSpecificCredential",
    "iam:UpdateSigningCertificate",
    "iam:UploadSSHPublicKey",
    "iam:UploadSigningCertificate",
];

/// Longest word that gets a "did you mean" suggestion.
const MAX_SUGGESTED_LEN: usize = 128;

/// The ARN format of an IAM role, for the PassRole check.
const ROLE_FORMAT: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";

/// Runs every check on one document.
pub(super) fn run(file: &str, source: &str, options: &LintOptions) -> Vec<Finding> {
    let mut ctx = Ctx {
        file,
        map: SourceMap::build(source),
        findings: Vec::new(),
    };
    // The grammar comes from the parser; the checks below read the JSON value, so that one
    // bad element does not hide the findings about the others.
    let value = match serde_json::from_str::<Value>(source) {
        Ok(value) => value,
        Err(error) => {
            for error in iamkit_policy::syntax_errors(source, &error) {
                ctx.parse_error(error);
            }
            return ctx.findings;
        }
    };
    if let Err(errors) = iamkit_policy::validate(&value, &ctx.map) {
        for error in errors {
            ctx.parse_error(error);
        }
    }

    let doc = Doc::new(&value);
    let catalog = Catalog::get();
    let kind = match options.kind {
        PolicyKind::Auto => detect_kind(&doc),
        kind => kind,
    };

    version(&mut ctx, &doc, &value);
    placeholders(&mut ctx, &value, "", options.template);
    size(&mut ctx, source, kind);

    let resolved: Vec<Vec<Vec<ActionRef<'_>>>> = doc
        .statements
        .iter()
        .map(|stmt| resolve_actions(&mut ctx, catalog, stmt))
        .collect();
    let granted = Granted::new(&doc, &resolved);
    let own = own_account(options);
    let mut cache = ReachCache::default();
    for (i, stmt) in doc.statements.iter().enumerate() {
        let actions = resolved.get(i).map(Vec::as_slice).unwrap_or_default();
        statement(
            &mut ctx,
            catalog,
            stmt,
            actions,
            (&granted, i, &mut cache),
            kind,
        );
        if stmt.allow && matches!(kind, PolicyKind::Trust | PolicyKind::Resource) {
            trust(&mut ctx, stmt, kind);
            cross_account(&mut ctx, stmt, kind, own.as_deref());
        }
        shape::statement(&mut ctx, stmt, kind, options.kind != PolicyKind::Auto);
        crate::trust::check(&mut ctx, stmt, kind);
    }
    duplicates(&mut ctx, &doc);
    shape::sids(&mut ctx, &doc);
    if kind != PolicyKind::Scp {
        escalation::check(&mut ctx, catalog, &doc, &resolved);
    }

    let mut findings = ctx.findings;
    findings.sort_by(|a, b| {
        (a.line, a.column, a.code, &a.message).cmp(&(b.line, b.column, b.code, &b.message))
    });
    findings.dedup();
    findings
}

/// The checks of one statement that do not depend on the kind of policy.
fn statement<'d>(
    ctx: &mut Ctx<'_>,
    catalog: &Catalog,
    stmt: &Stmt<'d>,
    actions: &[Vec<ActionRef<'_>>],
    (granted, i, cache): (&Granted<'_>, usize, &mut ReachCache<'d>),
    kind: PolicyKind,
) {
    let covered = covered_by(stmt, actions);
    redundant_actions(ctx, stmt, &covered);
    if stmt.allow {
        reachability(ctx, (stmt, actions, &covered), (granted, i), cache);
        // An SCP's `Allow` grants nothing: it sets the most an account's policies may grant
        // (AWS's own `FullAWSAccess` allows `*` on `*`), so breadth is no finding there.
        if kind != PolicyKind::Scp {
            broad_access(ctx, stmt, actions);
            mfa_if_exists(ctx, stmt, actions);
            create_service_linked_role(ctx, stmt, actions);
        }
    }
    conditions(ctx, catalog, stmt, actions);
    values::check(ctx, stmt);
    arn_accounts(ctx, stmt);
    shape::arns(ctx, stmt);
    shape::redundant(ctx, stmt);
}

/// The kind of a document that did not say: no principal makes an identity policy; a
/// principal with an `sts:` action (or `*`) and no `Resource` anywhere (a role is its trust
/// policy's resource) makes a trust policy; any other principal, a resource-based policy.
fn detect_kind(doc: &Doc<'_>) -> PolicyKind {
    if !doc.statements.iter().any(|s| s.has_principal) {
        return PolicyKind::Identity;
    }
    if doc.statements.iter().any(|s| s.resources.is_some()) {
        return PolicyKind::Resource;
    }
    let assumes = doc.statements.iter().any(|s| {
        s.actions.as_ref().is_some_and(|list| {
            list.items.iter().any(|item| {
                let text = item.text.to_ascii_lowercase();
                text == "*" || text.starts_with("sts:")
            })
        })
    });
    if assumes {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    }
}

fn version(ctx: &mut Ctx<'_>, doc: &Doc<'_>, value: &Value) {
    let old = match &doc.version {
        None => {
            ctx.add(
                code::VERSION_MISSING,
                At::Value(""),
                "the policy has no `Version`, so IAM reads it as version 2008-10-17".to_owned(),
                "add \"Version\": \"2012-10-17\" as the first element".to_owned(),
            );
            true
        }
        Some(item) if item.text == "2008-10-17" => {
            ctx.add(
                code::VERSION_OLD,
                At::Value(&item.pointer),
                "`Version` is `2008-10-17`, which has no policy variables".to_owned(),
                "use \"Version\": \"2012-10-17\"".to_owned(),
            );
            true
        }
        Some(_) => false,
    };
    if old && let Some((pointer, text)) = first_variable(value, "") {
        ctx.add(
            code::VARIABLES_WITHOUT_VERSION,
            At::Value(&pointer),
            format!(
                "`{text}` is matched as literal text: version 2008-10-17 has no policy variables"
            ),
            "set \"Version\": \"2012-10-17\" so that `${...}` is replaced by the request's value"
                .to_owned(),
        );
    }
}

/// The first string (outside `Version`/`Sid`) holding a policy variable `${...}`.
fn first_variable(value: &Value, pointer: &str) -> Option<(String, String)> {
    match value {
        Value::String(text) if text.contains("${") => Some((pointer.to_owned(), text.clone())),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_variable(v, &format!("{pointer}/{i}"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            (k != "Sid" && k != "Version")
                .then(|| first_variable(v, &format!("{pointer}/{}", escape(k))))
                .flatten()
        }),
        _ => None,
    }
}

/// `<placeholder>`s left in strings. In a template, `<account-id>` is filled in later.
fn placeholders(ctx: &mut Ctx<'_>, value: &Value, pointer: &str, template: bool) {
    match value {
        Value::String(text) => {
            for placeholder in find_placeholders(text) {
                if template && placeholder == "<account-id>" {
                    continue;
                }
                let help = if placeholder == "<account-id>" {
                    "fill the template with the account id before using the policy".to_owned()
                } else if template {
                    format!(
                        "write the value itself; only `<account-id>` is filled in from the account (`{placeholder}` is not)"
                    )
                } else {
                    "fill in the value before using the policy".to_owned()
                };
                ctx.add(
                    code::UNFILLED_PLACEHOLDER,
                    At::Value(pointer),
                    format!("`{text}` still holds the placeholder `{placeholder}`"),
                    help,
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                placeholders(ctx, item, &format!("{pointer}/{i}"), template);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let at = format!("{pointer}/{}", escape(key));
                placeholders(ctx, item, &at, template);
            }
        }
        _ => {}
    }
}

/// `<word>` runs in a string: letters, digits, `-` and `_` between angle brackets.
pub(crate) fn find_placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let tail = rest.get(start..).unwrap_or_default();
        let Some(end) = tail.find('>') else { break };
        let inner = tail.get(1..end).unwrap_or_default();
        if !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            found.push(tail.get(..=end).unwrap_or_default());
            rest = tail.get(end + 1..).unwrap_or_default();
        } else {
            rest = tail.get(1..).unwrap_or_default();
        }
    }
    found
}

/// The size quota of each kind of policy, in characters not counting white space: IAM's for
/// managed and trust policies, Organizations' for SCPs. AWS's own policies and resource-based
/// policies (whose quotas differ by service) have none here.
fn size(ctx: &mut Ctx<'_>, source: &str, kind: PolicyKind) {
    let (limit, what) = match kind {
        PolicyKind::Trust => (
            TRUST_POLICY_LIMIT,
            "a role trust policy (adjustable to 4,096)",
        ),
        PolicyKind::Scp => (SCP_LIMIT, "a service control policy"),
        PolicyKind::Identity | PolicyKind::Auto => (MANAGED_POLICY_LIMIT, "a managed policy"),
        PolicyKind::Resource | PolicyKind::AwsManaged => return,
    };
    let length = source.chars().filter(|c| !c.is_whitespace()).count();
    if length > limit {
        ctx.add(
            code::POLICY_TOO_LARGE,
            At::Value(""),
            format!("the policy has {length} characters not counting white space; {} allows {limit} for {what}", if kind == PolicyKind::Scp { "AWS Organizations" } else { "IAM" }),
            "split it into several policies, or use wildcards where they stay precise".to_owned(),
        );
    }
}

/// Resolves every entry of the statement's `Action`/`NotAction` against the catalog and
/// reports those that name nothing. One list per entry (empty for unknown ones).
fn resolve_actions<'c>(
    ctx: &mut Ctx<'_>,
    catalog: &'c Catalog,
    stmt: &Stmt<'_>,
) -> Vec<Vec<ActionRef<'c>>> {
    let Some(list) = &stmt.actions else {
        return Vec::new();
    };
    list.items
        .iter()
        .map(|item| {
            let text = item.text;
            if text == "*" {
                return catalog.expand("*");
            }
            let Some((prefix, name)) = text.split_once(':') else {
                ctx.add(
                    code::UNKNOWN_ACTION,
                    At::Value(&item.pointer),
                    format!("action `{text}` has no service prefix"),
                    "write actions as `service:Action`, for example `s3:GetObject`".to_owned(),
                );
                return Vec::new();
            };
            let wildcard = text.contains(['*', '?']);
            if !prefix.contains(['*', '?']) && catalog.service(prefix).is_none() {
                let help = match closest(prefix, catalog.services().iter().map(|s| s.prefix.as_str())) {
                    Some(near) => format!("did you mean `{near}`? service prefixes are listed in the Service Authorization Reference"),
                    None => "check the service prefix in the Service Authorization Reference".to_owned(),
                };
                ctx.add(
                    code::UNKNOWN_SERVICE,
                    At::Value(&item.pointer),
                    format!("`{prefix}` in action `{text}` is not a service prefix"),
                    help,
                );
                return Vec::new();
            }
            let found = catalog.expand(text);
            if found.is_empty() {
                if wildcard {
                    ctx.add(
                        code::WILDCARD_MATCHES_NOTHING,
                        At::Value(&item.pointer),
                        format!("action `{text}` matches no action"),
                        "check the spelling; wildcards match action names case-insensitively".to_owned(),
                    );
                } else {
                    let near = catalog.service(prefix).and_then(|service| {
                        closest(name, service.actions().iter().map(|a| a.name.as_str()))
                    });
                    let help = match near {
                        Some(near) => format!("did you mean `{prefix}:{near}`?"),
                        None => format!("check the actions of `{prefix}` in the Service Authorization Reference"),
                    };
                    ctx.add(
                        code::UNKNOWN_ACTION,
                        At::Value(&item.pointer),
                        format!("`{prefix}` has no action `{name}`"),
                        help,
                    );
                }
            }
            found
        })
        .collect()
}

/// The closest candidate within a small edit distance, for "did you mean" help.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // Names are short; a long word is no typo of one (and the distance is quadratic).
    if word.len() > MAX_SUGGESTED_LEN {
        return None;
    }
    let word = word.to_ascii_lowercase();
    let limit = (word.len() / 3).max(2);
    candidates
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let cost = usize::from(ca != *cb);
            let value = (diagonal + cost).min(above + 1).min(left + 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// For each entry of the statement's action list, the other entry that already covers it
/// (a wildcard that matches it, or the same text earlier in the list). Linear in the entries
/// for literal actions; a wildcard is compared with the other wildcards by the sets of actions
/// they expand to.
fn covered_by(stmt: &Stmt<'_>, resolved: &[Vec<ActionRef<'_>>]) -> Vec<Option<usize>> {
    let Some(list) = &stmt.actions else {
        return Vec::new();
    };
    let is_wildcard = |text: &str| text.contains(['*', '?']);
    let wildcards: Vec<(usize, KeySet)> = list
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| is_wildcard(item.text))
        .map(|(j, _)| {
            let set = resolved
                .get(j)
                .map(|found| found.iter().map(action_key).collect())
                .unwrap_or_default();
            (j, set)
        })
        .collect();
    // Which wildcards bring each action, in list order: only those can cover an entry that
    // brings it.
    let mut bringing: HashMap<usize, Vec<usize>, BuildHasherDefault<KeyHasher>> =
        HashMap::default();
    for (n, (_, set)) in wildcards.iter().enumerate() {
        for &key in set {
            bringing.entry(key).or_default().push(n);
        }
    }
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(list.items.len());
    for (i, item) in list.items.iter().enumerate() {
        let lower = item.text.to_ascii_lowercase();
        if let Some(&j) = first.get(&lower) {
            out.push(Some(j));
            continue;
        }
        first.insert(lower, i);
        let own: Vec<usize> = resolved
            .get(i)
            .map(|found| found.iter().map(action_key).collect())
            .unwrap_or_default();
        let candidates = own
            .first()
            .and_then(|key| bringing.get(key))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let by = if own.is_empty() {
            // Not in the catalog: match the text itself.
            wildcards.iter().map(|(j, _)| *j).find(|&j| {
                j != i
                    && list
                        .items
                        .get(j)
                        .is_some_and(|w| Pattern::new_ignore_case(w.text).matches(item.text))
            })
        } else if is_wildcard(item.text) {
            let own_set: KeySet = own.iter().copied().collect();
            candidates.iter().find_map(|&n| {
                let (j, set) = wildcards.get(n)?;
                let covers = *j != i && own.iter().all(|k| set.contains(k));
                // Two wildcards that expand to the same actions: the later one is redundant.
                let mutual = covers && set.iter().all(|k| own_set.contains(k));
                (covers && !(mutual && i < *j)).then_some(*j)
            })
        } else {
            candidates
                .first()
                .and_then(|&n| wildcards.get(n))
                .map(|(j, _)| *j)
        };
        out.push(by);
    }
    out
}

/// Entries of one list that another entry of the same list already covers.
fn redundant_actions(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, covered: &[Option<usize>]) {
    let Some(list) = &stmt.actions else { return };
    for (item, by) in list.items.iter().zip(covered) {
        let Some(by) = by.and_then(|j| list.items.get(j)) else {
            continue;
        };
        let twice = item.text.eq_ignore_ascii_case(by.text);
        shape::covered_entry(ctx, code::REDUNDANT_ACTION, "action", item, by.text, twice);
    }
}

/// Per statement, the actions that it grants on at least one resource it lists; computed the
/// first time a wildcard reaches less than all its actions.
pub(crate) struct Granted<'d> {
    doc: &'d Doc<'d>,
    resolved: &'d [Vec<Vec<ActionRef<'d>>>],
    sets: OnceCell<Vec<KeySet>>,
}

impl<'d> Granted<'d> {
    fn new(doc: &'d Doc<'d>, resolved: &'d [Vec<Vec<ActionRef<'d>>>]) -> Self {
        Granted {
            doc,
            resolved,
            sets: OnceCell::new(),
        }
    }

    fn get(&self) -> &[KeySet] {
        self.sets
            .get_or_init(|| granted_actions(self.doc, self.resolved))
    }
}

fn granted_actions(doc: &Doc<'_>, resolved: &[Vec<Vec<ActionRef<'_>>>]) -> Vec<KeySet> {
    doc.statements
        .iter()
        .zip(resolved)
        .map(|(stmt, entries)| {
            let mut granted = KeySet::default();
            if !stmt.allow
                || stmt
                    .actions
                    .as_ref()
                    .is_none_or(|l| l.polarity == Polarity::Not)
            {
                return granted;
            }
            let mut cache = ReachCache::default();
            for action in entries.iter().flatten() {
                if stmt_reaches(stmt, action, &mut cache) {
                    granted.insert(action_key(action));
                }
            }
            granted
        })
        .collect()
}

/// Whether resource entry `i` reaches a resource type (by the type's address).
/// Whether a resource entry's text reaches a resource type (by the type's address), for one
/// document: statements often repeat their resources.
pub(crate) type ReachCache<'d> = HashMap<(usize, &'d str), bool, BuildHasherDefault<KeyHasher>>;

/// Whether the statement's resources can reach the action (`NotResource` or no `Resource`:
/// assume yes), with the catalog's corrections: names that may hold `/`, AWS-owned resources
/// with no account, and services that authorize `*`-only actions on a resource type.
fn stmt_reaches<'d>(stmt: &Stmt<'d>, action: &ActionRef<'_>, cache: &mut ReachCache<'d>) -> bool {
    let Some(resources) = stmt
        .resources
        .as_ref()
        .filter(|r| r.polarity == Polarity::Is)
    else {
        return true;
    };
    let service = action.service;
    let corrections = Corrections::get();
    let mut reach_type = |t: &ResourceType, text: &'d str| {
        let key = (std::ptr::from_ref::<ResourceType>(t) as usize, text);
        *cache.entry(key).or_insert_with(|| {
            let rules = reach::Rules {
                service: Some(&service.prefix),
                empty_account: corrections.empty_account(&service.prefix, &t.name),
            };
            reach::reaches_with(text, &t.arn_format, rules)
        })
    };
    if action.takes_only_star() {
        let scoped = corrections
            .scoped(&service.prefix)
            .and_then(|name| service.resource_types().iter().find(|t| t.name == name));
        return resources
            .items
            .iter()
            .any(|r| reach::matches_star(r.text) || scoped.is_some_and(|t| reach_type(t, r.text)));
    }
    resources
        .items
        .iter()
        .any(|r| action.resource_types().any(|(t, _)| reach_type(t, r.text)))
}

fn resource_list(resources: &List<'_>) -> String {
    let names: Vec<String> = resources
        .items
        .iter()
        .map(|r| format!("`{}`", r.text))
        .collect();
    names.join(", ")
}

/// Up to `count` action names as examples: list-level first, then the shortest names (the
/// service's basic actions), then alphabetical.
fn examples(actions: &[&ActionRef<'_>], count: usize) -> String {
    let mut sorted = actions.to_vec();
    sorted.sort_by(|a, b| {
        (a.action.access_level, a.action.name.len(), &a.action.name).cmp(&(
            b.action.access_level,
            b.action.name.len(),
            &b.action.name,
        ))
    });
    let names: Vec<String> = sorted
        .iter()
        .take(count)
        .map(|a| format!("`{}`", a.full_name()))
        .collect();
    let more = if actions.len() > count { ", ..." } else { "" };
    format!("{}{more}", names.join(", "))
}

/// Actions that can never apply to the resources the statement lists.
fn reachability<'d>(
    ctx: &mut Ctx<'_>,
    (stmt, resolved, covered): (&Stmt<'d>, &[Vec<ActionRef<'_>>], &[Option<usize>]),
    (granted, index): (&Granted<'_>, usize),
    cache: &mut ReachCache<'d>,
) {
    let (Some(actions), Some(resources)) = (&stmt.actions, &stmt.resources) else {
        return;
    };
    if actions.polarity == Polarity::Not
        || resources.polarity == Polarity::Not
        || resources.items.is_empty()
    {
        return;
    }
    let listed = resource_list(resources);
    for ((item, found), by) in actions.items.iter().zip(resolved).zip(covered) {
        // An entry another one covers is reported as redundant; its actions are checked there.
        if by.is_some() {
            continue;
        }
        if item.text.contains(['*', '?']) {
            // The actions the wildcard brings that this statement cannot reach, and that no
            // other statement of the policy grants either.
            let unreachable: Vec<&ActionRef<'_>> = found
                .iter()
                .filter(|action| !stmt_reaches(stmt, action, cache))
                .filter(|action| {
                    let key = action_key(action);
                    !granted
                        .get()
                        .iter()
                        .enumerate()
                        .any(|(j, set)| j != index && set.contains(&key))
                })
                .collect();
            wildcard_unreached(ctx, item, found.len(), &unreachable, &listed);
        } else if let Some(action) = found.first()
            && !stmt_reaches(stmt, action, cache)
        {
            action_unreached(ctx, item, action, &listed);
        }
    }
}

/// A named action that no resource of the statement (`listed`) can be.
fn action_unreached(ctx: &mut Ctx<'_>, item: &Item<'_>, action: &ActionRef<'_>, listed: &str) {
    let name = action.full_name();
    if action.takes_only_star() {
        ctx.add(
            code::STAR_ONLY_ACTION_SCOPED,
            At::Value(&item.pointer),
            format!("action `{name}` takes only resource `*`, but this statement names only {listed}: it grants nothing"),
            format!("add a statement with \"Resource\": \"*\" for {name}"),
        );
    } else {
        let types: Vec<String> = action
            .resource_types()
            .map(|(t, _)| format!("{} (`{}`)", t.name, t.arn_format))
            .collect();
        ctx.add(
            code::RESOURCE_MISMATCH,
            At::Value(&item.pointer),
            format!(
                "action `{name}` takes {}, but this statement names only {listed}",
                types.join(" or ")
            ),
            format!(
                "add a resource of that type for {name}, or move it to a statement that names one"
            ),
        );
    }
}

/// A wildcard entry that brings `total` actions, of which `unreachable` can apply to no
/// resource of the statement (`listed`): one finding that says which, grouped by what they take.
fn wildcard_unreached(
    ctx: &mut Ctx<'_>,
    item: &Item<'_>,
    total: usize,
    unreachable: &[&ActionRef<'_>],
    listed: &str,
) {
    if unreachable.is_empty() {
        return;
    }
    let (star_only, typed): (Vec<&ActionRef<'_>>, Vec<&ActionRef<'_>>) = unreachable
        .iter()
        .copied()
        .partition(|a| a.takes_only_star());
    let groups = by_resource_type(&typed);
    let mut parts = Vec::new();
    if let Some((needed, members)) = groups.first() {
        parts.push(format!(
            "{} take a {} ({})",
            members.len(),
            needed.name,
            examples(members, 2)
        ));
    }
    if !star_only.is_empty() {
        parts.push(format!(
            "{} take only `*` ({})",
            star_only.len(),
            examples(&star_only, 3)
        ));
    }
    let others: usize = groups.iter().skip(1).map(|(_, m)| m.len()).sum();
    if others > 0 {
        parts.push(format!("{others} take other resource types"));
    }
    let mut help: Vec<String> = groups
        .iter()
        .take(2)
        .map(|(t, _)| format!("{} (`{}`)", t.name, t.arn_format))
        .collect();
    if !star_only.is_empty() {
        help.push("`*` for the `*`-only ones".to_owned());
    }
    ctx.add(
        code::RESOURCE_MISMATCH,
        At::Value(&item.pointer),
        format!(
            "`{}` on {listed} reaches only {} of its {} actions: {}",
            item.text,
            total - unreachable.len(),
            total,
            parts.join(", ")
        ),
        format!(
            "if they are meant, grant them on the resources they take: {}",
            help.join(", ")
        ),
    );
}

/// Actions grouped by the resource type they take, the largest group first: each action joins
/// the group of its type that most of `actions` take.
fn by_resource_type<'a, 'c>(
    actions: &[&'a ActionRef<'c>],
) -> Vec<(&'c ResourceType, Vec<&'a ActionRef<'c>>)> {
    let mut counts: HashMap<*const ResourceType, usize> = HashMap::new();
    for action in actions {
        for (t, _) in action.resource_types() {
            *counts.entry(std::ptr::from_ref(t)).or_default() += 1;
        }
    }
    let count = |t: &ResourceType| counts.get(&std::ptr::from_ref(t)).copied().unwrap_or(0);
    let mut groups: Vec<(&ResourceType, Vec<&ActionRef<'_>>)> = Vec::new();
    for action in actions {
        let needed = action
            .resource_types()
            .max_by(|(a, _), (b, _)| count(a).cmp(&count(b)).then(b.name.cmp(&a.name)));
        let Some((needed, _)) = needed else { continue };
        match groups.iter_mut().find(|(t, _)| std::ptr::eq(*t, needed)) {
            Some((_, members)) => members.push(action),
            None => groups.push((needed, vec![action])),
        }
    }
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.name.cmp(&b.0.name)));
    groups
}

/// `*:*`, `service:*` on `*`, PassRole on every role, `NotAction` and `NotResource`.
fn broad_access(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, resolved: &[Vec<ActionRef<'_>>]) {
    let Some(actions) = &stmt.actions else { return };
    if actions.polarity == Polarity::Not {
        ctx.add(
            code::ALLOW_NOT_ACTION,
            At::Key(&actions.pointer),
            "`Allow` with `NotAction` grants every action of every service except those listed, including services added later".to_owned(),
            "list the actions to allow in `Action` instead".to_owned(),
        );
    }
    let Some(resources) = &stmt.resources else {
        return;
    };
    if resources.polarity == Polarity::Not {
        ctx.add(
            code::ALLOW_NOT_RESOURCE,
            At::Key(&resources.pointer),
            "`Allow` with `NotResource` grants every resource except those listed, including resources created later".to_owned(),
            "list the resources to allow in `Resource` instead".to_owned(),
        );
        return;
    }
    let star = resources.items.iter().find(|r| reach::matches_star(r.text));
    if actions.polarity == Polarity::Is
        && let Some(star) = star
    {
        for item in &actions.items {
            let text = item.text;
            if text == "*" || text == "*:*" {
                ctx.add(
                    code::FULL_WILDCARD,
                    At::Value(&item.pointer),
                    format!("`{text}` on `{}` allows every action on every resource: full administrator access", star.text),
                    "name the actions the identity needs".to_owned(),
                );
            } else if let Some((prefix, name)) = text.split_once(':')
                && !prefix.contains(['*', '?'])
                && !name.is_empty()
                && name.chars().all(|c| c == '*')
            {
                ctx.add(
                    code::SERVICE_WILDCARD,
                    At::Value(&item.pointer),
                    format!("`{text}` on `{}` allows every action of `{prefix}`, including those added later", star.text),
                    format!("name the `{prefix}` actions the identity needs, or accept this finding with a reason"),
                );
            }
        }
    }
    pass_role(ctx, stmt, resolved);
}

/// `iam:PassRole` on every role (`*`, or a role ARN whose name is only wildcards: a name or
/// path prefix such as `role/AWSGlueServiceRole*` names some roles, not any). A condition on
/// `iam:PassedToService` limits where they go: a warning that names the services then.
fn pass_role(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, resolved: &[Vec<ActionRef<'_>>]) {
    let (Some(actions), Some(resources)) = (&stmt.actions, &stmt.resources) else {
        return;
    };
    if actions.polarity != Polarity::Is || resources.polarity != Polarity::Is {
        return;
    }
    let brings = actions.items.iter().zip(resolved).find(|(_, found)| {
        found
            .iter()
            .any(|a| a.service.prefix == "iam" && a.action.name == "PassRole")
    });
    let every_role = resources.items.iter().find(|r| {
        reach::matches_star(r.text)
            || (reach::reaches(r.text, ROLE_FORMAT) && role_wildcard(r.text))
    });
    let (Some((item, _)), Some(resource)) = (brings, every_role) else {
        return;
    };
    let through = if item.text.eq_ignore_ascii_case("iam:PassRole") {
        String::new()
    } else {
        format!(" (through `{}`)", item.text)
    };
    let services: Vec<String> = stmt
        .conditions
        .iter()
        .filter(|c| {
            c.key.eq_ignore_ascii_case("iam:PassedToService")
                && operator(c).is_some_and(|op| !op.base.is_negated())
        })
        .flat_map(|c| c.values.iter().map(|v| format!("`{v}`")))
        .collect();
    if services.is_empty() {
        ctx.add(
            code::PASS_ROLE_STAR,
            At::Value(&resource.pointer),
            format!("`iam:PassRole`{through} is allowed on `{}`: any role, with its permissions, can be passed to any service", resource.text),
            "allow iam:PassRole in its own statement on the roles to pass, with an `iam:PassedToService` condition".to_owned(),
        );
    } else {
        ctx.add(
            code::PASS_ROLE_STAR_TO_SERVICE,
            At::Value(&resource.pointer),
            format!("`iam:PassRole`{through} is allowed on `{}`: any role, with its permissions, can be passed to {}", resource.text, services.join(", ")),
            "name the roles to pass instead of every role".to_owned(),
        );
    }
}

/// `iam:CreateServiceLinkedRole` on `*` with no `iam:AWSServiceName` condition: service-linked
/// roles for any service.
fn create_service_linked_role(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, resolved: &[Vec<ActionRef<'_>>]) {
    let (Some(actions), Some(resources)) = (&stmt.actions, &stmt.resources) else {
        return;
    };
    if actions.polarity != Polarity::Is || resources.polarity != Polarity::Is {
        return;
    }
    let brings = resolved
        .iter()
        .flatten()
        .any(|a| a.service.prefix == "iam" && a.action.name == "CreateServiceLinkedRole");
    let named = stmt.conditions.iter().any(|c| {
        c.key.eq_ignore_ascii_case("iam:AWSServiceName")
            && operator(c).is_some_and(|op| !op.base.is_negated())
    });
    let Some(star) = resources.items.iter().find(|r| reach::matches_star(r.text)) else {
        return;
    };
    if brings && !named {
        ctx.add(
            code::CREATE_SLR_STAR,
            At::Value(&star.pointer),
            format!("`iam:CreateServiceLinkedRole` is allowed on `{}`: service-linked roles for any service can be created", star.text),
            "name the service-linked role ARNs, or add an `iam:AWSServiceName` condition with the services".to_owned(),
        );
    }
}

/// Whether a role ARN pattern names every role: its name is only wildcards (`role/*`).
fn role_wildcard(pattern: &str) -> bool {
    pattern
        .split_once(":role/")
        .is_some_and(|(_, name)| !name.is_empty() && name.chars().all(|c| c == '*'))
}

/// The key types an operator compares, or `None` for `Null`, which takes any key.
fn accepted_types(op: &Operator) -> Option<&'static [KeyType]> {
    Some(match op.base.as_str() {
        "StringEquals"
        | "StringNotEquals"
        | "StringEqualsIgnoreCase"
        | "StringNotEqualsIgnoreCase"
        | "StringLike"
        | "StringNotLike" => &[KeyType::String, KeyType::Arn],
        "NumericEquals"
        | "NumericNotEquals"
        | "NumericLessThan"
        | "NumericLessThanEquals"
        | "NumericGreaterThan"
        | "NumericGreaterThanEquals" => &[KeyType::Numeric, KeyType::Date],
        "DateEquals"
        | "DateNotEquals"
        | "DateLessThan"
        | "DateLessThanEquals"
        | "DateGreaterThan"
        | "DateGreaterThanEquals" => &[KeyType::Date],
        "Bool" => &[KeyType::Bool],
        "BinaryEquals" => &[KeyType::Binary],
        "IpAddress" | "NotIpAddress" => &[KeyType::IpAddress],
        // AWS's own policies compare string keys that hold ARNs (`kms:EncryptionContext:...`,
        // tags) with ARN operators, and IAM evaluates them.
        "ArnEquals" | "ArnLike" | "ArnNotEquals" | "ArnNotLike" => &[KeyType::Arn, KeyType::String],
        _ => return None,
    })
}

/// An operator for a key type, for help text.
fn operator_for(kind: KeyType) -> &'static str {
    match kind {
        KeyType::Date => "DateGreaterThan",
        KeyType::Numeric => "NumericLessThan",
        KeyType::Bool => "Bool",
        KeyType::IpAddress => "IpAddress",
        KeyType::Arn => "ArnLike",
        KeyType::Binary => "BinaryEquals",
        _ => "StringEquals",
    }
}

/// The condition's operator; `None` for one the parser rejects (it reports it).
fn operator(cond: &Cond<'_>) -> Option<Operator> {
    cond.operator.parse().ok()
}

fn is_mfa_present(cond: &Cond<'_>) -> bool {
    cond.key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent")
        && operator(cond).is_some_and(|op| op.base == OperatorKind::Bool)
        && cond.values.iter().any(|v| v.eq_ignore_ascii_case("true"))
}

/// An Allow of MFA or credential management under `BoolIfExists aws:MultiFactorAuthPresent`.
fn mfa_if_exists(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, resolved: &[Vec<ActionRef<'_>>]) {
    let Some(cond) = stmt.conditions.iter().find(|c| {
        is_mfa_present(c) && operator(c).is_some_and(|op| op.if_exists && op.set.is_none())
    }) else {
        return;
    };
    let mut sensitive: Vec<String> = resolved
        .iter()
        .flatten()
        .map(ActionRef::full_name)
        .filter(|name| CREDENTIAL_ACTIONS.contains(&name.as_str()))
        .collect();
    sensitive.sort();
    sensitive.dedup();
    if sensitive.is_empty() {
        return;
    }
    let shown: Vec<String> = sensitive.iter().take(3).map(|n| format!("`{n}`")).collect();
    let more = if sensitive.len() > 3 { ", ..." } else { "" };
    let verb = if sensitive.len() == 1 { "is" } else { "are" };
    ctx.add(
        code::MFA_BOOL_IF_EXISTS,
        At::Key(&cond.pointer),
        format!(
            "`{}` on `aws:MultiFactorAuthPresent` is also true for requests signed with long-term access keys, which carry no such key: {}{more} {verb} allowed without MFA",
            cond.operator,
            shown.join(", ")
        ),
        "use `Bool` (as AWS's own example policy does) so that only MFA-authenticated sessions match".to_owned(),
    );
}

/// Trust and resource policy principals.
fn trust(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, kind: PolicyKind) {
    let mfa = stmt.conditions.iter().any(|c| {
        let Some(op) = operator(c) else { return false };
        (is_mfa_present(c) && !op.if_exists)
            || (c.key.eq_ignore_ascii_case("aws:MultiFactorAuthAge")
                && op.base.as_str().starts_with("Numeric"))
    });
    // Conditions that narrow "anyone" down to known accounts or organizations.
    let narrowed = stmt.conditions.iter().any(|c| {
        NARROWING_KEYS.iter().any(|k| c.key.eq_ignore_ascii_case(k))
            && operator(c).is_some_and(|op| !op.base.is_negated() && !op.if_exists)
    });
    // A third party's role: the external id, not MFA, is what the trust relies on.
    let external_id = stmt
        .conditions
        .iter()
        .any(|c| c.key.eq_ignore_ascii_case("sts:ExternalId"));
    for (principal_kind, item) in &stmt.principals {
        let any = item.text == "*" && matches!(*principal_kind, "*" | "AWS");
        if any && !narrowed {
            ctx.add(
                code::TRUST_ANY_PRINCIPAL,
                At::Value(&item.pointer),
                "the policy allows any AWS principal, in any account (`\"AWS\": \"*\"`)".to_owned(),
                "name the accounts, roles or users to trust, or restrict with `aws:PrincipalOrgID` or `aws:PrincipalAccount`".to_owned(),
            );
        } else if kind == PolicyKind::Trust
            && *principal_kind == "AWS"
            && is_account_root(item.text)
            && !mfa
            && !external_id
        {
            ctx.add(
                code::TRUST_ROOT_WITHOUT_MFA,
                At::Value(&item.pointer),
                format!("the role trusts `{}`: every user and role of that account that is allowed sts:AssumeRole can assume it, without MFA", item.text),
                "add \"Condition\": {\"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}}, or trust only the users who need the role".to_owned(),
            );
        }
    }
}

/// The account a policy lives in, as its principals would write it, or nothing to compare with.
fn own_account(options: &LintOptions) -> Option<String> {
    options.account.map(|account| match account {
        OwnAccount::Placeholder => iamkit_arn::Template::ACCOUNT_ID.to_owned(),
        OwnAccount::Id(id) => id.to_string(),
    })
}

/// `AWS` principals of an account other than the policy's own: whoever that account lets call
/// `sts:AssumeRole` (or the resource's actions) gets in. Only an acceptance that names the
/// account covers it, so accepting one account never accepts another.
fn cross_account(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>, kind: PolicyKind, own: Option<&str>) {
    let Some(own) = own else { return };
    for (principal_kind, item) in &stmt.principals {
        if *principal_kind != "AWS" {
            continue;
        }
        let Some(account) = principal_account(item.text).filter(|a| a.as_str() != own) else {
            continue;
        };
        let (message, help) = match kind {
            PolicyKind::Trust => (
                format!(
                    "the role trusts `{}` of account `{account}`, which is not this account: that account decides who of it may assume the role",
                    item.text
                ),
                format!(
                    "if `{account}` is this account, write `account = \"self\"` in the manifest (`<account-id>` in a policy file); otherwise accept it in `lint.toml` with `account = \"{account}\"` and a reason"
                ),
            ),
            _ => (
                format!(
                    "the policy grants access to `{}` of account `{account}`, which is not this account",
                    item.text
                ),
                format!(
                    "if `{account}` is this account, write `<account-id>`; otherwise accept it in `lint.toml` with `account = \"{account}\"` and a reason"
                ),
            ),
        };
        ctx.add_about(
            code::TRUST_CROSS_ACCOUNT,
            At::Value(&item.pointer),
            message,
            help,
            Some(&account),
        );
    }
}

/// The account an `AWS` principal belongs to: a bare account id, the `<account-id>`
/// placeholder, or the twelve digits of an ARN's account field. `*` and patterns belong to
/// no one account.
fn principal_account(text: &str) -> Option<String> {
    let is_account = |s: &str| {
        s == iamkit_arn::Template::ACCOUNT_ID
            || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
    };
    if is_account(text) {
        return Some(text.to_owned());
    }
    arn_account(text)
        .filter(|account| is_account(account))
        .map(str::to_owned)
}

/// Condition keys that restrict a `"*"` principal to known accounts or organizations.
const NARROWING_KEYS: &[&str] = &[
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
];

/// `arn:aws:iam::123456789012:root`, a bare account id, or the `<account-id>` placeholder.
fn is_account_root(text: &str) -> bool {
    let account =
        |s: &str| s == "<account-id>" || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()));
    if account(text) {
        return true;
    }
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "iam", "", acct, "root"] if account(acct))
}

/// ARNs in `Resource`, `NotResource` and `AWS` or `Federated` principals whose account can
/// never be an account's: IAM stores such a resource, but it matches nothing.
fn arn_accounts(ctx: &mut Ctx<'_>, stmt: &Stmt<'_>) {
    let resources = stmt.resources.iter().flat_map(|list| {
        let consequence = match list.polarity {
            Polarity::Is => "this resource matches nothing",
            Polarity::Not => "this entry excludes nothing",
        };
        list.items.iter().map(move |item| (item, consequence))
    });
    let principals = stmt
        .principals
        .iter()
        .filter(|(kind, _)| matches!(*kind, "AWS" | "Federated"))
        .map(|(_, item)| (item, "no principal has this ARN"));
    for (item, consequence) in resources.chain(principals) {
        let Some(account) = arn_account(item.text).filter(|a| !account_may_match(a)) else {
            continue;
        };
        let digits: String = account
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .collect();
        let help = if digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()) {
            format!("write the account id without separators: `{digits}`")
        } else {
            "an account id is twelve digits, such as `123456789012`; write `*` for any account, or `<account-id>` in a template".to_owned()
        };
        ctx.add(
            code::INVALID_ARN_ACCOUNT,
            At::Value(&item.pointer),
            format!(
                "the account `{account}` in `{}` is not a 12-digit account id: {consequence}",
                item.text
            ),
            help,
        );
    }
}

/// The account field (the fifth) of an ARN-shaped text with a resource part. Colons inside a
/// policy variable (`${aws:PrincipalAccount}`) do not separate fields.
fn arn_account(text: &str) -> Option<&str> {
    if !text.starts_with("arn:") {
        return None;
    }
    let mut field = 0;
    let mut start = 0;
    let mut in_variable = false;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '{' if previous == '$' => in_variable = true,
            '}' if in_variable => in_variable = false,
            ':' if !in_variable => {
                if field == 4 {
                    return text.get(start..i);
                }
                field += 1;
                start = i + 1;
            }
            _ => {}
        }
        previous = c;
    }
    // A text that stops before its resource is the parser's to report.
    None
}

/// Whether an ARN's account field can match a real account: empty (S3), `aws` (AWS managed
/// policies), twelve digits, a wildcard pattern that some twelve digits match, a policy
/// variable, or a `<placeholder>` (filled in later, or reported on its own).
fn account_may_match(account: &str) -> bool {
    if account.is_empty()
        || account.contains("${")
        || !find_placeholders(account).is_empty()
        || Pattern::new(account).matches("aws")
    {
        return true;
    }
    // `*` may stand for nothing; every other character stands for one digit.
    let length = account.chars().filter(|&c| c != '*').count();
    let open = account.contains('*');
    account
        .chars()
        .all(|c| matches!(c, '*' | '?') || c.is_ascii_digit())
        && length <= 12
        && (open || length == 12)
}

/// Condition keys and operators.
fn conditions(
    ctx: &mut Ctx<'_>,
    catalog: &Catalog,
    stmt: &Stmt<'_>,
    resolved: &[Vec<ActionRef<'_>>],
) {
    let any_action = stmt
        .actions
        .as_ref()
        .is_none_or(|l| l.polarity == Polarity::Not || l.items.iter().any(|i| i.text == "*"));
    let actions: Vec<&ActionRef<'_>> = resolved.iter().flatten().collect();
    for cond in &stmt.conditions {
        let Some(op) = operator(cond) else { continue };
        let Some(kind) = key_type(ctx, catalog, cond, &actions, any_action) else {
            continue;
        };
        if let Some(accepted) = accepted_types(&op)
            && !accepted.contains(&kind.element())
        {
            ctx.add(
                code::OPERATOR_TYPE_MISMATCH,
                At::Key(&cond.pointer),
                format!(
                    "`{}` does not compare {} values, the type of `{}`",
                    cond.operator,
                    kind.element(),
                    cond.key
                ),
                format!(
                    "use an operator for {} keys, such as `{}`",
                    kind.element(),
                    operator_for(kind.element())
                ),
            );
        }
        if let Some(set) = op.set.map(SetQualifier::prefix)
            && !kind.is_multivalued()
        {
            let set = set.trim_end_matches(':');
            let help = if set == "ForAllValues" {
                format!(
                    "remove `{set}:`: on a single-valued key it also matches requests that do not carry the key"
                )
            } else {
                format!("remove `{set}:`: a single-valued key needs no set operator")
            };
            ctx.add(
                code::SET_OPERATOR_SINGLE_VALUED,
                At::Key(&cond.operator_pointer),
                format!(
                    "`{set}` is for multivalued keys, but `{}` has a single value",
                    cond.key
                ),
                help,
            );
        }
    }
}

/// The type of a condition key for the statement's actions; reports unknown and inapplicable
/// keys.
fn key_type(
    ctx: &mut Ctx<'_>,
    catalog: &Catalog,
    cond: &Cond<'_>,
    actions: &[&ActionRef<'_>],
    any_action: bool,
) -> Option<KeyType> {
    let key = cond.key;
    if let Some(global) = catalog.global_key(key) {
        return Some(global.kind);
    }
    if let Some(kind) = actions
        .iter()
        .find_map(|a| a.condition_key(key))
        .map(|k| k.kind)
    {
        return Some(kind);
    }
    let prefix = key.split_once(':').map_or(key, |(p, _)| p);
    let anywhere = catalog
        .service(prefix)
        .and_then(|s| s.condition_key(key))
        .or_else(|| catalog.services().iter().find_map(|s| s.condition_key(key)))
        .map(|found| found.kind);
    // The catalog lists the claims of a few identity providers only; IAM has them for every
    // OIDC provider, in requests to assume a role with a web identity.
    let claim = anywhere.is_none() && is_oidc_claim(key);
    if claim
        && actions
            .iter()
            .any(|a| a.full_name().eq_ignore_ascii_case(WEB_IDENTITY_ACTION))
    {
        return Some(KeyType::String);
    }
    match anywhere.or(claim.then_some(KeyType::String)) {
        Some(kind) if any_action => Some(kind),
        Some(kind) => {
            ctx.add(
                code::CONDITION_KEY_NOT_APPLICABLE,
                At::Key(&cond.pointer),
                format!("none of the statement's actions supports the condition key `{key}`"),
                "a request for these actions never carries the key; check the Service Authorization Reference".to_owned(),
            );
            Some(kind)
        }
        None => {
            let help = if prefix.eq_ignore_ascii_case("aws") {
                "global condition keys are listed in the IAM User Guide".to_owned()
            } else {
                format!("`{prefix}` defines no such key; check the Service Authorization Reference")
            };
            ctx.add(
                code::UNKNOWN_CONDITION_KEY,
                At::Key(&cond.pointer),
                format!("`{key}` is not a condition key"),
                help,
            );
            None
        }
    }
}

/// The action whose requests carry an OIDC provider's claims.
const WEB_IDENTITY_ACTION: &str = "sts:AssumeRoleWithWebIdentity";

/// The claims IAM offers as condition keys for any OIDC provider, prefixed by the provider's
/// URL without `https://` (`token.actions.githubusercontent.com:sub`).
const OIDC_CLAIMS: &[&str] = &["amr", "aud", "azp", "email", "oaud", "sub"];

/// Whether `key` is an OIDC provider's claim: a host name (it has a dot, which no service
/// prefix has), optionally with a path, then `:` and a claim.
fn is_oidc_claim(key: &str) -> bool {
    key.rsplit_once(':').is_some_and(|(provider, claim)| {
        let host = provider.split('/').next().unwrap_or_default();
        host.contains('.')
            && !host.starts_with('.')
            && !host.ends_with('.')
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            && OIDC_CLAIMS.iter().any(|c| c.eq_ignore_ascii_case(claim))
    })
}

/// Statements that are the same apart from their `Sid`.
fn duplicates(ctx: &mut Ctx<'_>, doc: &Doc<'_>) {
    let bodies: Vec<Value> = doc
        .statements
        .iter()
        .map(|s| {
            let mut body = s.value.clone();
            if let Some(map) = body.as_object_mut() {
                map.shift_remove("Sid");
            }
            body
        })
        .collect();
    for (j, stmt) in doc.statements.iter().enumerate() {
        if let Some(i) = (0..j).find(|&i| bodies.get(i) == bodies.get(j)) {
            let first = doc.statements.get(i).map_or(i.to_string(), |s| {
                s.sid()
                    .map_or(format!("statement {i}"), |sid| format!("statement `{sid}`"))
            });
            ctx.add(
                code::DUPLICATE_STATEMENT,
                At::Value(&stmt.pointer),
                format!("this statement repeats {first}"),
                "remove one of them".to_owned(),
            );
        }
    }
}

/// A group, user or role of the manifest with the managed policies attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// `group`, `user` or `role`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The managed policies attached to it.
    pub policies: Vec<String>,
    /// Where it is defined in the manifest (1-based).
    pub line: usize,
    /// Column of the definition (1-based).
    pub column: usize,
}

/// Quota checks on the manifest: more than 10 managed policies on one identity.
pub fn lint_attachments(file: &str, attachments: &[Attachment]) -> Vec<Finding> {
    attachments
        .iter()
        .filter(|a| a.policies.len() > ATTACHMENT_LIMIT)
        .map(|a| {
            let help = if a.kind == "group" {
                "the limit for groups is fixed: merge policies, or split the group".to_owned()
            } else {
                "merge policies, or raise the quota to 20 through Service Quotas".to_owned()
            };
            Finding {
                severity: Severity::Error,
                code: code::TOO_MANY_POLICIES,
                file: file.to_owned(),
                line: a.line,
                column: a.column,
                pointer: String::new(),
                message: format!(
                    "{} `{}` has {} managed policies attached; IAM allows {ATTACHMENT_LIMIT}",
                    a.kind,
                    a.name,
                    a.policies.len()
                ),
                help,
                account: None,
                accepted: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found() {
        assert_eq!(
            find_placeholders("arn:aws:iam::<account-id>:role/<role-name>"),
            ["<account-id>", "<role-name>"]
        );
        assert!(find_placeholders("a < b > c").is_empty());
        assert!(find_placeholders("<>").is_empty());
        assert_eq!(find_placeholders("<<x>"), ["<x>"]);
    }

    #[test]
    fn account_roots() {
        assert!(is_account_root("arn:aws:iam::123456789012:root"));
        assert!(is_account_root("arn:aws:iam::<account-id>:root"));
        assert!(is_account_root("123456789012"));
        assert!(!is_account_root("arn:aws:iam::123456789012:user/dev-user"));
        assert!(!is_account_root("12345"));
    }

    #[test]
    fn account_fields() {
        assert_eq!(arn_account("arn:aws:iam::12345:role/admin"), Some("12345"));
        assert_eq!(arn_account("arn:aws:s3:::bucket/a:b"), Some(""));
        assert_eq!(
            arn_account("arn:aws:iam::${aws:PrincipalAccount}:role/x"),
            Some("${aws:PrincipalAccount}")
        );
        assert_eq!(arn_account("arn:aws:s3:*"), None);
        assert_eq!(arn_account("arn:aws:iam::12345"), None);
        assert_eq!(arn_account("*"), None);
        assert_eq!(arn_account("cognito-identity.amazonaws.com"), None);
    }

    #[test]
    fn accounts_that_may_match() {
        for fine in [
            "",
            "aws",
            "123456789012",
            "*",
            "1234*",
            "123456789012*",
            "12345678901?",
            "${aws:PrincipalAccount}",
            "<account-id>",
            "<other>",
        ] {
            assert!(account_may_match(fine), "{fine}");
        }
        for never in [
            "12345",
            "12345678901a",
            "1234567890123",
            "1234-5678-9012",
            "1234567890123*",
            "12a*",
            "self",
        ] {
            assert!(!account_may_match(never), "{never}");
        }
    }

    #[test]
    fn oidc_claims() {
        assert!(is_oidc_claim("token.actions.githubusercontent.com:sub"));
        assert!(is_oidc_claim("token.actions.githubusercontent.com:aud"));
        assert!(is_oidc_claim("auth.example.com/tenant:email"));
        assert!(!is_oidc_claim("token.actions.githubusercontent.com:nope"));
        assert!(!is_oidc_claim("sts:sub"));
        assert!(!is_oidc_claim("aws:sub"));
        assert!(!is_oidc_claim(".com:sub"));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("s3", "s4"), 1);
        assert_eq!(edit_distance("getobject", "getobjects"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("GetObjekt", ["GetObject", "PutObject"].into_iter()),
            Some("GetObject")
        );
        assert_eq!(closest("xyz", ["GetObject"].into_iter()), None);
    }

    #[test]
    fn operator_types() {
        let op: Operator = "ForAllValues:StringLikeIfExists".parse().unwrap();
        assert_eq!(
            accepted_types(&op),
            Some(&[KeyType::String, KeyType::Arn][..])
        );
        let op: Operator = "Null".parse().unwrap();
        assert!(accepted_types(&op).is_none());
        let op: Operator = "DateLessThan".parse().unwrap();
        assert_eq!(accepted_types(&op), Some(&[KeyType::Date][..]));
    }
}
