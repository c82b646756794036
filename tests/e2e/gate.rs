//! Setup never writes what lint rejects: `cargo xtask lint` and `cargo xtask setup` decide
//! "may this be written" with one function (`iamkit_stack::review`), so a manifest that
//! lint rejects stops setup with the findings and not a single request sent.

use std::path::Path;

use iamkit_e2e::{proxy::Proxy, text, xtask};

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", file.display());
    std::fs::write(file, text.replace(from, to)).unwrap();
}

/// `cargo xtask setup` of the copy through a proxy in front of `emulator`: its output, and
/// how many requests reached the emulator.
async fn setup(
    emulator: &iamkit_emulator::Emulator,
    copy: &Path,
    extra: &[&str],
) -> (std::process::Output, usize) {
    let proxy = Proxy::start(&emulator.endpoint()).await.unwrap();
    let endpoint = proxy.endpoint();
    // Never packaged: a refused manifest stops before the Lambda is built.
    let zip = copy.join("bootstrap.zip");
    std::fs::write(&zip, b"PK").unwrap();
    let manifest = copy.join("baseline.toml");
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
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        xtask(&args)
    })
    .await
    .unwrap();
    (output, proxy.counts().total)
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_refuses_a_policy_that_lint_rejects_and_sends_nothing() {
    let copy = iamkit_e2e::policies_copy();
    edit(
        &copy.join("enable-list-roles.json"),
        "\"iam:ListRoles\"",
        "\"iam:*\"",
    );

    let lint = xtask(&["lint", copy.to_str().unwrap()]);
    let lint_out = text(&lint.stdout);
    assert_eq!(lint.status.code(), Some(1), "{lint_out}");
    assert!(
        lint_out.contains("security[service-wildcard]")
            && lint_out.contains("enable-list-roles.json"),
        "{lint_out}"
    );

    let (output, requests) = setup(iamkit_e2e::shared(), &copy, &[]).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("enable-list-roles.json:") && l.contains("[service-wildcard]"))
        .unwrap_or_else(|| panic!("no located finding in:\n{stderr}"));
    assert!(line.starts_with("error: "), "{line}");
    assert!(stderr.contains("  help: "), "{stderr}");
    assert!(stderr.contains("nothing was sent to AWS"), "{stderr}");
    assert_eq!(requests, 0, "setup sent requests:\n{stderr}");
    std::fs::remove_dir_all(&copy).unwrap();
}

/// A trust of another account is a finding of its own, which the acceptance of
/// `trust-root-without-mfa` does not cover; accepted with its account, lint and setup agree
/// again (setup plans it, sending only reads).
#[tokio::test(flavor = "multi_thread")]
async fn a_cross_account_trust_needs_an_acceptance_that_names_the_account() {
    let copy = iamkit_e2e::policies_copy();
    edit(
        &copy.join("baseline.toml"),
        "trust = { account = \"self\" }",
        "trust = { account = \"123456789013\" }",
    );
    let lint = xtask(&["lint", copy.to_str().unwrap()]);
    let lint_out = text(&lint.stdout);
    assert_eq!(lint.status.code(), Some(1), "{lint_out}");
    assert!(
        lint_out.contains("security[trust-cross-account]"),
        "{lint_out}"
    );
    let (refused, requests) = setup(iamkit_e2e::shared(), &copy, &["--dry-run"]).await;
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("[trust-cross-account]"), "{stderr}");
    assert!(stderr.contains("account = \"123456789013\""), "{stderr}");
    assert_eq!(requests, 0, "{stderr}");

    let accept = |account: &str| {
        let mut text = std::fs::read_to_string(copy.join("lint.toml")).unwrap();
        text.push_str(&format!(
            "\n[[accept]]\ncode = \"trust-cross-account\"\naccount = \"{account}\"\nreason = \"the auditors' account\"\n"
        ));
        std::fs::write(copy.join("lint.toml"), text).unwrap();
    };
    accept("123456789014");
    let (other, requests) = setup(iamkit_e2e::shared(), &copy, &["--dry-run"]).await;
    assert_eq!(other.status.code(), Some(1), "{}", text(&other.stderr));
    assert_eq!(requests, 0);

    accept("123456789013");
    let lint = xtask(&["lint", copy.to_str().unwrap()]);
    assert_eq!(lint.status.code(), Some(0), "{}", text(&lint.stdout));
    // An empty account of its own, so that the plan creates the role.
    let emulator = iamkit_e2e::own();
    let (planned, requests) = setup(&emulator, &copy, &["--dry-run"]).await;
    let stdout = text(&planned.stdout);
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stderr));
    assert!(stdout.contains("+ role admin"), "{stdout}");
    assert!(requests > 0, "a dry run reads the account");
    std::fs::remove_dir_all(&copy).unwrap();
}
