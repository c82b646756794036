//! `cargo xtask` as a user types it: the plan shows what changes, and the exit status tells a
//! script whether anything would.

use iamkit_e2e::{text, xtask};

/// `setup --dry-run --detailed-exitcode` exits 0 on a converged account and 2 with changes
/// pending, as `terraform plan -detailed-exitcode` does; the plan shows a changed document's
/// lines.
#[test]
fn a_dry_run_shows_the_diff_and_its_exit_status_says_whether_anything_would_change() {
    let emulator = iamkit_e2e::own();
    let endpoint = emulator.endpoint();
    let copy = iamkit_e2e::policies_copy();
    let zip = iamkit_e2e::empty_zip(&copy);
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
