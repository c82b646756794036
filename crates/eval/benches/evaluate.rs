//! Decisions per second on the shared example cases, policies compiled once, one thread.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/examples/eval-cases.json");
    let local = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases/shared.json");
    let source = std::fs::read_to_string(local)
        .or_else(|_| std::fs::read_to_string(path))
        .unwrap_or_else(|e| panic!("cannot read the shared cases: {e}"));
    let cases = iamkit_eval::cases::parse(&source).unwrap();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("shared-cases", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(case.decide());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
