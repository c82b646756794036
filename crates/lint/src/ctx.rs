//! What every check writes to: the findings of one document with their positions, and the
//! cheap keys the checks compare catalog actions by.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use iamkit_catalog::ActionRef;
use iamkit_policy::{ErrorKind, OperatorError, ParseError, SourceMap};

use crate::{Finding, Severity, check, code};

/// Collects findings with positions.
pub(crate) struct Ctx<'a> {
    pub(crate) file: &'a str,
    pub(crate) map: SourceMap,
    pub(crate) findings: Vec<Finding>,
}

/// Where in the source a finding points: at a value, or at an object member's key.
#[derive(Clone, Copy)]
pub(crate) enum At<'p> {
    Value(&'p str),
    Key(&'p str),
}

impl Ctx<'_> {
    pub(crate) fn add(&mut self, code: &'static str, at: At<'_>, message: String, help: String) {
        self.add_about(code, at, message, help, None);
    }

    /// A finding about an account, which only an acceptance naming that account covers.
    pub(crate) fn add_about(
        &mut self,
        code: &'static str,
        at: At<'_>,
        message: String,
        help: String,
        account: Option<&str>,
    ) {
        let severity = check(code).map_or(Severity::Error, |c| c.severity);
        let (pointer, (line, column)) = match at {
            At::Value(p) => (p, self.position(p, false)),
            At::Key(p) => (p, self.position(p, true)),
        };
        self.findings.push(Finding {
            severity,
            code,
            file: self.file.to_owned(),
            line,
            column,
            pointer: pointer.to_owned(),
            message,
            help,
            account: account.map(str::to_owned),
            accepted: None,
        });
    }
}

impl Ctx<'_> {
    /// The line and column of the element at `pointer` (its key when `key` and it has one);
    /// for a pointer the map does not hold, its nearest ancestor.
    pub(crate) fn position(&self, pointer: &str, key: bool) -> (usize, usize) {
        let mut pointer = pointer;
        loop {
            if let Some(entry) = self.map.get(pointer) {
                let at = if key {
                    entry.key.unwrap_or(entry.value)
                } else {
                    entry.value
                };
                return (at.line, at.column);
            }
            match pointer.rfind('/') {
                Some(i) => pointer = pointer.get(..i).unwrap_or_default(),
                None => return (1, 1),
            }
        }
    }

    /// A parse error as a finding: `null-if-exists` has its own code, the rest is grammar.
    pub(crate) fn parse_error(&mut self, error: ParseError) {
        let code = match error.kind {
            ErrorKind::Operator(OperatorError::NullIfExists(_)) => code::NULL_IF_EXISTS,
            _ => code::GRAMMAR,
        };
        let severity = check(code).map_or(Severity::Error, |c| c.severity);
        self.findings.push(Finding {
            severity,
            code,
            file: self.file.to_owned(),
            line: error.line.max(1),
            column: error.column.max(1),
            pointer: error.pointer,
            message: error.message,
            help: error.help.unwrap_or_else(|| {
                "see the IAM JSON policy grammar in the IAM User Guide".to_owned()
            }),
            account: None,
            accepted: None,
        });
    }
}

/// A hasher for keys that are already spread out (addresses of catalog records, indexes):
/// a multiply and a rotate per word, where the standard one runs SipHash.
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A set of catalog keys ([`action_key`]).
pub(crate) type KeySet = HashSet<usize, BuildHasherDefault<KeyHasher>>;

/// An action's identity in the catalog: the address of its record, which lives as long as the
/// catalog. Cheaper to hash and compare than its name.
pub(crate) fn action_key(action: &ActionRef<'_>) -> usize {
    std::ptr::from_ref(action.action) as usize
}
