//! Parsing the baseline's nine policies.
fn main() {}
