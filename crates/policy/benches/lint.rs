//! Benchmarks: decoding the embedded service catalog, and linting the article's nine policies
//! (as the article wrote them, so that every kind of finding is built).
//!
//! Run with `cargo bench -p iamkit-policy --bench lint`.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use iamkit_policy::catalog::Catalog;
use iamkit_policy::lint::{LintOptions, lint};

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

const EMBEDDED: &str = include_str!("../src/catalog/iam-data.tsv");

fn benches(c: &mut Criterion) {
    c.bench_function("catalog/decode the embedded catalog, every service", |b| {
        b.iter(|| black_box(Catalog::parse(black_box(EMBEDDED)).is_ok()))
    });
    let catalog = Catalog::get();
    c.bench_function("catalog/expand iam:*Role*", |b| {
        b.iter(|| black_box(catalog.expand(black_box("iam:*Role*")).len()))
    });
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
