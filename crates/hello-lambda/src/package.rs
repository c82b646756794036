//! Packaging for the `provided.al2023` runtime: build `bootstrap`, check it, zip it.
//!
//! [`package`] runs `cargo build --profile lambda --bin bootstrap`, reads the binary's ELF
//! version needs to check that it asks for no glibc newer than Amazon Linux 2023's
//! ([`GLIBC_CEILING`]), and writes `<target>/lambda/hello/bootstrap.zip` with one executable
//! entry, `bootstrap`. The zip is byte-for-byte reproducible for the same binary (fixed
//! timestamp and mode), so its SHA-256 changes only when the code does.
//!
//! ```no_run
//! let packaged = iamkit_hello_lambda::package::package()?;
//! println!("{} ({} bytes, sha256 {})", packaged.zip.display(), packaged.zip_size, packaged.sha256);
//! # Ok::<(), iamkit_hello_lambda::package::PackageError>(())
//! ```

use std::{
    fmt,
    io::{self, Read, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

/// The glibc of Amazon Linux 2023, which `provided.al2023` runs on.
pub const GLIBC_CEILING: GlibcVersion = GlibcVersion {
    major: 2,
    minor: 34,
    patch: 0,
};

/// The largest zip [`package`] writes. Lambda takes 50 MB zipped; ours is a budget.
pub const ZIP_LIMIT: u64 = 5 * 1024 * 1024;

/// The name of the one entry in the zip: what `provided.al2023` executes.
pub const ENTRY: &str = "bootstrap";

/// A glibc symbol version such as `2.34` or `2.2.5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion {
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The third part, 0 when absent.
    pub patch: u32,
}

impl GlibcVersion {
    /// Parses the part after `GLIBC_` (`2.34`, `2.2.5`); `None` for anything else
    /// (`GLIBC_PRIVATE`).
    pub fn parse(text: &str) -> Option<GlibcVersion> {
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = match parts.next() {
            Some(part) => part?,
            None => 0,
        };
        parts.next().is_none().then_some(GlibcVersion {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

/// The result of [`package`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackagedLambda {
    /// The zip: `<target>/lambda/hello/bootstrap.zip`.
    pub zip: PathBuf,
    /// SHA-256 of the zip, lowercase hex.
    pub sha256: String,
    /// SHA-256 of the zip, base64: the form Lambda reports as `CodeSha256`.
    pub code_sha256: String,
    /// Size of the zip in bytes.
    pub zip_size: u64,
    /// The binary that was zipped.
    pub binary: PathBuf,
    /// Size of the binary in bytes.
    pub binary_size: u64,
    /// The newest glibc symbol version the binary needs (`None`: no glibc at all).
    pub glibc: Option<GlibcVersion>,
    /// How long `cargo build` took (nearly nothing when the binary was up to date).
    pub build_time: Duration,
}

/// Why packaging failed.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// `cargo build` failed or could not run; its diagnostics went to stderr.
    #[error("`cargo build --profile lambda --bin bootstrap` failed: {0}")]
    Build(String),
    /// `cargo build` succeeded but named no `bootstrap` executable.
    #[error("`cargo build` reported no `bootstrap` executable")]
    NoBinary,
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The binary is not an ELF file we can read.
    #[error("{}: not a readable ELF file: {message}", path.display())]
    Elf {
        /// The binary.
        path: PathBuf,
        /// What the ELF reader said.
        message: String,
    },
    /// The binary needs a newer glibc than `provided.al2023` has.
    #[error(
        "{}: needs GLIBC_{needs}, but provided.al2023 has glibc {GLIBC_CEILING}",
        path.display()
    )]
    GlibcTooNew {
        /// The binary.
        path: PathBuf,
        /// The newest version it needs.
        needs: GlibcVersion,
    },
    /// The zip is over [`ZIP_LIMIT`].
    #[error("{}: {size} bytes, over the budget of {ZIP_LIMIT} bytes", path.display())]
    TooLarge {
        /// The zip.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The zip could not be written or read.
    #[error("{}: {message}", path.display())]
    Zip {
        /// The zip.
        path: PathBuf,
        /// What the zip library said.
        message: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The workspace this crate belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds `bootstrap` with the `lambda` profile, checks its glibc needs, and writes the zip.
/// cargo's own output goes to stderr. Builds into `$CARGO_TARGET_DIR` when set, like cargo.
pub fn package() -> Result<PackagedLambda, PackageError> {
    package_with(&[])
}

/// [`package`], with `cargo --config` values for the build, such as
/// `profile.lambda.lto="thin"`: how `cargo xtask bench --lambda-profile` tries the profile's
/// options without editing `Cargo.toml`. They override the profile (and change cargo's
/// fingerprint, so the next [`package`] rebuilds).
pub fn package_with(config: &[String]) -> Result<PackagedLambda, PackageError> {
    let started = Instant::now();
    let binary = build(&workspace_root(), config)?;
    let build_time = started.elapsed();
    let bytes = std::fs::read(&binary).map_err(io_err(&binary))?;
    let glibc = glibc_requirement(&bytes).map_err(|message| PackageError::Elf {
        path: binary.clone(),
        message,
    })?;
    if let Some(needs) = glibc
        && needs > GLIBC_CEILING
    {
        return Err(PackageError::GlibcTooNew {
            path: binary,
            needs,
        });
    }
    let dir = binary
        .parent()
        .map(|p| p.join("hello"))
        .unwrap_or_else(|| PathBuf::from("hello"));
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let zip = dir.join("bootstrap.zip");
    let archive = write_zip(&bytes)?;
    let zip_size = archive.len() as u64;
    if zip_size > ZIP_LIMIT {
        return Err(PackageError::TooLarge {
            path: zip,
            size: zip_size,
        });
    }
    // Write beside it, then rename: a reader never sees half a zip.
    let partial = dir.join(format!("bootstrap.zip.partial-{}", std::process::id()));
    std::fs::write(&partial, &archive).map_err(io_err(&partial))?;
    std::fs::rename(&partial, &zip).map_err(io_err(&zip))?;
    let digest = Sha256::digest(&archive);
    Ok(PackagedLambda {
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        code_sha256: aws_smithy_types::base64::encode(digest.as_slice()),
        zip,
        zip_size,
        binary,
        binary_size: bytes.len() as u64,
        glibc,
        build_time,
    })
}

fn build(workspace: &Path, config: &[String]) -> Result<PathBuf, PackageError> {
    let sh = xshell::Shell::new().map_err(|e| PackageError::Build(e.to_string()))?;
    sh.change_dir(workspace);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let config = config.iter().flat_map(|value| ["--config", value.as_str()]);
    let output = xshell::cmd!(
        sh,
        "{cargo} build {config...} --profile lambda --package iamkit-hello-lambda --bin bootstrap --message-format=json-render-diagnostics"
    )
    .quiet()
    .read()
    .map_err(|e| PackageError::Build(e.to_string()))?;
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["name"] == "bootstrap"
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or(PackageError::NoBinary)
}

/// The zip's bytes: one entry, `bootstrap`, mode 0755, a fixed timestamp.
fn write_zip(binary: &[u8]) -> Result<Vec<u8>, PackageError> {
    let zip_err = |e: &dyn fmt::Display| PackageError::Zip {
        path: PathBuf::from(ENTRY),
        message: e.to_string(),
    };
    let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .last_modified_time(zip::DateTime::default());
    writer.start_file(ENTRY, options).map_err(|e| zip_err(&e))?;
    writer.write_all(binary).map_err(|e| zip_err(&e))?;
    let cursor = writer.finish().map_err(|e| zip_err(&e))?;
    Ok(cursor.into_inner())
}

/// What a deployment zip holds, as Lambda would unpack it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipContents {
    /// Every entry's name, in order.
    pub names: Vec<String>,
    /// The bytes of the `bootstrap` entry, if there is one.
    pub bootstrap: Option<Vec<u8>>,
    /// The Unix mode of the `bootstrap` entry, if recorded.
    pub bootstrap_mode: Option<u32>,
}

/// Reads a deployment zip.
pub fn read_zip(path: &Path) -> Result<ZipContents, PackageError> {
    let zip_err = |e: &dyn fmt::Display| PackageError::Zip {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| zip_err(&e))?;
    let mut contents = ZipContents {
        names: Vec::new(),
        bootstrap: None,
        bootstrap_mode: None,
    };
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| zip_err(&e))?;
        let name = entry.name().map_err(|e| zip_err(&e))?.into_owned();
        if name == ENTRY {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(io_err(path))?;
            contents.bootstrap = Some(bytes);
            contents.bootstrap_mode = entry.unix_mode();
        }
        contents.names.push(name);
    }
    Ok(contents)
}

/// Unpacks the zip's `bootstrap` into `dir` as Lambda does into `/var/task` (with the mode
/// the zip records) and returns its path. The file is written beside its final name and
/// renamed, so a process still running an older copy is not disturbed.
pub fn unpack(zip: &Path, dir: &Path) -> Result<PathBuf, PackageError> {
    use std::os::unix::fs::PermissionsExt;
    let contents = read_zip(zip)?;
    let Some(bytes) = contents.bootstrap else {
        return Err(PackageError::Zip {
            path: zip.to_owned(),
            message: format!("no `{ENTRY}` entry (entries: {:?})", contents.names),
        });
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let target = dir.join(ENTRY);
    let partial = dir.join(format!("{ENTRY}.partial-{}", std::process::id()));
    std::fs::write(&partial, &bytes).map_err(io_err(&partial))?;
    let mode = contents.bootstrap_mode.unwrap_or(0o644) & 0o7777;
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(mode))
        .map_err(io_err(&partial))?;
    std::fs::rename(&partial, &target).map_err(io_err(&target))?;
    Ok(target)
}

/// The newest `GLIBC_x.y` version an ELF binary needs, read from its `SHT_GNU_VERNEED`
/// section: what the dynamic loader will demand of the machine, whatever the build host had.
/// `Ok(None)` for a binary that needs no versioned glibc symbol (a static one).
pub fn glibc_requirement(elf: &[u8]) -> Result<Option<GlibcVersion>, String> {
    use object::read::elf::ElfFile64;
    let file = ElfFile64::<object::Endianness>::parse(elf).map_err(|e| e.to_string())?;
    let endian = file.endian();
    let sections = file.elf_section_table();
    let Some((mut needs, link)) = sections
        .gnu_verneed(endian, elf)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let strings = sections
        .strings(endian, elf, link)
        .map_err(|e| e.to_string())?;
    let mut newest: Option<GlibcVersion> = None;
    while let Some((_need, mut aux)) = needs.next().map_err(|e| e.to_string())? {
        while let Some(entry) = aux.next().map_err(|e| e.to_string())? {
            let name = entry.name(endian, strings).map_err(|e| e.to_string())?;
            let version = std::str::from_utf8(name)
                .ok()
                .and_then(|n| n.strip_prefix("GLIBC_"))
                .and_then(GlibcVersion::parse);
            if version > newest {
                newest = version;
            }
        }
    }
    Ok(newest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_parse_and_order() {
        let v = |s| GlibcVersion::parse(s).unwrap();
        assert!(v("2.2.5") < v("2.3"));
        assert!(v("2.34") > v("2.17"));
        assert!(v("2.35") > GLIBC_CEILING);
        assert_eq!(v("2.34"), GLIBC_CEILING);
        assert_eq!(v("2.2.5").to_string(), "2.2.5");
        assert_eq!(v("2.34").to_string(), "2.34");
        assert_eq!(GlibcVersion::parse("PRIVATE"), None);
        assert_eq!(GlibcVersion::parse("2"), None);
        assert_eq!(GlibcVersion::parse("2.3.4.5"), None);
    }

    #[test]
    fn the_running_test_binary_has_glibc_needs() {
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let needs = glibc_requirement(&bytes).unwrap().unwrap();
        assert!(needs >= GlibcVersion::parse("2.2.5").unwrap(), "{needs}");
    }

    #[test]
    fn text_is_not_elf() {
        assert!(glibc_requirement(b"#!/bin/sh\necho hi\n").is_err());
    }

    #[test]
    fn the_zip_is_reproducible_and_holds_one_executable() {
        let first = write_zip(b"\x7fELF pretend").unwrap();
        let second = write_zip(b"\x7fELF pretend").unwrap();
        assert_eq!(first, second);
        let path = std::env::temp_dir().join(format!("iamkit-zip-{}.zip", std::process::id()));
        std::fs::write(&path, &first).unwrap();
        let contents = read_zip(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(contents.names, ["bootstrap"]);
        assert_eq!(contents.bootstrap.as_deref(), Some(&b"\x7fELF pretend"[..]));
        assert_eq!(contents.bootstrap_mode.map(|m| m & 0o777), Some(0o755));

        let dir = std::env::temp_dir().join(format!("iamkit-unpack-{}", std::process::id()));
        std::fs::write(&path, &first).unwrap();
        let unpacked = unpack(&path, &dir).unwrap();
        std::fs::remove_file(&path).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&unpacked).unwrap().permissions(),
        );
        let bytes = std::fs::read(&unpacked).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(bytes, b"\x7fELF pretend");
        assert_eq!(mode & 0o777, 0o755);
    }
}
