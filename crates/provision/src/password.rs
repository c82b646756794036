//! Console passwords: generated, written to a file only its owner can read, never printed.

use std::{
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use crate::error::Error;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
// IAM's allowed symbols, without `,` and `"` so the CSV needs no quoting.
const SYMBOLS: &[u8] = b"!@#$%^&*()_+-=[]{}|";

/// The length used unless the account's password policy asks for more.
pub const DEFAULT_LENGTH: usize = iamkit_stack::DEFAULT_PASSWORD_LENGTH;

/// A random password of `length` characters (at least 8) with at least one lowercase and
/// uppercase letter, digit and symbol: it meets IAM's default password policy and any custom
/// policy whose minimum length is at most `length`.
pub fn generate(length: usize) -> Result<String, getrandom::Error> {
    let length = length.max(8);
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat();
    // Bounded: with 20 characters a draw misses a class with probability below 2%.
    for _ in 0..1000 {
        let password: String = random_chars(&all, length)?.into_iter().collect();
        let has = |class: &[u8]| password.bytes().any(|b| class.contains(&b));
        if has(LOWER) && has(UPPER) && has(DIGITS) && has(SYMBOLS) {
            return Ok(password);
        }
    }
    // Unreachable in practice; still a valid password of the right length.
    let mut password: Vec<char> = random_chars(&all, length.saturating_sub(4))?;
    password.extend(['a', 'A', '2', '!']);
    Ok(password.into_iter().collect())
}

/// `count` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias).
fn random_chars(alphabet: &[u8], count: usize) -> Result<Vec<char>, getrandom::Error> {
    let limit = 256 - 256 % alphabet.len();
    let mut out = Vec::with_capacity(count);
    let mut buffer = [0u8; 64];
    while out.len() < count {
        getrandom::fill(&mut buffer)?;
        for &byte in &buffer {
            if usize::from(byte) < limit
                && out.len() < count
                && let Some(&c) = alphabet.get(usize::from(byte) % alphabet.len())
            {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

/// Writes the console sign-in details for `user` to `dir/<account>-<user>.csv` (the columns
/// of the console's credentials download), created with mode 0600. Returns the path.
pub fn write_credentials(
    dir: &Path,
    account: &str,
    user: &str,
    password: &str,
) -> Result<PathBuf, Error> {
    let path = dir.join(format!("{account}-{user}.csv"));
    let io = |source| Error::Credentials {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    // A file that existed before keeps its old mode through `open`: set it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    let url = format!("https://{account}.signin.aws.amazon.com/console");
    write!(
        file,
        "User name,Password,Console sign-in URL\n{user},{password},{url}\n"
    )
    .map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_meet_the_default_policy_and_differ() {
        let a = generate(DEFAULT_LENGTH).unwrap();
        let b = generate(DEFAULT_LENGTH).unwrap();
        assert_eq!(a.chars().count(), DEFAULT_LENGTH);
        assert_ne!(a, b);
        for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
            assert!(a.bytes().any(|c| class.contains(&c)), "{class:?}");
        }
        assert_eq!(generate(3).unwrap().len(), 8);
    }

    #[test]
    fn the_credentials_file_is_readable_by_its_owner_only() {
        let dir = std::env::temp_dir().join(format!("iamkit-cred-{}", std::process::id()));
        let path = dir.join("123456789012-dev-user.csv");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let written = write_credentials(&dir, "123456789012", "dev-user", "pw").unwrap();
        assert_eq!(written, path);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "User name,Password,Console sign-in URL\ndev-user,pw,https://123456789012.signin.aws.amazon.com/console\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
