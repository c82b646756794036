//! Where the Service Authorization Reference is wrong or silent: a small, hand-written data
//! file (`src/corrections.tsv`), each line citing the AWS page that says otherwise.

use std::sync::OnceLock;

use crate::CatalogError;

/// The embedded corrections.
const EMBEDDED: &str = include_str!("corrections.tsv");

/// One correction of the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// What it corrects.
    pub kind: CorrectionKind,
    /// The service prefix, such as `logs`.
    pub service: String,
    /// The ARN variable (for [`CorrectionKind::Slash`]) or the resource type it is about.
    pub subject: String,
    /// The AWS page that says so.
    pub source: String,
}

/// What a [`Correction`] corrects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionKind {
    /// `slash`: the ARN variable may hold `/` (log group names, secret names).
    Slash,
    /// `empty-account`: the resource type's ARNs may have an empty account field (resources
    /// that AWS owns, such as its Systems Manager documents and public parameters).
    EmptyAccount,
    /// `scoped`: the service's actions that the reference lists as taking only `*` may also
    /// be granted on ARNs of the resource type (CloudWatch Logs authorizes them on log groups).
    Scoped,
}

/// Every correction, in file order.
#[derive(Debug, Default)]
pub struct Corrections {
    list: Vec<Correction>,
}

impl Corrections {
    /// The embedded corrections, read on first use (none, should the file fail to read: its
    /// tests read it whole).
    pub fn get() -> &'static Corrections {
        static CORRECTIONS: OnceLock<Corrections> = OnceLock::new();
        CORRECTIONS.get_or_init(|| Corrections::parse(EMBEDDED).unwrap_or_default())
    }

    /// Reads corrections text, reporting the first malformed line.
    pub fn parse(text: &str) -> Result<Corrections, CatalogError> {
        let mut list = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let error = |message: &str| CatalogError {
                line: n + 1,
                message: message.to_owned(),
            };
            let fields: Vec<&str> = line.split('\t').collect();
            let [kind, service, subject, source] = fields.as_slice() else {
                return Err(error("expected four tab-separated fields"));
            };
            let kind = match *kind {
                "slash" => CorrectionKind::Slash,
                "empty-account" => CorrectionKind::EmptyAccount,
                "scoped" => CorrectionKind::Scoped,
                _ => return Err(error("unknown kind of correction")),
            };
            if !source.starts_with("https://docs.aws.amazon.com/") {
                return Err(error("the source must be an AWS documentation page"));
            }
            list.push(Correction {
                kind,
                service: (*service).to_owned(),
                subject: (*subject).to_owned(),
                source: (*source).to_owned(),
            });
        }
        Ok(Corrections { list })
    }

    /// Every correction.
    pub fn all(&self) -> &[Correction] {
        &self.list
    }

    fn any(&self, kind: CorrectionKind, service: &str, subject: &str) -> bool {
        self.list.iter().any(|c| {
            c.kind == kind
                && c.service.eq_ignore_ascii_case(service)
                && c.subject.eq_ignore_ascii_case(subject)
        })
    }

    /// Whether `${variable}` in an ARN format of `service` may hold `/`.
    pub fn slash(&self, service: &str, variable: &str) -> bool {
        self.any(CorrectionKind::Slash, service, variable)
    }

    /// Whether ARNs of `service`'s `resource_type` may have an empty account field.
    pub fn empty_account(&self, service: &str, resource_type: &str) -> bool {
        self.any(CorrectionKind::EmptyAccount, service, resource_type)
    }

    /// The resource type on which `service`'s `*`-only actions may also be granted.
    pub fn scoped(&self, service: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|c| c.kind == CorrectionKind::Scoped && c.service.eq_ignore_ascii_case(service))
            .map(|c| c.subject.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    /// Every correction names a service, variable or resource type that the catalog has.
    #[test]
    fn the_embedded_corrections_name_what_the_catalog_has() {
        let corrections = Corrections::parse(EMBEDDED).unwrap();
        assert!(!corrections.all().is_empty());
        let catalog = Catalog::get();
        for c in corrections.all() {
            let service = catalog.service(&c.service).unwrap();
            let types = service.resource_types();
            let found = match c.kind {
                CorrectionKind::Slash => types
                    .iter()
                    .any(|t| t.arn_format.contains(&format!("${{{}}}", c.subject))),
                CorrectionKind::EmptyAccount | CorrectionKind::Scoped => {
                    types.iter().any(|t| t.name == c.subject)
                }
            };
            assert!(found, "{c:?}");
        }
        assert!(corrections.slash("logs", "LogGroupName"));
        assert!(!corrections.slash("s3", "BucketName"));
        assert!(corrections.empty_account("ssm", "document"));
        assert_eq!(corrections.scoped("logs"), Some("log-group"));
    }

    #[test]
    fn malformed_lines_are_refused() {
        assert!(Corrections::parse("slash\tlogs\tX\n").is_err());
        assert!(Corrections::parse("nope\tlogs\tX\thttps://docs.aws.amazon.com/x\n").is_err());
        assert!(Corrections::parse("slash\tlogs\tX\thttps://example.com/x\n").is_err());
        assert!(
            Corrections::parse("# comment\n\n")
                .unwrap()
                .all()
                .is_empty()
        );
    }
}
