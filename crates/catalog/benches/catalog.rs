//! Benchmarks: decoding the embedded service catalog, and expanding an action wildcard.
//!
//! Run with `cargo bench -p iamkit-catalog`.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use iamkit_catalog::Catalog;

const EMBEDDED: &str = include_str!("../src/iam-data.tsv");

fn benches(c: &mut Criterion) {
    c.bench_function("catalog/decode the embedded catalog, every service", |b| {
        b.iter(|| black_box(Catalog::parse(black_box(EMBEDDED)).is_ok()))
    });
    let catalog = Catalog::get();
    c.bench_function("catalog/expand iam:*Role*", |b| {
        b.iter(|| black_box(catalog.expand(black_box("iam:*Role*")).len()))
    });
}

/// The benchmark group (a module, so the generated function needs no doc of its own).
mod group {
    use super::benches;
    criterion::criterion_group!(catalog, benches);
}

criterion_main!(group::catalog);
