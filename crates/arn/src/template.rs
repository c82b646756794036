//! `Template`: text with `<account-id>` placeholders, as the article writes its policies.

use std::fmt;

use crate::{AccountId, ArnError, error::column};

/// Where a `<account-id>` placeholder sits in a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placeholder {
    /// Byte offset of the `<`.
    pub offset: usize,
    /// 1-based line of the `<`.
    pub line: usize,
    /// 1-based column (in characters) of the `<` on its line.
    pub column: usize,
}

/// Text with `<account-id>` placeholders, filled in from an [`AccountId`].
///
/// Anything else between `<` and `>` is left alone, except near-misses of the placeholder
/// (`<account_id>`, `<AccountId>`, `<accountid>`), which are errors: filling would silently
/// skip them.
///
/// ```
/// use iamkit_arn::{AccountId, Template};
/// let template = Template::parse(r#"{"Resource": "arn:aws:iam::<account-id>:role/admin"}"#)?;
/// assert_eq!(template.placeholders().len(), 1);
/// let account: AccountId = "123456789012".parse()?;
/// assert_eq!(
///     template.fill(&account),
///     r#"{"Resource": "arn:aws:iam::123456789012:role/admin"}"#
/// );
///
/// let error = Template::parse("arn:aws:iam::<Account-ID>:root").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid placeholder `<Account-ID>` at line 1, column 14: write it as `<account-id>`"
/// );
/// # Ok::<(), iamkit_arn::ArnError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Template {
    source: String,
    placeholders: Vec<Placeholder>,
}

impl Template {
    /// The placeholder, as the article writes it.
    pub const ACCOUNT_ID: &'static str = "<account-id>";

    /// Finds every `<account-id>` in `text`.
    pub fn parse(text: &str) -> Result<Template, ArnError> {
        let mut placeholders = Vec::new();
        let mut line = 1;
        let mut line_start = 0;
        let mut search = 0;
        while let Some(found) = text.get(search..).and_then(|rest| rest.find('<')) {
            let offset = search + found;
            let before = text.get(line_start..offset).unwrap_or_default();
            line += before.matches('\n').count();
            if let Some(last_newline) = before.rfind('\n') {
                line_start += last_newline + 1;
            }
            let line_text = text.get(line_start..).unwrap_or_default();
            let column = column(line_text, offset - line_start);
            search = offset + 1;
            let after = text.get(offset + 1..).unwrap_or_default();
            let Some(close) = after.find('>') else {
                continue;
            };
            let name = after.get(..close).unwrap_or_default();
            if name == "account-id" {
                placeholders.push(Placeholder {
                    offset,
                    line,
                    column,
                });
                search = offset + Template::ACCOUNT_ID.len();
                continue;
            }
            let folded: String = name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            let word_like = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '));
            if folded == "accountid" && word_like {
                return Err(ArnError::Placeholder {
                    found: format!("<{name}>"),
                    line,
                    column,
                    reason: format!("write it as `{}`", Template::ACCOUNT_ID),
                });
            }
        }
        Ok(Template {
            source: text.to_owned(),
            placeholders,
        })
    }

    /// The text as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every placeholder, in order.
    pub fn placeholders(&self) -> &[Placeholder] {
        &self.placeholders
    }

    /// Whether the text has no placeholder, so filling changes nothing.
    pub fn is_filled(&self) -> bool {
        self.placeholders.is_empty()
    }

    /// The text with every placeholder replaced by `account`.
    pub fn fill(&self, account: &AccountId) -> String {
        let mut out = String::with_capacity(self.source.len());
        let mut from = 0;
        for placeholder in &self.placeholders {
            out.push_str(
                self.source
                    .get(from..placeholder.offset)
                    .unwrap_or_default(),
            );
            out.push_str(account.as_str());
            from = placeholder.offset + Template::ACCOUNT_ID.len();
        }
        out.push_str(self.source.get(from..).unwrap_or_default());
        out
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filled text and each placeholder's (line, column).
    type Filled<'a> = (&'a str, &'a [(usize, usize)]);

    /// `expected`: what filling gives, or the error message.
    fn check(input: &str, expected: Result<Filled<'_>, &str>) {
        let account: AccountId = "123456789012".parse().unwrap();
        let got = Template::parse(input);
        match expected {
            Ok((filled, at)) => {
                let template = got.unwrap();
                assert_eq!(template.fill(&account), filled);
                let positions: Vec<_> = template
                    .placeholders()
                    .iter()
                    .map(|p| (p.line, p.column))
                    .collect();
                assert_eq!(positions, at);
                assert_eq!(template.to_string(), input);
            }
            Err(message) => assert_eq!(got.unwrap_err().to_string(), message),
        }
    }

    #[test]
    fn fills_every_placeholder() {
        check("no placeholder", Ok(("no placeholder", &[])));
        check("", Ok(("", &[])));
        check(
            "arn:aws:iam::<account-id>:role/admin",
            Ok(("arn:aws:iam::123456789012:role/admin", &[(1, 14)])),
        );
        check(
            "{\n  \"a\": \"<account-id>\",\n  \"b\": \"é<account-id><account-id>\"\n}",
            Ok((
                "{\n  \"a\": \"123456789012\",\n  \"b\": \"é123456789012123456789012\"\n}",
                &[(2, 9), (3, 10), (3, 22)],
            )),
        );
        check("a < b > c", Ok(("a < b > c", &[])));
        check("<region> <", Ok(("<region> <", &[])));
        check("<<account-id>>", Ok(("<123456789012>", &[(1, 2)])));
    }

    #[test]
    fn near_misses_are_errors() {
        check(
            "x\n  arn:aws:iam::<account_id>:root",
            Err(
                "invalid placeholder `<account_id>` at line 2, column 16: write it as `<account-id>`",
            ),
        );
        check(
            "<AccountId>",
            Err(
                "invalid placeholder `<AccountId>` at line 1, column 1: write it as `<account-id>`",
            ),
        );
        check(
            "<account id>",
            Err(
                "invalid placeholder `<account id>` at line 1, column 1: write it as `<account-id>`",
            ),
        );
    }
}
