//! `cargo xtask mfa enroll|status|remove`: virtual MFA devices for IAM users, and root MFA.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, Result, bail};
use iamkit_provision::mfa;

use crate::target::{self, TargetArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    target: TargetArgs,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Create a virtual MFA device for a user, show its QR code, and enable it with two
    /// consecutive codes from an authenticator app.
    ///
    /// The codes are checked against the device's seed before anything is sent to AWS. If a
    /// previous enrolment was interrupted, the unassigned device it left is replaced.
    Enroll {
        /// The IAM user (one that iamkit created).
        #[arg(long)]
        user: String,
        /// Also write the QR code as a PNG image to this path (created with mode 0600: it holds
        /// the seed).
        #[arg(long)]
        qr_png: Option<PathBuf>,
        /// The two consecutive codes, for scripts: `--codes 123456,654321`.
        #[arg(long, value_delimiter = ',', num_args = 2)]
        codes: Option<Vec<String>>,
        /// Print the seed as text too (it is a secret: anyone holding it can make codes).
        #[arg(long)]
        show_secret: bool,
    },
    /// For each user, the MFA devices assigned to it; and whether the root user has MFA.
    Status {
        /// Users to report (default: dev-user).
        #[arg(long = "user", default_value = "dev-user")]
        users: Vec<String>,
    },
    /// Deactivate and delete the virtual MFA device iamkit created for a user.
    Remove {
        /// The IAM user.
        #[arg(long)]
        user: String,
    },
}

pub fn run(args: Args) -> Result<()> {
    let target = target::resolve(&args.target)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let clients = target::clients(&target, &args.target).await;
        match args.action {
            Action::Enroll {
                user,
                qr_png,
                codes,
                show_secret,
            } => enroll(&clients, &user, qr_png, codes, show_secret).await,
            Action::Status { users } => status(&clients, &users).await,
            Action::Remove { user } => match mfa::remove(&clients, &user).await? {
                mfa::Removed::Device(serial) => {
                    println!("removed MFA device {serial} from {user}");
                    Ok(())
                }
                mfa::Removed::Nothing => {
                    println!("{user} has no MFA device created by iamkit: nothing to remove");
                    Ok(())
                }
            },
        }
    })
}

async fn enroll(
    clients: &iamkit_provision::Clients,
    user: &str,
    qr_png: Option<PathBuf>,
    codes: Option<Vec<String>>,
    show_secret: bool,
) -> Result<()> {
    if codes.is_none() && !std::io::stdin().is_terminal() {
        bail!("standard input is not a terminal: give the two codes with --codes 123456,654321");
    }
    let device = mfa::begin_enroll(clients, user).await?;
    if device.replaced_stray {
        eprintln!(
            "replaced the unassigned device {} left by an interrupted enrolment",
            device.serial
        );
    }
    let uri = mfa::otpauth_uri(&device.account, user, &device.seed);
    println!(
        "scan this QR code with an authenticator app ({}):",
        device.serial
    );
    println!("{}", mfa::qr_text(&uri)?);
    if let Some(path) = &qr_png {
        write_secret_file(path, &mfa::qr_png(&uri)?)?;
        println!("QR code also written to {} (mode 0600)", path.display());
    }
    if show_secret {
        println!("seed (base32): {}", device.seed.expose());
    }
    let (first, second) = match codes {
        Some(codes) => match codes.as_slice() {
            [a, b] => (a.trim().to_owned(), b.trim().to_owned()),
            _ => bail!("--codes takes exactly two codes"),
        },
        None => (
            prompt("first code: ")?,
            prompt("next code (wait for it to change): ")?,
        ),
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    mfa::finish_enroll(clients, &device, &first, &second, now).await?;
    println!("MFA enabled for {user}: {}", device.serial);
    Ok(())
}

fn prompt(question: &str) -> Result<String> {
    let mut stdout = std::io::stdout();
    write!(stdout, "{question}")?;
    stdout.flush()?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading a code")?;
    Ok(line.trim().to_owned())
}

/// Writes `bytes` to a new file only its owner can read.
fn write_secret_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    // An existing file keeps its mode on open: make sure.
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

async fn status(clients: &iamkit_provision::Clients, users: &[String]) -> Result<()> {
    for user in mfa::user_status(clients, users).await? {
        match user.devices.as_slice() {
            [] => println!("{:<16} no MFA device", user.user),
            devices => println!("{:<16} MFA: {}", user.user, devices.join(", ")),
        }
    }
    let root = mfa::root_status(clients).await?;
    if root.mfa_enabled {
        println!("{:<16} MFA enabled", "root");
    } else {
        let note = if clients.target.is_aws() {
            ""
        } else {
            " (the local emulator always reports root MFA off: a known emulator limit)"
        };
        println!("{:<16} MFA NOT enabled{note}", "root");
        println!("{}", mfa::ROOT_MFA_STEPS);
    }
    if root.access_keys_present {
        println!("{:<16} has access keys: delete them (step 5 above)", "root");
    }
    Ok(())
}
