//! Where each JSON value and object key starts in the source text, by JSON pointer.
//!
//! The linter reports findings against JSON pointers (`/Statement/0/Action/1`); this index
//! turns a pointer into the line and column an editor shows. It scans text that `serde_json`
//! has already accepted, so it only has to find starts, not validate.

use std::collections::HashMap;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

/// Positions of values and of object keys, by JSON pointer.
#[derive(Debug, Default)]
pub(crate) struct Locations {
    values: HashMap<String, Position>,
    keys: HashMap<String, Position>,
}

impl Locations {
    /// Indexes `source`. Text after a syntax error is left out; the rest is still indexed.
    pub(crate) fn new(source: &str) -> Self {
        let mut scanner = Scanner {
            text: source.as_bytes(),
            source,
            pos: 0,
            line: 1,
            line_start: 0,
            locations: Locations::default(),
        };
        scanner.skip_ws();
        let mut pointer = String::new();
        // A document nested deeper than serde_json accepts never reaches here.
        let _complete = scanner.value(&mut pointer, 0);
        scanner.locations
    }

    /// Where the value at `pointer` starts; for a missing pointer, its nearest ancestor.
    pub(crate) fn value(&self, pointer: &str) -> Position {
        let mut pointer = pointer;
        loop {
            if let Some(&position) = self.values.get(pointer) {
                return position;
            }
            match pointer.rfind('/') {
                Some(i) => pointer = pointer.get(..i).unwrap_or_default(),
                None => return Position { line: 1, column: 1 },
            }
        }
    }

    /// Where the key of the member at `pointer` starts (`/Statement/0/Condition/Bool` points at
    /// `"Bool"`); falls back to the value.
    pub(crate) fn key(&self, pointer: &str) -> Position {
        self.keys
            .get(pointer)
            .copied()
            .unwrap_or_else(|| self.value(pointer))
    }
}

/// Escapes one pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

struct Scanner<'a> {
    text: &'a [u8],
    source: &'a str,
    pos: usize,
    line: usize,
    line_start: usize,
    locations: Locations,
}

/// Deeper documents are not indexed (serde_json stops at 128 too).
const MAX_DEPTH: usize = 128;

impl Scanner<'_> {
    fn here(&self) -> Position {
        let column = self
            .source
            .get(self.line_start..self.pos)
            .map_or(0, |s| s.chars().count())
            + 1;
        Position {
            line: self.line,
            column,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
            self.line_start = self.pos + 1;
        }
        self.pos += 1;
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    /// Scans one value starting at the current position. Returns `None` on malformed input.
    fn value(&mut self, pointer: &mut String, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.locations.values.insert(pointer.clone(), self.here());
        match self.peek()? {
            b'{' => {
                self.bump();
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.bump();
                    return Some(());
                }
                loop {
                    let key_at = self.here();
                    let key = self.string()?;
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape(&key));
                    self.locations.keys.insert(pointer.clone(), key_at);
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.bump();
                    self.skip_ws();
                    self.value(pointer, depth + 1)?;
                    pointer.truncate(len);
                    self.skip_ws();
                    match self.peek()? {
                        b',' => {
                            self.bump();
                            self.skip_ws();
                        }
                        b'}' => {
                            self.bump();
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.bump();
                self.skip_ws();
                if self.peek()? == b']' {
                    self.bump();
                    return Some(());
                }
                let mut index = 0usize;
                loop {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                    self.value(pointer, depth + 1)?;
                    pointer.truncate(len);
                    index += 1;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => {
                            self.bump();
                            self.skip_ws();
                        }
                        b']' => {
                            self.bump();
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(drop),
            _ => {
                // A number, true, false or null: up to the next delimiter.
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.bump();
                }
                Some(())
            }
        }
    }

    /// Scans a string literal and returns its decoded text.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        self.bump();
        loop {
            match self.peek()? {
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                b'"' => {
                    self.bump();
                    break;
                }
                _ => self.bump(),
            }
        }
        let literal = self.source.get(start..self.pos)?;
        serde_json::from_str(literal).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str, pointer: &str, (line, column): (usize, usize)) {
        let locations = Locations::new(source);
        assert_eq!(
            locations.value(pointer),
            Position { line, column },
            "{pointer}"
        );
    }

    #[test]
    fn values_and_keys() {
        let source = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Action\": [\"s3:*\", \"é/x\"]}\n  ]\n}";
        check(source, "", (1, 1));
        check(source, "/Version", (2, 14));
        check(source, "/Statement/0", (4, 5));
        check(source, "/Statement/0/Action/0", (4, 17));
        check(source, "/Statement/0/Action/1", (4, 25));
        check(source, "/Statement/0/Missing", (4, 5));
        let locations = Locations::new(source);
        assert_eq!(
            locations.key("/Statement/0/Action"),
            Position { line: 4, column: 6 }
        );
    }

    #[test]
    fn escaped_keys() {
        let source = r#"{"a/b": {"c~d": 1}, "e\"f": 2}"#;
        check(source, "/a~1b/c~0d", (1, 17));
        check(source, "/e\"f", (1, 29));
    }

    #[test]
    fn broken_text_keeps_what_came_before() {
        check("{\"a\": 1, \"b\": [tru", "/a", (1, 7));
        check("[[[[", "/0/0", (1, 3));
    }
}
