//! Benchmarks: parsing the baseline's nine policies, from text and from a JSON value, and
//! reporting the errors of an invalid one.
//!
//! Run with `cargo bench -p iamkit-policy`.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};

macro_rules! policies {
    ($($name:literal),*) => {
        [$(($name, include_str!(concat!("../../../policies/", $name, ".json")))),*]
    };
}

const NINE: [(&str, &str); 9] = policies!(
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

fn parse_nine(c: &mut Criterion) {
    c.bench_function("policy/parse the nine policies", |b| {
        b.iter(|| {
            for (_, text) in NINE {
                black_box(iamkit_policy::parse(black_box(text)).is_ok());
            }
        })
    });
    let values: Vec<serde_json::Value> = NINE
        .iter()
        .filter_map(|(_, text)| serde_json::from_str(text).ok())
        .collect();
    c.bench_function("policy/parse_value the nine policies", |b| {
        b.iter(|| {
            for value in &values {
                black_box(iamkit_policy::parse_value(black_box(value)).is_ok());
            }
        })
    });
    let (_, mfa) = NINE[0];
    c.bench_function("policy/parse enable-mfa (largest)", |b| {
        b.iter(|| black_box(iamkit_policy::parse(black_box(mfa)).is_ok()))
    });
    let broken = include_str!("../../../policies/invalid/unknown-element.json");
    c.bench_function("policy/parse an invalid policy and render", |b| {
        b.iter(|| {
            black_box(
                iamkit_policy::parse(black_box(broken))
                    .err()
                    .map(|e| e.render("unknown-element.json")),
            )
        })
    });
}

/// The benchmark group (a module, so the generated function needs no doc of its own).
mod group {
    use super::parse_nine;
    criterion::criterion_group!(benches, parse_nine);
}

criterion_main!(group::benches);
