//! Decisions per second on the shared example cases (`tests/cases/shared.json`), policies
//! compiled once, one thread: the same measurement as `cargo xtask simulate --bench`.
//!
//! Run with `cargo bench -p iamkit-eval`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};

const SHARED: &str = include_str!("../tests/cases/shared.json");

fn evaluate(c: &mut Criterion) {
    let cases = match iamkit_eval::cases::parse(SHARED) {
        Ok(cases) => cases,
        Err(err) => {
            eprintln!("tests/cases/shared.json:{err}");
            return;
        }
    };
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("shared cases (30 decisions)", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(case.decide());
            }
        })
    });
    group.finish();
}

#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::evaluate);
}

criterion_main!(group::benches);
