//! TOTP as IAM's virtual MFA devices use it (RFC 6238: 30-second steps, six digits,
//! HMAC-SHA1): the seed, the codes a person types, and the QR code authenticator apps scan.
//! Sync, no IO.

use std::{fmt, str::FromStr};

use totp_rs::{Algorithm, Builder, Secret};

const STEP_SECONDS: u64 = 30;
/// How many steps back the first code may be: time to read and type two codes.
const STEPS_BACK: u64 = 10;

/// What is wrong with a seed or a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// A code is not six digits.
    #[error(
        "`{0}` is not a six-digit code\n  help: type the six digits the authenticator app shows, such as `123456` or `123 456`"
    )]
    CodeShape(String),
    /// Two codes were expected, separated by a comma.
    #[error(
        "`{0}` is not two codes separated by a comma\n  help: give two consecutive codes, such as `123456,654321`"
    )]
    PairShape(String),
    /// The codes are well formed but are not two consecutive codes of this seed.
    #[error(
        "the codes `{0}` and `{1}` are not two consecutive codes of this device's seed\n  help: give the code shown now, then the next one; if they were right, check the clock of the device that shows them"
    )]
    CodesDoNotMatch(Code, Code),
    /// A seed that is not base32 text.
    #[error(
        "the seed is not base32 text\n  help: a virtual MFA device's seed is the `Base32StringSeed` IAM returned when the device was created"
    )]
    BadSeed,
    /// The QR code could not be drawn.
    #[error("the QR code could not be drawn: {0}")]
    Qr(String),
}

/// A TOTP seed, as the base32 text IAM returns. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed(String);

impl Seed {
    /// A seed from its base32 text; surrounding whitespace (a file's last newline) is ignored.
    pub fn from_base32(text: &str) -> Result<Seed, TotpError> {
        let seed = Seed(text.trim().to_owned());
        seed.bytes()?;
        Ok(seed)
    }

    /// The base32 text. Callers print it only when the user asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, TotpError> {
        let bytes = Secret::try_from_base32(&self.0)
            .map(|secret| secret.as_bytes().to_vec())
            .map_err(|_| TotpError::BadSeed)?;
        if bytes.is_empty() {
            return Err(TotpError::BadSeed);
        }
        Ok(bytes)
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

/// A code from an authenticator app: six ASCII digits.
///
/// Parsing accepts what people copy: surrounding whitespace and the spaces apps show inside
/// (`123 456`).
///
/// ```
/// use iamkit_provision::mfa::Code;
/// let code: Code = " 123 456\n".parse()?;
/// assert_eq!(code.to_string(), "123456");
/// assert!("12345".parse::<Code>().is_err());
/// # Ok::<(), iamkit_provision::mfa::TotpError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Code(String);

impl Code {
    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Code {
    type Err = TotpError;

    fn from_str(text: &str) -> Result<Code, TotpError> {
        let digits: String = text.trim().chars().filter(|c| *c != ' ').collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Code(digits))
        } else {
            Err(TotpError::CodeShape(text.trim().to_owned()))
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Two consecutive codes, as a script gives them: `123456,654321` (each may be written
/// `123 456`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodePair {
    /// The code shown first.
    pub first: Code,
    /// The code shown next.
    pub second: Code,
}

impl FromStr for CodePair {
    type Err = TotpError;

    fn from_str(text: &str) -> Result<CodePair, TotpError> {
        match text.split(',').collect::<Vec<_>>().as_slice() {
            [first, second] => Ok(CodePair {
                first: first.parse()?,
                second: second.parse()?,
            }),
            _ => Err(TotpError::PairShape(text.trim().to_owned())),
        }
    }
}

impl fmt::Display for CodePair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.first, self.second)
    }
}

/// The code of `seed` for Unix time `time`.
pub fn code_at(seed: &Seed, time: u64) -> Result<Code, TotpError> {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::new(seed.bytes()?.into_boxed_slice()))
        .build_noncompliant();
    Ok(Code(totp.generate(time).to_string()))
}

/// Checks that `first` and `second` are the codes of two consecutive 30-second steps of
/// `seed`, the first at most five minutes old at Unix time `now` (the second may be the one
/// about to appear).
pub fn check_codes(seed: &Seed, first: &Code, second: &Code, now: u64) -> Result<(), TotpError> {
    let current = now / STEP_SECONDS;
    for step in current.saturating_sub(STEPS_BACK)..=current {
        if code_at(seed, step * STEP_SECONDS)? == *first
            && code_at(seed, (step + 1) * STEP_SECONDS)? == *second
        {
            return Ok(());
        }
    }
    Err(TotpError::CodesDoNotMatch(first.clone(), second.clone()))
}

/// The `otpauth://` URI authenticator apps read from the QR code, as AWS writes it.
pub fn otpauth_uri(account: &str, user: &str, seed: &Seed) -> String {
    let issuer = "Amazon%20Web%20Services";
    format!(
        "otpauth://totp/{issuer}:{user}@{account}?secret={}&issuer={issuer}",
        seed.expose()
    )
}

fn qr(uri: &str) -> Result<qrcode::QrCode, TotpError> {
    qrcode::QrCode::new(uri.as_bytes()).map_err(|err| TotpError::Qr(err.to_string()))
}

/// `uri` as a QR code drawn with Unicode half blocks, for a terminal.
pub fn qr_text(uri: &str) -> Result<String, TotpError> {
    Ok(qr(uri)?
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// `uri` as a QR code in a PNG image (8 pixels a module, with a quiet zone).
pub fn qr_png(uri: &str) -> Result<Vec<u8>, TotpError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let code = qr(uri)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                let row = y * side;
                pixels
                    .get_mut(row + mx * SCALE..row + (mx + 1) * SCALE)
                    .into_iter()
                    .for_each(|run| run.fill(0));
            }
        }
    }
    let mut png_bytes = Vec::new();
    let side = u32::try_from(side).map_err(|err| TotpError::Qr(err.to_string()))?;
    let mut encoder = png::Encoder::new(&mut png_bytes, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels));
    written.map_err(|err| TotpError::Qr(err.to_string()))?;
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's seed for SHA-1: the ASCII string "12345678901234567890".
    fn rfc_seed() -> Seed {
        Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap()
    }

    fn code(text: &str) -> Code {
        text.parse().unwrap()
    }

    fn check(time: u64, expected_8_digits: &str) {
        // RFC 6238 publishes 8-digit codes; a 6-digit code is their last six digits.
        let expected = &expected_8_digits[2..];
        assert_eq!(
            code_at(&rfc_seed(), time).unwrap().as_str(),
            expected,
            "T = {time}"
        );
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        check(59, "94287082");
        check(1_111_111_109, "07081804");
        check(1_111_111_111, "14050471");
        check(1_234_567_890, "89005924");
        check(2_000_000_000, "69279037");
        check(20_000_000_000, "65353130");
    }

    #[test]
    fn two_consecutive_codes_are_accepted_within_five_minutes() {
        let seed = rfc_seed();
        let now = 1_234_567_890;
        let first = code_at(&seed, now - 60).unwrap();
        let second = code_at(&seed, now - 30).unwrap();
        check_codes(&seed, &first, &second, now).unwrap();
        // The second code may be the one about to appear.
        let first = code_at(&seed, now).unwrap();
        let second = code_at(&seed, now + 30).unwrap();
        check_codes(&seed, &first, &second, now).unwrap();
    }

    #[test]
    fn swapped_or_stale_codes_are_refused() {
        let seed = rfc_seed();
        let now = 1_234_567_890;
        let a = code_at(&seed, now).unwrap();
        let b = code_at(&seed, now + 30).unwrap();
        let err = check_codes(&seed, &b, &a, now).unwrap_err();
        assert_eq!(err, TotpError::CodesDoNotMatch(b.clone(), a.clone()));
        assert!(err.to_string().contains("\n  help: "), "{err}");
        let old_a = code_at(&seed, now - 3600).unwrap();
        let old_b = code_at(&seed, now - 3570).unwrap();
        assert!(matches!(
            check_codes(&seed, &old_a, &old_b, now),
            Err(TotpError::CodesDoNotMatch(..))
        ));
    }

    #[test]
    fn a_code_is_six_digits_with_spaces_allowed_around_and_inside() {
        for (text, digits) in [
            ("123456", "123456"),
            ("123 456", "123456"),
            ("  123456\n", "123456"),
            (" 012 345 ", "012345"),
        ] {
            assert_eq!(code(text).as_str(), digits, "{text:?}");
        }
        for bad in [
            "",
            "12345",
            "1234567",
            "12a456",
            "123-456",
            "１２３４５６",
            "123\t456",
        ] {
            let err = bad.parse::<Code>().unwrap_err();
            assert_eq!(err, TotpError::CodeShape(bad.trim().to_owned()), "{bad:?}");
        }
        assert_eq!(
            "12345".parse::<Code>().unwrap_err().to_string(),
            "`12345` is not a six-digit code\n  help: type the six digits the authenticator app shows, such as `123456` or `123 456`"
        );
    }

    #[test]
    fn a_pair_is_two_codes_separated_by_a_comma() {
        let pair: CodePair = "123 456, 654321".parse().unwrap();
        assert_eq!(pair.first, code("123456"));
        assert_eq!(pair.second, code("654321"));
        assert_eq!(pair.to_string(), "123456,654321");
        for bad in ["123456", "123456,654321,111111", "123456 654321", ""] {
            assert!(
                matches!(bad.parse::<CodePair>(), Err(TotpError::PairShape(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            "123456,65432".parse::<CodePair>(),
            Err(TotpError::CodeShape("65432".to_owned()))
        );
    }

    #[test]
    fn a_seed_is_base32_and_never_shows_in_debug_output() {
        assert_eq!(Seed::from_base32("not base32!"), Err(TotpError::BadSeed));
        assert_eq!(Seed::from_base32("  \n"), Err(TotpError::BadSeed));
        let seed = Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n").unwrap();
        assert_eq!(seed, rfc_seed());
        let shown = format!("{seed:?}");
        assert!(!shown.contains(seed.expose()), "{shown}");
    }

    #[test]
    fn the_qr_code_renders_as_text_and_as_a_png() {
        let uri = otpauth_uri("123456789012", "dev-user", &rfc_seed());
        assert!(
            uri.starts_with("otpauth://totp/Amazon%20Web%20Services:dev-user@123456789012?secret=")
        );
        let text = qr_text(&uri).unwrap();
        assert!(text.lines().count() > 20 && text.contains('█'));
        let png = qr_png(&uri).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
