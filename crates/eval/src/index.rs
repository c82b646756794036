//! Which statements' `Action` or `NotAction` match a request's action, without testing every
//! action entry of every statement: AWS managed policies list up to a few thousand entries
//! (ReadOnlyAccess), and a request can match only those of its own service.
//!
//! Entries are split three ways when the policies are compiled: exact names in a hash map
//! (lowercased `service:name`), wildcard names under their lowercased service prefix (those
//! of the form `Get*` as the lowercased text before the star, compared as a prefix), and
//! the few entries whose service is `*` (`*`, `*:Get*`) apart. A request's action is then
//! one hash lookup, the wildcard entries of one service, and the `*` entries. An action that
//! is not ASCII takes the plain path (every entry, matched with Unicode case folding), so
//! the index answers exactly what the entries' own matchers answer.

use std::collections::HashMap;

use iamkit_policy::ActionPattern;

/// The statements of one policy type, indexed by the actions they name.
#[derive(Clone, Debug, Default)]
pub(crate) struct ActionIndex {
    /// Exact entries: lowercased `service:name` to the statements naming it.
    exact: HashMap<Box<str>, Vec<u32>>,
    /// Wildcard entries by lowercased service prefix.
    by_service: HashMap<Box<str>, ServiceEntries>,
    /// The lowercased names before the star of `Name*` entries, one after another.
    text: String,
    /// Entries whose service is `*`.
    any_service: Vec<(ActionPattern, u32)>,
    /// Statements with `NotAction`, in order: they match when none of their entries does.
    negated: Vec<u32>,
    /// Whether there are so few entries that testing each is cheaper than the lookups.
    small: bool,
}

/// The wildcard entries of one service.
#[derive(Clone, Debug, Default)]
struct ServiceEntries {
    /// `Name*` entries (the common shape: `Get*`, `List*`, `*`): the lowercased name before
    /// the star, as a range of [`ActionIndex::text`], and the statement. Contiguous, so a
    /// service's entries are tested without following a pointer per entry.
    prefixes: Vec<(u32, u32, u32)>,
    /// Every other wildcard entry (`*Object`, `Get?bject`), with its own matcher.
    others: Vec<(ActionPattern, u32)>,
}

/// The name before the star when a name pattern is `Name*` with no other wildcard.
fn star_prefix(name: &str) -> Option<&str> {
    name.strip_suffix('*').filter(|p| !p.contains(['*', '?']))
}

/// Up to this many entries in all, a group's statements are scanned, not looked up.
const SMALL: usize = 4;

/// What the index reads of a statement: its `Action` or `NotAction` entries.
pub(crate) trait Actions {
    /// The entries.
    fn actions(&self) -> &[ActionPattern];
    /// Whether they are `NotAction`.
    fn not_action(&self) -> bool;
}

/// The longest action the index looks up without allocating.
const INLINE_ACTION: usize = 128;

impl ActionIndex {
    /// Indexes `statements`; a statement is named by its position in the iterator.
    pub(crate) fn build<'s, S: Actions + 's>(
        statements: impl Iterator<Item = &'s S>,
    ) -> ActionIndex {
        ActionIndex::build_scanning_up_to(statements, SMALL)
    }

    /// [`ActionIndex::build`], scanning groups of up to `small` entries.
    fn build_scanning_up_to<'s, S: Actions + 's>(
        statements: impl Iterator<Item = &'s S>,
        small: usize,
    ) -> ActionIndex {
        let mut index = ActionIndex::default();
        let mut entries = 0;
        for (at, statement) in statements.enumerate() {
            entries += statement.actions().len();
            let at = u32::try_from(at).unwrap_or(u32::MAX);
            if statement.not_action() {
                index.negated.push(at);
            }
            for pattern in statement.actions() {
                index.add(pattern, at);
            }
        }
        index.small = entries <= small;
        index
    }

    fn add(&mut self, pattern: &ActionPattern, at: u32) {
        if pattern.service == "*" {
            self.any_service.push((pattern.clone(), at));
        } else if pattern.has_wildcard() {
            let prefix = star_prefix(&pattern.name_pattern).map(|prefix| {
                let start = self.text.len();
                self.text.push_str(&prefix.to_ascii_lowercase());
                let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                (to_u32(start), to_u32(prefix.len()), at)
            });
            let entries = self
                .by_service
                .entry(pattern.service.to_ascii_lowercase().into())
                .or_default();
            match prefix {
                Some(prefix) => entries.prefixes.push(prefix),
                None => entries.others.push((pattern.clone(), at)),
            }
        } else {
            let key = format!("{}:{}", pattern.service, pattern.name_pattern).to_ascii_lowercase();
            let list = self.exact.entry(key.into()).or_default();
            if list.last() != Some(&at) {
                list.push(at);
            }
        }
    }

    /// Puts in `out`, in order and once each, the positions of the statements whose
    /// `Action` names `action` or whose `NotAction` does not. `statements` are the indexed
    /// statements (for the plain path).
    pub(crate) fn matching<S: Actions>(&self, action: &str, statements: &[S], out: &mut Positions) {
        out.clear();
        if self.small {
            return plain(action, statements, out);
        }
        let mut buffer = [0u8; INLINE_ACTION];
        let lower = match buffer.get_mut(..action.len()) {
            Some(lower) if action.is_ascii() => {
                lower.copy_from_slice(action.as_bytes());
                lower.make_ascii_lowercase();
                std::str::from_utf8(lower).ok()
            }
            _ => None,
        };
        let Some(lower) = lower else {
            return plain(action, statements, out);
        };
        // Every statement one of whose entries names the action.
        if let Some(list) = self.exact.get(lower) {
            list.iter().for_each(|at| out.push(*at));
        }
        if let Some((service, name)) = lower.split_once(':')
            && let Some(entries) = self.by_service.get(service)
        {
            for &(start, len, at) in &entries.prefixes {
                let prefix = self
                    .text
                    .get(start as usize..(start as usize).saturating_add(len as usize));
                if prefix.is_some_and(|p| name.starts_with(p)) {
                    out.push(at);
                }
            }
            for (pattern, at) in &entries.others {
                if pattern.matches(action) {
                    out.push(*at);
                }
            }
        }
        for (pattern, at) in &self.any_service {
            if pattern.matches(action) {
                out.push(*at);
            }
        }
        out.sort_dedup();
        if !self.negated.is_empty() {
            out.apply_negated(&self.negated, statements);
        }
    }
}

/// The plain path: every entry of every statement.
fn plain<S: Actions>(action: &str, statements: &[S], out: &mut Positions) {
    for (at, statement) in statements.iter().enumerate() {
        let hit = statement.actions().iter().any(|a| a.matches(action));
        if hit != statement.not_action() && !statement.actions().is_empty() {
            out.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
    }
}

/// Statement positions, kept on the stack while there are few.
pub(crate) struct Positions {
    inline: [u32; Positions::INLINE],
    len: usize,
    spilled: Vec<u32>,
}

impl Default for Positions {
    fn default() -> Self {
        Positions {
            inline: [0; Positions::INLINE],
            len: 0,
            spilled: Vec::new(),
        }
    }
}

impl Positions {
    const INLINE: usize = 16;

    fn clear(&mut self) {
        self.len = 0;
        self.spilled.clear();
    }

    fn push(&mut self, at: u32) {
        if !self.spilled.is_empty() {
            return self.spilled.push(at);
        }
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = at;
                self.len += 1;
            }
            None => {
                self.spilled.extend_from_slice(&self.inline);
                self.spilled.push(at);
            }
        }
    }

    /// The positions, in the order they were pushed (sorted after `sort_dedup`).
    pub(crate) fn as_slice(&self) -> &[u32] {
        if self.spilled.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.spilled
        }
    }

    fn sort_dedup(&mut self) {
        if !self.spilled.is_empty() {
            self.spilled.sort_unstable();
            self.spilled.dedup();
            return;
        }
        let mut copy = self.inline;
        let sorted = copy.get_mut(..self.len).unwrap_or_default();
        sorted.sort_unstable();
        self.len = 0;
        let mut last = None;
        for &at in sorted.iter() {
            if last != Some(at) {
                self.push(at);
                last = Some(at);
            }
        }
    }

    /// Turns "statements with an entry naming the action" into "statements that match":
    /// a `NotAction` statement matches when it is *not* among them (and has entries).
    fn apply_negated<S: Actions>(&mut self, negated: &[u32], statements: &[S]) {
        let named: Vec<u32> = self.as_slice().to_vec();
        self.clear();
        let mut not = negated.iter().peekable();
        let mut emit_negated_below = |limit: u32, out: &mut Positions| {
            while let Some(&&n) = not.peek() {
                if n >= limit {
                    break;
                }
                not.next();
                let has_entries = statements
                    .get(n as usize)
                    .is_some_and(|s| !s.actions().is_empty());
                if has_entries && !named.contains(&n) {
                    out.push(n);
                }
            }
        };
        for &at in &named {
            emit_negated_below(at, self);
            let is_negated = statements.get(at as usize).is_some_and(|s| s.not_action());
            if !is_negated {
                self.push(at);
            }
        }
        emit_negated_below(u32::MAX, self);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::NamedPolicy;
    use crate::compile::Group;

    /// A group of one policy whose statements have these `Action` (or, after `!`,
    /// `NotAction`) entries.
    fn group(statements: &[&[&str]]) -> Group {
        let statements: Vec<_> = statements
            .iter()
            .map(|entries| {
                let not = entries.first().is_some_and(|e| e.starts_with('!'));
                let list: Vec<&str> = entries.iter().map(|e| e.trim_start_matches('!')).collect();
                let key = if not { "NotAction" } else { "Action" };
                json!({"Effect": "Allow", key: list, "Resource": "*"})
            })
            .collect();
        let document = json!({"Version": "2012-10-17", "Statement": statements});
        let policy = NamedPolicy::from_json("p", &document).unwrap();
        Group::new([&policy].into_iter())
    }

    /// What the index answers, however few the entries; checked against what the group
    /// answers (which scans small groups).
    fn indexed(group: &Group, action: &str) -> Vec<u32> {
        let index = ActionIndex::build_scanning_up_to(group.statements.iter(), 0);
        let mut out = Positions::default();
        index.matching(action, &group.statements, &mut out);
        let found = out.as_slice().to_vec();
        group.matching(action, &mut out);
        assert_eq!(
            out.as_slice(),
            found,
            "the group and its index disagree on {action}"
        );
        found
    }

    fn scanned(group: &Group, action: &str) -> Vec<u32> {
        let mut out = Positions::default();
        plain(action, &group.statements, &mut out);
        out.as_slice().to_vec()
    }

    #[test]
    fn the_index_answers_what_every_entry_answers() {
        let g = group(&[
            &["s3:GetObject", "s3:PutObject"],
            &["s3:Get*", "ec2:Describe*"],
            &["*"],
            &["!s3:*", "iam:*"],
            &["*:GetObject"],
            &["kms:Decrypt", "KMS:decrypt", "s3:get?bject"],
            &["!kms:Decrypt"],
        ]);
        let table: [(&str, &[u32]); 12] = [
            ("s3:GetObject", &[0, 1, 2, 4, 5, 6]),
            ("S3:GETOBJECT", &[0, 1, 2, 4, 5, 6]),
            ("s3:PutObject", &[0, 2, 6]),
            ("ec2:DescribeInstances", &[1, 2, 3, 6]),
            ("iam:CreateUser", &[2, 6]),
            ("kms:Decrypt", &[2, 3, 5]),
            ("lambda:GetObject", &[2, 3, 4, 6]),
            ("s3", &[2, 3, 6]),
            ("", &[2, 3, 6]),
            // Not ASCII: the plain path, with Unicode case folding (the Kelvin sign is `k`).
            ("\u{212A}ms:Decrypt", &[2, 3, 5]),
            ("s3:Getté", &[1, 2, 6]),
            // Longer than the inline buffer: the plain path too.
            (
                "s3:GetObjectTaggingVersionsAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMoreAndMore",
                &[1, 2, 6],
            ),
        ];
        for (action, expected) in table {
            assert_eq!(indexed(&g, action), expected, "{action}");
            assert_eq!(scanned(&g, action), expected, "{action}");
        }
    }

    #[test]
    fn many_matches_spill_past_the_inline_positions() {
        let entries: Vec<&[&str]> = vec![&["s3:*"]; 40];
        let g = group(&entries);
        let all: Vec<u32> = (0..40).collect();
        assert_eq!(indexed(&g, "s3:GetObject"), all);
        assert_eq!(indexed(&g, "ec2:RunInstances"), Vec::<u32>::new());
        let negated: Vec<&[&str]> = vec![&["!ec2:*"]; 20];
        let g = group(&negated);
        assert_eq!(indexed(&g, "s3:GetObject"), (0..20).collect::<Vec<u32>>());
        assert_eq!(indexed(&g, "ec2:RunInstances"), Vec::<u32>::new());
    }

    fn entry() -> impl Strategy<Value = String> {
        let service = prop::sample::select(vec!["s3", "S3", "ec2", "iam", "*"]);
        let name = prop::sample::select(vec![
            "GetObject",
            "Get*",
            "*",
            "get?bject",
            "*Object",
            "Describe*",
            "G*t*",
        ]);
        (service, name, any::<bool>()).prop_map(|(s, n, not)| {
            let text = if s == "*" && n == "*" {
                "*".to_owned()
            } else {
                format!("{s}:{n}")
            };
            if not { format!("!{text}") } else { text }
        })
    }

    proptest! {
        #[test]
        fn index_and_plain_path_agree(
            statements in prop::collection::vec(prop::collection::vec(entry(), 1..4), 1..12),
            action in prop::sample::select(vec![
                "s3:GetObject", "s3:getobject", "ec2:DescribeVpcs", "iam:GetUser", "s3:Gt",
                "sts:AssumeRole", "s3:", ":GetObject", "GetObject", "\u{212A}ms:Get",
            ]),
        ) {
            // A statement's entries are all `Action` or all `NotAction`, as in a policy.
            let statements: Vec<Vec<String>> = statements
                .into_iter()
                .map(|entries| {
                    let not = entries.first().is_some_and(|e| e.starts_with('!'));
                    entries
                        .iter()
                        .map(|e| {
                            let bare = e.trim_start_matches('!');
                            if not { format!("!{bare}") } else { bare.to_owned() }
                        })
                        .collect()
                })
                .collect();
            let borrowed: Vec<Vec<&str>> =
                statements.iter().map(|s| s.iter().map(String::as_str).collect()).collect();
            let slices: Vec<&[&str]> = borrowed.iter().map(Vec::as_slice).collect();
            let g = group(&slices);
            prop_assert_eq!(indexed(&g, action), scanned(&g, action));
        }
    }
}
