//! Benchmarks: effective permissions of one principal over the whole service catalog, and
//! `access paths` on the generated benchmark account (1,000 users, 500 roles, 2,000
//! policies; `iamkit_access::synthetic::Shape::benchmark`).
//!
//! `cargo bench -p iamkit-access`

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use iamkit_access::synthetic::{Shape, generate};
use iamkit_access::{Account, Analysis, load_details, load_functions};

fn account() -> Account {
    let generated = generate(&Shape::benchmark());
    let mut account = load_details(&generated.details.to_string()).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    account.functions = load_functions(&generated.functions.to_string()).unwrap_or_default();
    account
}

fn permissions(c: &mut Criterion) {
    let account = account();
    let analysis = Analysis::new(&account);
    // user-0000 holds p0000, which allows everything (every action allowed: the most work); user-0010
    // is an ordinary user in one to three groups.
    for user in ["user-0000", "user-0010"] {
        let arn = format!("arn:aws:iam::123456789012:user/{user}");
        // Decode the catalog and compile the principal outside the measurement.
        let _ = analysis.permissions(&arn);
        c.bench_function(&format!("permissions {user} over the catalog"), |b| {
            b.iter(|| black_box(analysis.permissions(black_box(&arn))))
        });
    }
}

fn paths(c: &mut Criterion) {
    let account = account();
    let mut group = c.benchmark_group("paths");
    group.sample_size(10);
    group.bench_function("1000 users 500 roles 2000 policies", |b| {
        b.iter(|| black_box(Analysis::new(black_box(&account)).paths()))
    });
    group.finish();
}

#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::permissions, super::paths);
}

criterion_main!(group::benches);
