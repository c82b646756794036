//! `cargo xtask` as a user types it: one set of global options in any position, one line and
//! a help for each error instead of an SDK dump, no panic on a closed pipe, one JSON document
//! per command, one rule for the Lambda code, and teardown that needs names only.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Output, Stdio},
};

use iamkit_e2e::{empty_zip, policies_copy, text, xtask, xtask_command};
use serde_json::Value;

/// The one JSON document on standard output.
fn document(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            text(&output.stdout),
            text(&output.stderr)
        )
    })
}

/// An error as a person should see it: exit status 1, exactly one `error:` line, a `help:`,
/// `expected` in the error line, and none of the SDK's debug output.
fn assert_one_error_with_help(case: &str, output: &Output, expected: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{case}: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors.len(),
        1,
        "{case}: one error line expected:\n{stderr}"
    );
    assert!(
        errors[0].contains(expected),
        "{case}: `{expected}` expected in `{}`",
        errors[0]
    );
    assert!(
        stderr.lines().any(|l| l.trim_start().starts_with("help:")),
        "{case}: a help line expected:\n{stderr}"
    );
    for dump in ["DispatchFailure", "ErrorMetadata", "Unhandled(", "panicked"] {
        assert!(!stderr.contains(dump), "{case}: SDK dump in:\n{stderr}");
    }
    assert!(
        stderr.lines().all(|l| l.chars().count() < 400),
        "{case}: a line of more than 400 characters:\n{stderr}"
    );
}

/// An environment with no AWS credentials anywhere: no variables, no files.
fn without_credentials(command: &mut std::process::Command) -> &mut std::process::Command {
    let nowhere = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-no-home"));
    command
        .env("HOME", &nowhere)
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
}

#[test]
fn cargo_xtask_alone_lists_the_tasks_and_version_says_which() {
    let bare = xtask(&[]);
    assert_eq!(bare.status.code(), Some(0), "{}", text(&bare.stderr));
    let listed = text(&bare.stdout);
    for task in ["demo", "test", "setup", "verify", "teardown", "mfa"] {
        assert!(listed.contains(task), "`{task}` not listed:\n{listed}");
    }
    let version = xtask(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert!(text(&version.stdout).starts_with("cargo xtask "));
}

/// Global options work before and after the task and its subcommand, and a task refuses one
/// it has no use for instead of ignoring it.
#[test]
fn global_options_go_anywhere_and_a_task_refuses_those_it_cannot_use() {
    let emulator = iamkit_e2e::own();
    let endpoint = emulator.endpoint();
    let users = |args: &[&str]| {
        let output = xtask(args);
        // The account is empty: the manifest's users do not exist, which mfa status reports
        // as an error of its own (not an argument error, status 2).
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            text(&output.stderr).contains("no IAM user `dev-user`"),
            "{args:?}: {}",
            text(&output.stderr)
        );
    };
    users(&["mfa", "status", "--endpoint-url", &endpoint]);
    users(&["mfa", "--endpoint-url", &endpoint, "status"]);
    users(&["--endpoint-url", &endpoint, "mfa", "status"]);

    for (args, flag) in [
        (&["lint", "--aws"][..], "--aws"),
        (
            &["lint", "--manifest", "policies/baseline.toml"][..],
            "--manifest",
        ),
        (
            &["invoke", "hello", "{}", "--output", "json"][..],
            "--output",
        ),
        (
            &["emulator", "status", "--region", "us-east-1"][..],
            "--region",
        ),
    ] {
        let output = xtask(args);
        assert_one_error_with_help(
            &format!("{args:?}"),
            &output,
            &format!("`{flag}` does not apply to `cargo xtask {}`", args[0]),
        );
    }
}

#[test]
fn emulator_status_fails_when_none_runs() {
    let dir = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-no-emulator"));
    let output = xtask_command(&["emulator", "status"])
        .env("IAMKIT_EMULATOR_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("not running"));
}

/// Each of these printed about a kilobyte of SDK debug output, or a page of FAILs.
#[test]
fn each_error_is_one_line_with_a_help() {
    let emulator = iamkit_e2e::own();
    let endpoint = emulator.endpoint();
    let cases: [(&str, Vec<&str>, &str); 8] = [
        (
            "bad region",
            vec!["verify", "--region", "nowhere-1"],
            "--region `nowhere-1`",
        ),
        (
            "nothing listening",
            vec!["setup", "--endpoint-url", "http://127.0.0.1:1"],
            "cannot connect",
        ),
        (
            "nothing listening, mfa",
            vec!["mfa", "status", "--endpoint-url", "http://127.0.0.1:1"],
            "cannot connect",
        ),
        (
            "unknown user",
            vec![
                "mfa",
                "remove",
                "--user",
                "nosuch",
                "--endpoint-url",
                &endpoint,
            ],
            "no IAM user `nosuch`",
        ),
        (
            "empty account",
            vec!["verify", "--endpoint-url", &endpoint],
            "nothing of stack `iamkit` exists",
        ),
        (
            "profile without --aws",
            vec!["setup", "--profile", "work"],
            "`--profile work` needs `--aws`",
        ),
        (
            "not a URL",
            vec!["teardown", "--endpoint-url", "127.0.0.1:5000"],
            "is not an http:// or https:// URL",
        ),
        (
            "task without a use for it",
            vec!["simulate", "x.json", "--aws"],
            "`--aws` does not apply",
        ),
    ];
    for (case, args, expected) in cases {
        assert_one_error_with_help(case, &xtask(&args), expected);
    }
    for (case, args) in [
        (
            "invoke without credentials",
            &["invoke", "hello", "{}", "--aws"][..],
        ),
        (
            "mfa status without credentials",
            &["mfa", "--aws", "status"][..],
        ),
    ] {
        let output = without_credentials(&mut xtask_command(args))
            .output()
            .unwrap();
        assert_one_error_with_help(case, &output, "no AWS credentials");
    }
    // An endpoint in the environment is not a flag the user typed, and --aws refuses it.
    let output = xtask_command(&["setup", "--aws", "--dry-run"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .output()
        .unwrap();
    assert_one_error_with_help(
        "AWS_ENDPOINT_URL with --aws",
        &output,
        "AWS_ENDPOINT_URL is set",
    );
    assert!(!text(&output.stderr).contains("--endpoint-url `"));
}

/// `| head -1`: standard output closed before the task writes. The task ends quietly with
/// SIGPIPE's status, never with a panic.
#[test]
fn no_task_panics_on_a_closed_pipe() {
    let emulator = iamkit_e2e::own();
    let endpoint = emulator.endpoint();
    let copy = policies_copy();
    let manifest = copy.join("baseline.toml");
    let zip = empty_zip(&copy);
    let manifest = manifest.to_str().unwrap();
    let setup = xtask(&[
        "setup",
        "--manifest",
        manifest,
        "--endpoint-url",
        &endpoint,
        "--lambda-zip",
        zip.to_str().unwrap(),
    ]);
    assert!(setup.status.success(), "{}", text(&setup.stderr));
    for args in [
        &["lint"][..],
        &[
            "mfa",
            "status",
            "--manifest",
            manifest,
            "--endpoint-url",
            &endpoint,
        ][..],
        &[
            "setup",
            "--dry-run",
            "--manifest",
            manifest,
            "--endpoint-url",
            &endpoint,
            "--lambda-zip",
            zip.to_str().unwrap(),
        ][..],
    ] {
        let mut child = xtask_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before anything is written.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(141), "{args:?}: {stderr}");
    }
}

/// `setup` and `teardown` print one document of the same shape whether they applied, found
/// nothing to do, planned only or failed; the status words are the text output's.
#[test]
fn setup_and_teardown_print_one_json_document_of_one_shape() {
    let emulator = iamkit_e2e::own();
    let endpoint = emulator.endpoint();
    let copy = policies_copy();
    let manifest = copy.join("baseline.toml");
    let zip = empty_zip(&copy);
    let run = |task: &str, extra: &[&str]| {
        let mut args = vec![
            task,
            "--output",
            "json",
            "--manifest",
            manifest.to_str().unwrap(),
            "--endpoint-url",
            &endpoint,
        ];
        if task == "setup" {
            args.extend(["--lambda-zip", zip.to_str().unwrap()]);
        }
        args.extend_from_slice(extra);
        xtask(&args)
    };
    let keys = |doc: &Value| -> Vec<String> {
        let mut keys: Vec<String> = doc.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let shape = [
        "changes_made",
        "credentials",
        "error",
        "left",
        "plan",
        "status",
        "task",
    ];

    let applied = run("setup", &[]);
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    let applied = document(&applied);
    assert_eq!(keys(&applied), shape);
    assert_eq!(applied["status"], "applied");
    assert!(applied["changes_made"].as_u64().unwrap() > 20);
    assert_eq!(applied["credentials"].as_array().unwrap().len(), 1);

    let unchanged = document(&run("setup", &[]));
    assert_eq!(keys(&unchanged), shape);
    assert_eq!(unchanged["status"], "unchanged");

    // The text output ends with the same word.
    let words = xtask(&[
        "setup",
        "--manifest",
        manifest.to_str().unwrap(),
        "--endpoint-url",
        &endpoint,
        "--lambda-zip",
        zip.to_str().unwrap(),
    ]);
    assert!(
        text(&words.stdout).contains("setup: unchanged"),
        "{}",
        text(&words.stdout)
    );

    let list_roles = copy.join("enable-list-roles.json");
    let policy = std::fs::read_to_string(&list_roles).unwrap();
    std::fs::write(
        &list_roles,
        policy.replace("iam:ListRoles", "iam:ListUsers"),
    )
    .unwrap();
    let planned = document(&run("setup", &["--dry-run"]));
    assert_eq!(keys(&planned), shape);
    assert_eq!(planned["status"], "planned");
    assert_eq!(planned["plan"]["changes"].as_array().unwrap().len(), 1);

    // A manifest the gate rejects: the error, with each problem's place, on stdout.
    std::fs::write(
        &list_roles,
        policy.replace("\"iam:ListRoles\"", "\"iam:*\""),
    )
    .unwrap();
    let rejected = run("setup", &[]);
    assert_eq!(rejected.status.code(), Some(1));
    let rejected = document(&rejected);
    assert_eq!(keys(&rejected), shape);
    assert_eq!(rejected["status"], "failed");
    let problem = &rejected["error"]["problems"][0];
    assert!(
        problem["file"]
            .as_str()
            .unwrap()
            .ends_with("enable-list-roles.json")
    );
    assert!(problem["line"].as_u64().unwrap() > 0 && problem["column"].as_u64().unwrap() > 0);

    // Teardown needs names only: the broken policy file does not stop it.
    std::fs::write(&list_roles, "{ not json").unwrap();
    let removed = run("teardown", &[]);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let removed = document(&removed);
    assert_eq!(keys(&removed), shape);
    assert_eq!(removed["status"], "applied");
    assert_eq!(removed["left"].as_array().unwrap().len(), 0);
    let again = document(&run("teardown", &[]));
    assert_eq!(again["status"], "unchanged");
}

/// A copy of the hello-world package with one more file: the same program, another
/// `CodeSha256`.
fn other_package(dir: &Path) -> PathBuf {
    let packaged = iamkit_hello_lambda::package::package().unwrap();
    let source = std::fs::File::open(&packaged.zip).unwrap();
    let mut archive = zip::ZipArchive::new(source).unwrap();
    let path = dir.join("other.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        writer.raw_copy_file(entry).unwrap();
    }
    let options = zip::write::SimpleFileOptions::default();
    writer.start_file("NOTICE", options).unwrap();
    writer
        .write_all(b"another package of the same program\n")
        .unwrap();
    writer.finish().unwrap();
    path
}

/// One rule for the Lambda code: what `setup --lambda-zip` deployed is what `verify` and
/// `invoke` need the same option for, and without it they say the deployed code is not
/// theirs instead of running something else.
#[test]
fn setup_verify_and_invoke_take_the_lambda_code_from_one_option() {
    let emulator = iamkit_e2e::own();
    let endpoint = emulator.endpoint();
    let copy = policies_copy();
    let manifest = copy.join("baseline.toml");
    let other = other_package(&copy);
    let common = [
        "--manifest",
        manifest.to_str().unwrap(),
        "--endpoint-url",
        &endpoint,
    ];
    let with_zip = ["--lambda-zip", other.to_str().unwrap()];
    let run = |task: &[&str], zip: bool| {
        let mut args: Vec<&str> = task.to_vec();
        args.extend(common);
        if zip {
            args.extend(with_zip);
        }
        xtask(&args)
    };
    let setup = run(&["setup"], true);
    assert!(setup.status.success(), "{}", text(&setup.stderr));

    // The names of the checks that failed. The baseline keeps role admin's trust as the
    // article builds it: dev-user's path to admin is verify's one failure with the right code.
    let failed = |stdout: &str| -> Vec<String> {
        stdout
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("FAIL  "))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    };
    let verified = run(&["verify"], true);
    assert!(
        verified.status.success() && failed(&text(&verified.stdout)).is_empty(),
        "{}\n{}",
        text(&verified.stdout),
        text(&verified.stderr)
    );
    let not_ours = run(&["verify"], false);
    assert_eq!(not_ours.status.code(), Some(1));
    let failures = failed(&text(&not_ours.stdout));
    assert!(
        failures.len() > 1
            && failures
                .iter()
                .any(|f| f != "dev-user-not-admin-without-mfa"),
        "{}",
        text(&not_ours.stdout)
    );

    let account = "123456789012";
    let event = format!(
        r#"{{"bucketName": "iamkit-{account}-ap-northeast-1", "objectName": "hello.txt"}}"#
    );
    let invoked = run(&["invoke", "hello", &event], true);
    assert!(invoked.status.success(), "{}", text(&invoked.stderr));
    let refused = run(&["invoke", "hello", &event], false);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("is not this package"),
        "{}",
        text(&refused.stderr)
    );
}
