//! `cargo xtask mfa` as a person and as a script use it, against an emulator of the test's
//! own: the two-step form with codes computed from the seed file, codes piped to standard
//! input, a terminal that asks again, and `mfa status` for CI.

use std::{
    io::{BufRead, BufReader, Read, Write},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, Output, Stdio},
};

use iamkit_e2e::{clients, own, text, unique, xtask, xtask_command};
use iamkit_provision::{Clients, mfa::Seed};
use serde_json::Value;

use super::{assigned, codes, now, our_user, swapped, virtual_devices};

/// `cargo xtask mfa --endpoint-url ENDPOINT ARGS`, run to its end.
async fn mfa(endpoint: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "mfa".to_owned(),
        "--endpoint-url".to_owned(),
        endpoint.to_owned(),
    ];
    all.extend(args.iter().map(|s| (*s).to_owned()));
    tokio::task::spawn_blocking(move || {
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        xtask(&all)
    })
    .await
    .unwrap()
}

/// `args` and `--codes CODES`.
fn with<'a>(args: &[&'a str], codes: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--codes", codes]);
    all
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique("iamkit-mfa"));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn show(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The script's form: step 1 writes the seed to a 0600 file and stops; step 2 takes two codes
/// computed from that file. Malformed codes are refused before a device exists; wrong codes
/// change nothing and a rerun with right ones works; a first step run twice (as after an
/// interruption) converges on one device.
#[tokio::test(flavor = "multi_thread")]
async fn a_script_enrols_in_two_steps_with_codes_computed_from_the_seed_file() {
    let emulator = own();
    let endpoint = emulator.endpoint();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;
    let file = temp_path("dev-user.seed");
    let f = file.to_str().unwrap();
    let enroll = ["enroll", "--user", "dev-user", "--seed-file", f];

    let early = mfa(&endpoint, &with(&enroll, "123456,654321")).await;
    assert_eq!(early.status.code(), Some(1), "{}", show(&early));
    assert!(
        text(&early.stderr).contains("cannot read the seed file"),
        "{}",
        show(&early)
    );
    let malformed = mfa(&endpoint, &with(&enroll, "12345,654321")).await;
    assert_eq!(malformed.status.code(), Some(2), "{}", show(&malformed));
    assert!(
        text(&malformed.stderr).contains("`12345` is not a six-digit code"),
        "{}",
        show(&malformed)
    );
    let alone = mfa(
        &endpoint,
        &["enroll", "--user", "dev-user", "--codes", "123456,654321"],
    )
    .await;
    assert_eq!(alone.status.code(), Some(2), "{}", show(&alone));
    assert!(
        text(&alone.stderr).contains("--seed-file"),
        "{}",
        show(&alone)
    );
    assert!(virtual_devices(&clients).await.is_empty(), "no device yet");
    assert!(!file.exists());

    let first = mfa(&endpoint, &enroll).await;
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    assert_eq!(mode(&file), 0o600);
    let first_seed = Seed::from_base32(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let printed = show(&first);
    assert!(
        !printed.contains(first_seed.expose()),
        "the seed was printed: {printed}"
    );
    assert!(printed.contains("--codes CODE,CODE"), "{printed}");

    // The first step again, as after an interruption: its device is replaced.
    let again = mfa(&endpoint, &enroll).await;
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    assert!(
        text(&again.stderr).contains("replaced the unassigned device"),
        "{}",
        show(&again)
    );
    let seed = Seed::from_base32(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_ne!(seed, first_seed);
    let serial = "arn:aws:iam::123456789012:mfa/dev-user".to_owned();
    assert_eq!(
        virtual_devices(&clients).await,
        vec![(serial.clone(), false)]
    );

    let now = now();
    let right = codes(seed.expose(), now);
    let wrong = swapped(&right).to_string();
    let refused = mfa(&endpoint, &with(&enroll, &wrong)).await;
    assert_eq!(refused.status.code(), Some(1), "{}", show(&refused));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("are not two consecutive codes of the seed in"),
        "{stderr}"
    );
    assert!(stderr.contains("\n  help: "), "{stderr}");
    assert!(assigned(&clients, "dev-user").await.is_empty());
    assert_eq!(
        virtual_devices(&clients).await,
        vec![(serial.clone(), false)]
    );

    // The second code written as an app shows it: `123 456`.
    let (a, b) = (right.first.as_str(), right.second.as_str());
    let spaced = format!("{a}, {} {}", &b[..3], &b[3..]);
    let enabled = mfa(&endpoint, &with(&enroll, &spaced)).await;
    assert_eq!(enabled.status.code(), Some(0), "{}", show(&enabled));
    assert!(!show(&enabled).contains(seed.expose()));
    assert_eq!(assigned(&clients, "dev-user").await, vec![serial.clone()]);
    assert_eq!(virtual_devices(&clients).await, vec![(serial, true)]);

    let done = mfa(&endpoint, &enroll).await;
    assert_eq!(done.status.code(), Some(1), "{}", show(&done));
    assert!(
        text(&done.stderr).contains("already has MFA device"),
        "{}",
        show(&done)
    );
    assert_eq!(
        Seed::from_base32(&std::fs::read_to_string(&file).unwrap()).unwrap(),
        seed,
        "a refused first step keeps the seed file"
    );
}

/// Runs `cargo xtask mfa ... enroll --user dev-user --show-secret` with piped standard input
/// and output: reads the seed from its output, then writes what `answer` makes of it.
fn enroll_piped(endpoint: &str, answer: impl Fn(&str) -> String) -> (i32, String, String) {
    let mut child = xtask_command(&[
        "mfa",
        "--endpoint-url",
        endpoint,
        "enroll",
        "--user",
        "dev-user",
        "--show-secret",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (seed, out) = read_seed(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer(&seed).as_bytes()).unwrap();
    drop(stdin);
    finish(child, out)
}

/// Reads the child's output up to its `seed (base32): ` line.
fn read_seed(child: &mut Child) -> (String, String) {
    let mut stdout = BufReader::new(child.stdout.as_mut().unwrap());
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            child
                .stderr
                .as_mut()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("no seed line in:\n{out}\nstderr:\n{err}");
        }
        out.push_str(&line);
        if let Some(seed) = line.trim_end().strip_prefix("seed (base32): ") {
            return (seed.to_owned(), out);
        }
    }
}

fn finish(child: Child, mut out: String) -> (i32, String, String) {
    let output = child.wait_with_output().unwrap();
    out.push_str(&text(&output.stdout));
    (
        output.status.code().unwrap_or(-1),
        out,
        text(&output.stderr),
    )
}

/// Standard input that is not a terminal gives the codes, one a line: a program drives the
/// enrolment in one run. Wrong codes fail with the reason and leave a device that the next
/// run replaces.
#[tokio::test(flavor = "multi_thread")]
async fn codes_piped_to_standard_input_enrol_and_a_wrong_pair_fails_for_a_rerun() {
    let emulator = own();
    let endpoint = emulator.endpoint();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;

    let e = endpoint.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        enroll_piped(&e, |seed| {
            let right = codes(seed, now());
            format!("{}\n{}\n", right.second, right.first)
        })
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("are not two consecutive codes"), "{err}");
    assert!(err.contains("left unassigned"), "{err}");
    assert!(
        !out.contains('█'),
        "the QR code is drawn only on a terminal:\n{out}"
    );
    assert!(assigned(&clients, "dev-user").await.is_empty());

    let e = endpoint.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        enroll_piped(&e, |seed| {
            let right = codes(seed, now());
            format!("  {}\n{}\n", right.first, right.second)
        })
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("replaced the unassigned device"), "{err}");
    assert!(out.contains("MFA enabled for dev-user"), "{out}");
    let serial = "arn:aws:iam::123456789012:mfa/dev-user".to_owned();
    assert_eq!(assigned(&clients, "dev-user").await, vec![serial.clone()]);
    assert_eq!(virtual_devices(&clients).await, vec![(serial, true)]);
}

/// On a terminal (`script` from util-linux gives the run one), a malformed code and a pair
/// that does not match are asked again, for the same device and seed.
#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_asks_again_for_a_wrong_code_with_the_same_qr_code() {
    let emulator = own();
    let endpoint = emulator.endpoint();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;

    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let command = xtask_command(&[]);
        let mut line = vec![command.get_program().to_str().unwrap().to_owned()];
        line.extend(command.get_args().map(|a| a.to_str().unwrap().to_owned()));
        line.extend(
            [
                "mfa",
                "--endpoint-url",
                &endpoint,
                "enroll",
                "--user",
                "dev-user",
                "--show-secret",
            ]
            .map(str::to_owned),
        );
        let quoted: Vec<String> = line.iter().map(|a| format!("'{a}'")).collect();
        let mut script = std::process::Command::new("script");
        script
            .args([
                "--quiet",
                "--flush",
                "--return",
                "--command",
                &quoted.join(" "),
                "/dev/null",
            ])
            .current_dir(command.get_current_dir().unwrap())
            .env_remove("AWS_ENDPOINT_URL")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = script.spawn().unwrap_or_else(|e| {
            panic!("this test gives xtask a terminal with `script` (util-linux): {e}")
        });
        let (seed, out) = read_seed(&mut child);
        let right = codes(&seed, now());
        let mut stdin = child.stdin.take().unwrap();
        let typed = format!(
            "12345\n{}\n{}\n{}\n{}\n",
            right.second, right.first, right.first, right.second
        );
        stdin.write_all(typed.as_bytes()).unwrap();
        drop(stdin);
        finish(child, out)
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains('█'), "a terminal gets the QR code:\n{out}");
    assert!(out.contains("`12345` is not a six-digit code"), "{out}");
    assert!(
        out.contains("try again: two new codes from the same QR code"),
        "{out}"
    );
    assert!(out.contains("MFA enabled for dev-user"), "{out}");
    assert!(!out.contains("replaced the unassigned device"), "{out}");
    let serial = "arn:aws:iam::123456789012:mfa/dev-user".to_owned();
    assert_eq!(assigned(&clients, "dev-user").await, vec![serial.clone()]);
    assert_eq!(virtual_devices(&clients).await, vec![(serial, true)]);
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(output)))
}

async fn enrol_with_the_library(clients: &Clients) {
    let device = iamkit_provision::mfa::begin_enroll(clients, super::STACK, "dev-user")
        .await
        .unwrap();
    let now = now();
    let codes = codes(device.seed.expose(), now);
    iamkit_provision::mfa::finish_enroll(clients, &device, &codes, now)
        .await
        .unwrap();
}

/// `mfa status`: an unknown user is an error, `--output json` is one object, and
/// `--require-mfa` exits 1 while a user has no MFA device.
#[tokio::test(flavor = "multi_thread")]
async fn status_is_one_json_object_and_fails_when_required_mfa_is_missing() {
    let emulator = own();
    let endpoint = emulator.endpoint();
    let clients = clients(&emulator).await;
    our_user(&clients, "dev-user").await;

    let unknown = mfa(&endpoint, &["status", "--user", "nosuch"]).await;
    assert_eq!(unknown.status.code(), Some(1), "{}", show(&unknown));
    assert!(unknown.stdout.is_empty(), "{}", show(&unknown));
    assert!(
        text(&unknown.stderr).ends_with(
            "error: there is no IAM user `nosuch` in this account\n  help: check the name; the stack's users exist once setup has run\n"
        ),
        "{}",
        show(&unknown)
    );

    // Without --user: the manifest's users.
    let missing = mfa(&endpoint, &["status", "--require-mfa", "--output", "json"]).await;
    assert_eq!(missing.status.code(), Some(1), "{}", show(&missing));
    assert_eq!(
        json(&missing),
        serde_json::json!({
            "target": "emulator",
            "users": [{"user": "dev-user", "mfa": false, "devices": []}],
            "root": {"mfa": false, "access_keys_present": false},
            "missing": ["dev-user"],
        })
    );
    assert!(
        text(&missing.stderr).contains("MFA is required and missing for `dev-user`"),
        "{}",
        show(&missing)
    );
    let reported = mfa(&endpoint, &["status", "--user", "dev-user"]).await;
    assert_eq!(reported.status.code(), Some(0), "{}", show(&reported));
    assert!(text(&reported.stdout).starts_with("dev-user         no MFA device\n"));

    enrol_with_the_library(&clients).await;
    let serial = "arn:aws:iam::123456789012:mfa/dev-user";
    let present = mfa(
        &endpoint,
        &[
            "status",
            "--user",
            "dev-user",
            "--require-mfa",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(present.status.code(), Some(0), "{}", show(&present));
    let present = json(&present);
    assert_eq!(present["users"][0]["mfa"], true);
    assert_eq!(present["users"][0]["devices"], serde_json::json!([serial]));
    assert_eq!(present["missing"], serde_json::json!([]));

    let root = mfa(&endpoint, &["status", "--require-root-mfa"]).await;
    assert_eq!(root.status.code(), Some(1), "{}", show(&root));
    assert!(
        text(&root.stderr).contains("needs a real account"),
        "{}",
        show(&root)
    );
    assert!(root.stdout.is_empty());
}
