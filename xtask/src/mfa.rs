//! `cargo xtask mfa enroll|status|remove`: virtual MFA devices for IAM users, and root MFA.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, Result, anyhow, bail};
use iamkit_provision::{
    Clients,
    mfa::{self, Code, CodePair, MfaError, NewDevice, Seed, TotpError},
};
use serde::Serialize;

use crate::global::{Global, Output};

/// How many times a person at a terminal is asked again for a code or a pair of codes.
const ROUNDS: usize = 5;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Create a virtual MFA device for a user, and enable it with two consecutive codes.
    ///
    /// On a terminal, the QR code is drawn and the two codes are asked for; a wrong code is
    /// asked again, with the same QR code.
    ///
    /// In a script, in two steps (the codes exist only once the device's seed does):
    ///
    ///   cargo xtask mfa enroll --user dev-user --seed-file dev-user.seed
    ///   cargo xtask mfa enroll --user dev-user --seed-file dev-user.seed --codes 123456,654321
    ///
    /// The first creates the device, writes its base32 seed to the file (mode 0600) and
    /// stops. The second checks the two codes (the one of now and the next, computed from the
    /// seed) against that seed, then enables the device; wrong codes change nothing: run it
    /// again with new codes.
    ///
    /// Without --seed-file, when standard input is not a terminal, the two codes are read
    /// from it, one a line (a program driving this one reads the seed from --show-secret).
    ///
    /// The codes are checked against the seed before anything is sent to AWS. An enrolment
    /// interrupted before its codes left an unassigned device: the first step replaces it.
    #[command(verbatim_doc_comment)]
    Enroll {
        /// The IAM user (one of the stack's).
        #[arg(long)]
        user: String,
        /// Write the device's base32 seed to FILE (mode 0600) and stop; with --codes, read it
        /// back and enable the device.
        #[arg(long, value_name = "FILE")]
        seed_file: Option<PathBuf>,
        /// The second step: two consecutive codes of the seed in --seed-file, such as
        /// `123456,654321` (`123 456` is accepted too).
        #[arg(long, value_name = "CODE,CODE", requires = "seed_file")]
        codes: Option<CodePair>,
        /// Also write the QR code as a PNG image to FILE (mode 0600: it holds the seed).
        #[arg(long, value_name = "FILE")]
        qr_png: Option<PathBuf>,
        /// Print the seed as text (it is a secret: anyone holding it can make codes).
        #[arg(long)]
        show_secret: bool,
    },
    /// For each user, the MFA devices assigned to it; and whether the root user has MFA.
    ///
    /// A user that does not exist is an error. `--require-mfa` makes the exit status 1 when
    /// a user reported has no MFA device, so CI can gate on it.
    Status {
        /// A user to report; repeat for more (default: every user of the manifest).
        #[arg(long = "user", value_name = "USER")]
        users: Vec<String>,
        /// Exit 1 when a user reported has no MFA device.
        #[arg(long)]
        require_mfa: bool,
        /// Exit 1 when the root user has no MFA (real accounts only: the local emulator
        /// always reports it off).
        #[arg(long)]
        require_root_mfa: bool,
    },
    /// Deactivate and delete the virtual MFA device iamkit created for a user.
    Remove {
        /// The IAM user.
        #[arg(long)]
        user: String,
    },
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let manifest = global.read_manifest()?;
    let stack = manifest.stack.clone();
    // Everything that can be checked here is, before a request is sent.
    let action = match args.action {
        Action::Enroll {
            user,
            seed_file,
            codes,
            qr_png,
            show_secret,
        } => Checked::Enroll(
            user,
            enrolment(seed_file, codes)?,
            Show {
                qr_png,
                show_secret,
            },
        ),
        Action::Status {
            users,
            require_mfa,
            require_root_mfa,
        } => {
            if require_root_mfa && !global.aws {
                bail!(
                    "`--require-root-mfa` needs a real account: the local emulator always reports root MFA off\n  help: add `--aws` to check the account of your AWS credentials"
                );
            }
            let users = if users.is_empty() {
                manifest.users.keys().cloned().collect()
            } else {
                users
            };
            let require = Require {
                users: require_mfa,
                root: require_root_mfa,
            };
            Checked::Status(users, require, global.output())
        }
        Action::Remove { user } => Checked::Remove(user),
    };
    let target = global.target()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let clients = global.connect(&target, Some(&manifest)).await?;
        match action {
            Checked::Enroll(user, how, show) => enroll(&clients, &stack, &user, how, &show).await,
            Checked::Status(users, require, output) => {
                status(&clients, &users, require, output).await
            }
            Checked::Remove(user) => remove(&clients, &stack, &user).await,
        }
    })
}

/// An action whose arguments were checked.
enum Checked {
    Enroll(String, Enrolment, Show),
    Status(Vec<String>, Require, Output),
    Remove(String),
}

/// What `mfa status` must find.
#[derive(Clone, Copy)]
struct Require {
    users: bool,
    root: bool,
}

/// Where the seed goes besides the QR code on a terminal.
struct Show {
    qr_png: Option<PathBuf>,
    show_secret: bool,
}

/// The ways to enrol.
enum Enrolment {
    /// Codes asked for on the terminal, again when wrong.
    Terminal,
    /// Codes read from standard input, one a line.
    Piped,
    /// The first step of a script: create the device, write its seed to this file, stop.
    Begin(SeedFile),
    /// The second step: the seed from this file, the codes from the command line.
    Finish(PathBuf, Seed, CodePair),
}

fn enrolment(seed_file: Option<PathBuf>, codes: Option<CodePair>) -> Result<Enrolment> {
    Ok(match (seed_file, codes) {
        (Some(path), Some(codes)) => {
            let seed = read_seed_file(&path)?;
            Enrolment::Finish(path, seed, codes)
        }
        (Some(path), None) => Enrolment::Begin(SeedFile::prepare(path)?),
        // clap requires --seed-file with --codes.
        (None, _) if std::io::stdin().is_terminal() => Enrolment::Terminal,
        (None, _) => Enrolment::Piped,
    })
}

async fn enroll(
    clients: &Clients,
    stack: &str,
    user: &str,
    how: Enrolment,
    show: &Show,
) -> Result<()> {
    let device = match how {
        Enrolment::Finish(path, seed, codes) => {
            return finish_step(clients, stack, user, &path, seed, &codes).await;
        }
        Enrolment::Begin(file) => return begin_step(clients, stack, user, file, show).await,
        Enrolment::Terminal => {
            let device = mfa::begin_enroll(clients, stack, user)
                .await
                .map_err(explain)?;
            announce(&device, show, false)?;
            ask_until_enabled(clients, &device).await?;
            device
        }
        Enrolment::Piped => {
            let device = mfa::begin_enroll(clients, stack, user)
                .await
                .map_err(explain)?;
            announce(&device, show, false)?;
            enable_with_piped_codes(clients, &device).await?;
            device
        }
    };
    say!("MFA enabled for {user}: {}", device.serial);
    Ok(())
}

/// The library's error, with the command that helps where there is one.
fn explain(err: MfaError) -> anyhow::Error {
    match err {
        MfaError::AlreadyEnrolled { user, serial } => anyhow!(
            "user `{user}` already has MFA device `{serial}`\n  help: nothing to do; to enrol a new device, first `cargo xtask mfa remove --user {user}` (it removes only a device iamkit created)"
        ),
        other => other.into(),
    }
}

/// Shows what the person or program needs to make codes: the QR code on a terminal only (it
/// holds the seed), the PNG and the seed text when asked. `in_file`: the seed file has it.
fn announce(device: &NewDevice, show: &Show, in_file: bool) -> Result<()> {
    if device.replaced_stray {
        eprintln!(
            "replaced the unassigned device {} left by an interrupted enrolment",
            device.serial
        );
    }
    let uri = mfa::otpauth_uri(&device.account, &device.user, &device.seed);
    if std::io::stdout().is_terminal() {
        say!(
            "scan this QR code with an authenticator app ({}):",
            device.serial
        );
        say!("{}", mfa::qr_text(&uri)?);
    } else if show.qr_png.is_none() && !show.show_secret && !in_file {
        eprintln!(
            "the QR code is not drawn: standard output is not a terminal, and the QR code holds the seed (`--qr-png FILE` writes it to a file)"
        );
    }
    if let Some(path) = &show.qr_png {
        write_secret_file(path, &mfa::qr_png(&uri)?)?;
        say!("QR code written to {} (mode 0600)", path.display());
    }
    if show.show_secret {
        say!("seed (base32): {}", device.seed.expose());
    }
    Ok(())
}

/// Asks on the terminal until IAM enabled the device: wrong codes are asked again, for the
/// same device and seed.
async fn ask_until_enabled(clients: &Clients, device: &NewDevice) -> Result<()> {
    let stdin = std::io::stdin();
    for _ in 0..ROUNDS {
        let codes = ask_codes(
            &mut stdin.lock(),
            &mut std::io::stderr(),
            &device.seed,
            &now,
        )
        .map_err(|err| still_waits(err, device))?;
        match mfa::finish_enroll(clients, device, &codes, now()?).await {
            Ok(()) => return Ok(()),
            Err(err @ MfaError::CodesRefused { .. }) => {
                eprintln!("{err}\ntry again: two new codes from the same QR code");
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(still_waits(
        anyhow!("IAM refused {ROUNDS} pairs of codes"),
        device,
    ))
}

/// `err`, and that the device still waits: a rerun starts over with a new QR code.
fn still_waits(err: anyhow::Error, device: &NewDevice) -> anyhow::Error {
    anyhow!(
        "{err:#}\n  help: the device `{}` is left waiting for its codes; run `cargo xtask mfa enroll --user {}` again to start over with a new QR code",
        device.serial,
        device.user
    )
}

/// Asks for two codes until they are two consecutive codes of `seed`: a code that is not six
/// digits is asked again, and so is a pair that does not match (at most [`ROUNDS`] times).
fn ask_codes(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    seed: &Seed,
    now: &dyn Fn() -> Result<u64>,
) -> Result<CodePair> {
    for _ in 0..ROUNDS {
        let first = ask_code(input, out, "first code: ")?;
        let second = ask_code(input, out, "next code (wait for it to change): ")?;
        match mfa::check_codes(seed, &first, &second, now()?) {
            Ok(()) => return Ok(CodePair { first, second }),
            Err(err) => writeln!(out, "{err}\ntry again: two new codes from the same QR code")?,
        }
    }
    bail!("{ROUNDS} pairs of codes did not match the device's seed")
}

fn ask_code(input: &mut dyn BufRead, out: &mut dyn Write, question: &str) -> Result<Code> {
    for _ in 0..ROUNDS {
        write!(out, "{question}")?;
        out.flush()?;
        match read_line(input)?.parse::<Code>() {
            Ok(code) => return Ok(code),
            Err(err) => writeln!(out, "{err}")?,
        }
    }
    bail!("{ROUNDS} entries in a row were not six-digit codes")
}

fn read_line(input: &mut dyn BufRead) -> Result<String> {
    let mut line = String::new();
    if input.read_line(&mut line).context("reading a code")? == 0 {
        bail!("standard input ended before two codes were read");
    }
    Ok(line)
}

/// Reads two codes from standard input, one a line, and enables the device; when they are
/// wrong, the device is left for a rerun to replace.
async fn enable_with_piped_codes(clients: &Clients, device: &NewDevice) -> Result<()> {
    let read = || -> Result<CodePair> {
        let mut input = std::io::stdin().lock();
        let first = read_line(&mut input)?.parse()?;
        let second = read_line(&mut input)?.parse()?;
        Ok(CodePair { first, second })
    };
    let enabled = match read() {
        Ok(codes) => mfa::finish_enroll(clients, device, &codes, now()?)
            .await
            .map_err(anyhow::Error::from),
        Err(err) => Err(err),
    };
    enabled.map_err(|err| {
        anyhow!(
            "{err:#}\n  help: nothing was enabled; the device `{}` is left unassigned and running this command again replaces it (with a new seed)",
            device.serial
        )
    })
}

/// The first step of a script: create the device, write its seed, say what comes next.
async fn begin_step(
    clients: &Clients,
    stack: &str,
    user: &str,
    file: SeedFile,
    show: &Show,
) -> Result<()> {
    let device = match mfa::begin_enroll(clients, stack, user).await {
        Ok(device) => device,
        Err(err) => {
            file.discard();
            return Err(explain(err));
        }
    };
    let text = format!("{}\n", device.seed.expose());
    write_secret_file(&file.path, text.as_bytes())?;
    announce(&device, show, true)?;
    let path = file.path.display();
    say!(
        "created virtual MFA device {} for {user}: its seed is in {path} (mode 0600)",
        device.serial
    );
    say!(
        "next: compute the code of now and the next one from the seed, then run\n  cargo xtask mfa enroll --user {user} --seed-file {path} --codes CODE,CODE"
    );
    Ok(())
}

/// The second step of a script: check the codes against the seed file, enable the device.
async fn finish_step(
    clients: &Clients,
    stack: &str,
    user: &str,
    path: &Path,
    seed: Seed,
    codes: &CodePair,
) -> Result<()> {
    let shown = path.display();
    // Checked here first: wrong codes cost no request and change nothing.
    if let Err(TotpError::CodesDoNotMatch(first, second)) =
        mfa::check_codes(&seed, &codes.first, &codes.second, now()?)
    {
        bail!(
            "the codes `{first}` and `{second}` are not two consecutive codes of the seed in `{shown}`\n  help: nothing changed and the device still waits: run this again with the code of now and the next one, computed from `{shown}`"
        );
    }
    let device = match mfa::pending_device(clients, stack, user, seed).await {
        Err(MfaError::NoPendingDevice { .. }) => bail!(
            "user `{user}` has no virtual MFA device waiting for its codes\n  help: run the first step first: `cargo xtask mfa enroll --user {user} --seed-file {shown}`"
        ),
        other => other.map_err(explain)?,
    };
    match mfa::finish_enroll(clients, &device, codes, now()?).await {
        Ok(()) => {}
        Err(MfaError::CodesRefused { serial, message }) => bail!(
            "IAM refused the codes for `{serial}`: {message}\n  help: the codes match the seed in `{shown}`, so either the device was created again after that file was written (run the first step again), or this machine's clock is off"
        ),
        Err(err) => return Err(err.into()),
    }
    say!("MFA enabled for {user}: {}", device.serial);
    eprintln!(
        "the seed stays in {shown} (mode 0600): it makes {user}'s codes, so keep it secret or delete it"
    );
    Ok(())
}

fn read_seed_file(path: &Path) -> Result<Seed> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|err| {
        anyhow!(
            "cannot read the seed file `{shown}`: {err}\n  help: the first step writes it: `cargo xtask mfa enroll --user USER --seed-file {shown}`"
        )
    })?;
    Seed::from_base32(&text).map_err(|_| {
        anyhow!(
            "`{shown}` holds no base32 seed\n  help: run the first step again: `cargo xtask mfa enroll --user USER --seed-file {shown}`"
        )
    })
}

/// The file the first step writes the seed to, made sure of before the device is created.
struct SeedFile {
    path: PathBuf,
    /// Whether it was created empty by [`SeedFile::prepare`].
    created: bool,
}

impl SeedFile {
    /// Refuses a file that holds something other than a seed (a rerun may overwrite its own
    /// seed file); creates the file, mode 0600, so that a path that cannot be written fails
    /// before the device exists.
    fn prepare(path: PathBuf) -> Result<SeedFile> {
        let shown = path.display();
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().is_empty() || Seed::from_base32(&text).is_ok() => {
                Ok(SeedFile {
                    path,
                    created: false,
                })
            }
            Ok(_) => bail!(
                "`{shown}` exists and holds something other than a seed: it is left alone\n  help: give the path of a new file"
            ),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                write_secret_file(&path, b"")?;
                Ok(SeedFile {
                    path,
                    created: true,
                })
            }
            Err(err) => bail!(
                "cannot use `{shown}` as the seed file: {err}\n  help: give the path of a new file in a folder you can write to"
            ),
        }
    }

    /// Removes the file if [`SeedFile::prepare`] created it: no device, no seed.
    fn discard(self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn now() -> Result<u64> {
    Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())
}

/// Writes `bytes` to a file only its owner can read.
fn write_secret_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let shown = path.display();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|err| anyhow!("cannot create `{shown}`: {err}"))?;
    // An existing file keeps its mode on open: set it before writing the secret.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("making `{shown}` readable by its owner only"))?;
    file.write_all(bytes)
        .with_context(|| format!("writing `{shown}`"))?;
    Ok(())
}

async fn remove(clients: &Clients, stack: &str, user: &str) -> Result<()> {
    match mfa::remove(clients, stack, user).await? {
        mfa::Removed::Device(serial) => say!("removed MFA device {serial} from {user}"),
        mfa::Removed::Nothing => {
            say!("{user} has no MFA device created by iamkit: nothing to remove");
        }
    }
    Ok(())
}

/// `mfa status --output json`: one object.
#[derive(Serialize)]
struct StatusJson<'a> {
    /// `emulator` or `aws`.
    target: &'static str,
    users: Vec<UserJson<'a>>,
    root: RootJson,
    /// What `--require-mfa` and `--require-root-mfa` asked for and is not there.
    missing: &'a [String],
}

#[derive(Serialize)]
struct UserJson<'a> {
    user: &'a str,
    mfa: bool,
    devices: &'a [String],
}

#[derive(Serialize)]
struct RootJson {
    mfa: bool,
    access_keys_present: bool,
}

async fn status(
    clients: &Clients,
    users: &[String],
    require: Require,
    output: Output,
) -> Result<()> {
    let users = mfa::user_status(clients, users).await?;
    let root = mfa::root_status(clients).await?;
    let mut missing: Vec<String> = users
        .iter()
        .filter(|user| require.users && user.devices.is_empty())
        .map(|user| user.user.clone())
        .collect();
    if require.root && !root.mfa_enabled {
        missing.push("root".to_owned());
    }
    match output {
        Output::Json => {
            let json = StatusJson {
                target: if clients.target.is_aws() {
                    "aws"
                } else {
                    "emulator"
                },
                users: users
                    .iter()
                    .map(|user| UserJson {
                        user: &user.user,
                        mfa: !user.devices.is_empty(),
                        devices: &user.devices,
                    })
                    .collect(),
                root: RootJson {
                    mfa: root.mfa_enabled,
                    access_keys_present: root.access_keys_present,
                },
                missing: &missing,
            };
            say!("{}", serde_json::to_string_pretty(&json)?);
        }
        Output::Text => print_status(clients, &users, root),
    }
    if !missing.is_empty() {
        let names = missing.iter().map(|name| format!("`{name}`"));
        let error = anyhow!(
            "MFA is required and missing for {}\n  help: enrol a user with `cargo xtask mfa enroll --user USER`; root MFA is enabled in the console (`cargo xtask mfa status` prints the steps)",
            names.collect::<Vec<_>>().join(", ")
        );
        // The JSON document above is the answer: no second one for the error.
        return Err(match output {
            Output::Json => crate::document::Reported(error).into(),
            Output::Text => error,
        });
    }
    Ok(())
}

fn print_status(clients: &Clients, users: &[mfa::UserMfa], root: mfa::RootStatus) {
    for user in users {
        match user.devices.as_slice() {
            [] => say!("{:<16} no MFA device", user.user),
            devices => say!("{:<16} MFA: {}", user.user, devices.join(", ")),
        }
    }
    if root.mfa_enabled {
        say!("{:<16} MFA enabled", "root");
    } else {
        let note = if clients.target.is_aws() {
            ""
        } else {
            " (the local emulator always reports root MFA off: a known emulator limit)"
        };
        say!("{:<16} MFA NOT enabled{note}", "root");
        say!("{}", mfa::ROOT_MFA_STEPS);
    }
    if root.access_keys_present {
        say!("{:<16} has access keys: delete them (step 5 above)", "root");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 seed (the library's unit tests check its codes against the RFC).
    fn seed() -> Seed {
        Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap()
    }

    const NOW: u64 = 1_234_567_890;

    fn codes() -> (String, String) {
        let first = mfa::code_at(&seed(), NOW).unwrap().to_string();
        let second = mfa::code_at(&seed(), NOW + 30).unwrap().to_string();
        (first, second)
    }

    fn ask(input: &str) -> (Result<CodePair>, String) {
        let mut out = Vec::new();
        let result = ask_codes(&mut input.as_bytes(), &mut out, &seed(), &|| Ok(NOW));
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_malformed_code_is_asked_again_and_spaces_are_accepted() {
        let (first, second) = codes();
        let spaced = format!("{} {}", &second[..3], &second[3..]);
        let (codes, out) = ask(&format!("12345\n{first}\n  {spaced}  \n"));
        let codes = codes.unwrap();
        assert_eq!(
            (codes.first.as_str(), codes.second.as_str()),
            (&*first, &*second)
        );
        assert_eq!(out.matches("first code: ").count(), 2, "{out}");
        assert!(out.contains("`12345` is not a six-digit code"), "{out}");
    }

    #[test]
    fn a_pair_that_does_not_match_is_asked_again_for_the_same_seed() {
        let (first, second) = codes();
        let (codes, out) = ask(&format!("{second}\n{first}\n{first}\n{second}\n"));
        let codes = codes.unwrap();
        assert_eq!(codes.first.as_str(), first);
        assert!(out.contains("are not two consecutive codes"), "{out}");
        assert!(
            out.contains("try again: two new codes from the same QR code"),
            "{out}"
        );
    }

    #[test]
    fn asking_stops_at_the_end_of_input_and_after_five_wrong_pairs() {
        let (first, _) = codes();
        let (result, _) = ask(&format!("{first}\n"));
        let err = result.unwrap_err().to_string();
        assert_eq!(err, "standard input ended before two codes were read");
        let wrong = format!("{first}\n{first}\n").repeat(ROUNDS + 1);
        let (result, out) = ask(&wrong);
        assert_eq!(
            result.unwrap_err().to_string(),
            "5 pairs of codes did not match the device's seed"
        );
        assert_eq!(out.matches("first code: ").count(), ROUNDS);
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("iamkit-xtask-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_seed_file_is_0600_and_only_a_seed_file_is_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("seed");
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;

        let new = dir.join("new.seed");
        let file = SeedFile::prepare(new.clone()).unwrap();
        assert!(file.created);
        assert_eq!(mode(&new), 0o600);
        file.discard();
        assert!(!new.exists(), "an unused new file is removed");

        let old = dir.join("old.seed");
        std::fs::write(&old, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        let file = SeedFile::prepare(old.clone()).unwrap();
        assert!(!file.created);
        file.discard();
        assert!(old.exists(), "a seed file that was there stays");
        write_secret_file(&old, b"SEED\n").unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "SEED\n");

        let other = dir.join("notes.txt");
        std::fs::write(&other, "my notes\n").unwrap();
        let err = SeedFile::prepare(other.clone()).err().unwrap().to_string();
        assert!(err.contains("holds something other than a seed"), "{err}");
        assert!(err.contains("\n  help: "), "{err}");
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "my notes\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
