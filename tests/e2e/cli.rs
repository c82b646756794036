//! `cargo xtask` as a user types it: the plan shows what changes, and the exit status tells a
//! script whether anything would.

use std::path::{Path, PathBuf};

use iamkit_e2e::xtask;

/// A copy of `policies/` to change, and the smallest zip the emulator takes as a function's
/// code (it stores code and never runs it).
fn workspace() -> (PathBuf, PathBuf) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let copy = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-cli"));
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
        }
    }
    let zip = copy.join("code.zip");
    let mut empty = vec![0x50, 0x4b, 0x05, 0x06];
    empty.extend([0u8; 18]);
    std::fs::write(&zip, empty).unwrap();
    (copy, zip)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `setup --dry-run --detailed-exitcode` exits 0 on a converged account and 2 with changes
/// pending, as `terraform plan -detailed-exitcode` does; the plan shows a changed document's
/// lines.
#[test]
fn a_dry_run_shows_the_diff_and_its_exit_status_says_whether_anything_would_change() {
    let emulator = iamkit_e2e::own();
    let endpoint = emulator.endpoint();
    let (copy, zip) = workspace();
    let manifest = copy.join("baseline.toml");
    let setup = |extra: &[&str]| {
        let mut args = vec![
            "setup",
            "--manifest",
            manifest.to_str().unwrap(),
            "--endpoint-url",
            &endpoint,
            "--lambda-zip",
            zip.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        xtask(&args)
    };
    let applied = setup(&[]);
    assert!(applied.status.success(), "{}", text(&applied.stderr));

    let converged = setup(&["--dry-run", "--detailed-exitcode"]);
    assert_eq!(
        converged.status.code(),
        Some(0),
        "{}",
        text(&converged.stderr)
    );
    assert!(
        text(&converged.stdout).contains("No changes."),
        "{}",
        text(&converged.stdout)
    );

    let file = copy.join("enable-list-roles.json");
    let policy = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        policy.replace("\"iam:ListRoles\"", "[\"iam:ListRoles\", \"iam:GetRole\"]"),
    )
    .unwrap();
    let pending = setup(&["--dry-run", "--detailed-exitcode"]);
    let stdout = text(&pending.stdout);
    assert_eq!(
        pending.status.code(),
        Some(2),
        "{stdout}\n{}",
        text(&pending.stderr)
    );
    assert!(stdout.contains("~ policy enable-list-roles"), "{stdout}");
    let marked = |sign: char, text: &str| {
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with(sign) && l.contains(text))
    };
    assert!(marked('+', "\"iam:GetRole\""), "{stdout}");
    assert!(marked('-', "\"Action\": \"iam:ListRoles\","), "{stdout}");
    // Nothing was written: the dry run leaves the change pending.
    let again = setup(&["--dry-run", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(2));
    std::fs::remove_dir_all(&copy).unwrap();
}
