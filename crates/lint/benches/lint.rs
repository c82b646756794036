//! Benchmark: linting the article's nine policies (as the article wrote them, so that every
//! kind of finding is built).
//!
//! Run with `cargo bench -p iamkit-lint`.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use iamkit_lint::{LintOptions, lint};

macro_rules! originals {
    ($($name:literal),*) => {
        [$(($name, include_str!(concat!("../../../policies/original/", $name, ".json")))),*]
    };
}

const NINE: [(&str, &str); 9] = originals!(
    "enable-mfa",
    "enable-accesskey",
    "enable-role-assume",
    "enable-pass-role",
    "enable-list-roles",
    "manage-iam",
    "develop-lambda",
    "develop-s3",
    "editable-s3-object"
);

fn benches(c: &mut Criterion) {
    let options = LintOptions::default();
    c.bench_function("lint/the nine original policies", |b| {
        b.iter(|| {
            for (name, text) in NINE {
                black_box(lint(name, black_box(text), &options).len());
            }
        })
    });
}

/// The benchmark group (a module, so the generated function needs no doc of its own).
mod group {
    use super::benches;
    criterion::criterion_group!(lint, benches);
}

criterion_main!(group::lint);
