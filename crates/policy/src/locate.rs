//! Where each JSON value sits in the source text: a map from JSON pointer to line and column.
//!
//! How errors are located (the choice, briefly): `serde_json` parses and validates the text
//! (with its own line and column for malformed JSON), and [`SourceMap::build`] then walks the
//! same, now known-valid, text once with a small tokenizer that records the position of every
//! member key and value under its JSON pointer. Checking works on `serde_json::Value`, which
//! is also what documents read back from AWS are, so [`crate::parse`] and
//! [`crate::parse_value`] share one checker and differ only in whether positions are known.
//! A span-carrying JSON parser of our own would duplicate `serde_json`'s grammar and its
//! error messages; the crates that give spans either accept JSON5/JSONC (comments, trailing
//! commas: IAM rejects those) or are thinly maintained. The tokenizer is about 150 lines,
//! never panics (it stops recording at anything unexpected), and finds duplicate keys, which
//! `serde_json::Value` silently collapses.

use std::collections::{HashMap, HashSet};

/// A place in the source text. Lines and columns count from 1; columns count characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Position {
    /// Line number, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// Byte offset from the start of the text.
    pub offset: usize,
}

impl Position {
    /// The position of byte `offset` in `source` (clamped to the text).
    pub fn of_offset(source: &str, offset: usize) -> Position {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = source.get(..offset).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
        Position {
            line,
            column,
            offset,
        }
    }
}

/// Where one value of the document sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The member's key, for values inside an object.
    pub key: Option<Position>,
    /// The first character of the value.
    pub value: Position,
}

/// JSON pointer -> position of every value in a document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMap {
    entries: HashMap<String, Entry>,
    duplicates: Vec<(String, Position)>,
}

impl SourceMap {
    /// Indexes `source`, which should be valid JSON; on anything else it stops early and
    /// keeps what it found so far.
    pub fn build(source: &str) -> SourceMap {
        let mut scanner = Scanner {
            source,
            bytes: source.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            map: SourceMap::default(),
        };
        let mut pointer = String::new();
        scanner.skip_ws();
        let _ = scanner.value(&mut pointer, None, 0);
        scanner.map
    }

    /// Where the value at `pointer` sits.
    pub fn get(&self, pointer: &str) -> Option<&Entry> {
        self.entries.get(pointer)
    }

    /// Where the element at `pointer` is named: its key if it is an object member, else the
    /// value.
    pub fn key_or_value(&self, pointer: &str) -> Option<Position> {
        self.entries.get(pointer).map(|e| e.key.unwrap_or(e.value))
    }

    /// Keys that appear twice in one object: the pointer of the later one and its position.
    pub fn duplicates(&self) -> &[(String, Position)] {
        &self.duplicates
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/`.
pub(crate) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The same nesting limit as `serde_json`'s.
const MAX_DEPTH: usize = 128;

struct Scanner<'a> {
    source: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The line of `pos` and where it starts: only whitespace between tokens holds newlines
    /// in valid JSON, so `skip_ws` keeps these current.
    line: usize,
    line_start: usize,
    map: SourceMap,
}

/// The tokenizer met something that is not JSON: stop.
struct Stop;

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b @ (b' ' | b'\t' | b'\r' | b'\n')) = self.peek() {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.pos;
            }
        }
    }

    fn here(&self) -> Position {
        match self.source.get(self.line_start..self.pos) {
            Some(before) => Position {
                line: self.line,
                column: before.chars().count() + 1,
                offset: self.pos,
            },
            None => Position::of_offset(self.source, self.pos),
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Stop)
        }
    }

    fn value(
        &mut self,
        pointer: &mut String,
        key: Option<Position>,
        depth: usize,
    ) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop);
        }
        self.skip_ws();
        let entry = Entry {
            key,
            value: self.here(),
        };
        self.map.entries.insert(pointer.clone(), entry);
        match self.peek() {
            Some(b'{') => self.object(pointer, depth),
            Some(b'[') => self.array(pointer, depth),
            Some(b'"') => self.string().map(|_| ()),
            Some(_) => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.pos += 1;
                }
                Ok(())
            }
            None => Err(Stop),
        }
    }

    fn object(&mut self, pointer: &mut String, depth: usize) -> Result<(), Stop> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let mut seen = HashSet::new();
        loop {
            self.skip_ws();
            let key_pos = self.here();
            let key = self.string()?;
            self.expect(b':')?;
            let len = pointer.len();
            push_token(pointer, &key);
            if !seen.insert(key) {
                self.map.duplicates.push((pointer.clone(), key_pos));
            }
            let result = self.value(pointer, Some(key_pos), depth + 1);
            pointer.truncate(len);
            result?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Stop),
            }
        }
    }

    fn array(&mut self, pointer: &mut String, depth: usize) -> Result<(), Stop> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            let len = pointer.len();
            push_token(pointer, &index.to_string());
            let result = self.value(pointer, None, depth + 1);
            pointer.truncate(len);
            result?;
            index += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Stop),
            }
        }
    }

    /// Reads a string token and decodes it.
    fn string(&mut self) -> Result<String, Stop> {
        if self.peek() != Some(b'"') {
            return Err(Stop);
        }
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => self.pos += 2,
                Some(_) => self.pos += 1,
                None => return Err(Stop),
            }
        }
        let raw = self.source.get(start..self.pos).ok_or(Stop)?;
        serde_json::from_str(raw).map_err(|_| Stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str, pointer: &str, expected: Option<(usize, usize)>) {
        let map = SourceMap::build(source);
        let got = map.key_or_value(pointer).map(|p| (p.line, p.column));
        assert_eq!(got, expected, "{pointer} in {source}");
    }

    #[test]
    fn positions_of_keys_and_values() {
        let doc = "{\n  \"a\": [1, {\"b/c\": \"x\"}],\n  \"é~\": true\n}";
        check(doc, "", Some((1, 1)));
        check(doc, "/a", Some((2, 3)));
        check(doc, "/a/0", Some((2, 9)));
        check(doc, "/a/1/b~1c", Some((2, 13)));
        check(doc, "/é~0", Some((3, 3)));
        check(doc, "/a/2", None);
        let map = SourceMap::build(doc);
        assert_eq!(map.get("/é~0").map(|e| e.value.column), Some(9));
    }

    #[test]
    fn duplicates_and_garbage() {
        let map = SourceMap::build(r#"{"a": 1, "a": 2}"#);
        assert_eq!(map.duplicates().len(), 1);
        assert_eq!(map.duplicates()[0].0, "/a");
        for junk in [
            "", "{", "[1,", "\"\\", "{\"a\"", "{\"a\":}", "\u{e9}", "[[[[[",
        ] {
            let _ = SourceMap::build(junk);
        }
    }

    #[test]
    fn offsets_to_positions() {
        assert_eq!(Position::of_offset("ab\ncd", 4).line, 2);
        assert_eq!(Position::of_offset("ab\ncd", 4).column, 2);
        assert_eq!(Position::of_offset("é", 1).column, 1);
        assert_eq!(Position::of_offset("x", 99).offset, 1);
    }
}
