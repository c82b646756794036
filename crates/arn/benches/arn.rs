//! Benchmarks: parsing ARNs, compiling patterns, matching actions and resources.
//!
//! Run with `cargo bench -p iamkit-arn`.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use iamkit_arn::{Arn, Pattern, ResourcePattern, Variable};

const ARNS: [&str; 4] = [
    "arn:aws:iam::123456789012:user/dev-user",
    "arn:aws:s3:::iamkit-hello/hello.txt",
    "arn:aws:lambda:ap-northeast-1:123456789012:function:hello",
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/hello:log-stream:2026/11/27",
];

fn parse(c: &mut Criterion) {
    c.bench_function("arn/parse (4 ARNs)", |b| {
        b.iter(|| {
            for text in ARNS {
                black_box(black_box(text).parse::<Arn>().ok());
            }
        })
    });
    c.bench_function("resource_pattern/parse `arn:aws:s3:::*/*`", |b| {
        b.iter(|| black_box(ResourcePattern::parse(black_box("arn:aws:s3:::*/*")).ok()))
    });
}

fn matching(c: &mut Criterion) {
    let action = Pattern::new_ignore_case("iam:*MFADevice*");
    c.bench_function("pattern/action ignore-case `iam:*MFADevice*`", |b| {
        b.iter(|| {
            black_box(action.matches(black_box("iam:ResyncMFADevice")))
                & black_box(action.matches(black_box("iam:CreateAccessKey")))
        })
    });

    let objects =
        ResourcePattern::parse("arn:aws:s3:::*/*").unwrap_or_else(|_| ResourcePattern::any());
    c.bench_function(
        "resource_pattern/match `arn:aws:s3:::*/*` (object + bucket)",
        |b| {
            b.iter(|| {
                black_box(objects.matches(black_box("arn:aws:s3:::iamkit-hello/hello.txt")))
                    & black_box(objects.matches(black_box("arn:aws:s3:::iamkit-hello")))
            })
        },
    );

    let role = ResourcePattern::parse("arn:aws:iam::123456789012:role/admin")
        .unwrap_or_else(|_| ResourcePattern::any());
    c.bench_function("resource_pattern/match exact role ARN", |b| {
        b.iter(|| black_box(role.matches(black_box("arn:aws:iam::123456789012:role/admin"))))
    });

    let logs = ResourcePattern::parse("arn:aws:logs:*:123456789012:log-group:/aws/lambda/*:*")
        .unwrap_or_else(|_| ResourcePattern::any());
    c.bench_function("resource_pattern/match log stream, two stars", |b| {
        b.iter(|| black_box(logs.matches(black_box(ARNS[3]))))
    });

    let home = ResourcePattern::parse("arn:aws:s3:::home/${aws:username}/*")
        .unwrap_or_else(|_| ResourcePattern::any());
    c.bench_function(
        "resource_pattern/resolve `${aws:username}` then match",
        |b| {
            b.iter(|| {
                let mut lookup = |_: &Variable| Some("dev-user".to_owned());
                home.resolve(&mut lookup)
                    .is_some_and(|p| p.matches(black_box("arn:aws:s3:::home/dev-user/notes.txt")))
            })
        },
    );

    c.bench_function(
        "resource_pattern/match `${aws:username}` resolved while matching",
        |b| {
            b.iter(|| {
                home.matches_with(black_box("arn:aws:s3:::home/dev-user/notes.txt"), |_| {
                    Some("dev-user")
                })
            })
        },
    );

    let logs_key = format!(
        "arn:aws:s3:::iamkit-logs/{}/logs/2026-11-27.gz",
        "deep/path".repeat(20)
    );
    let gz = ResourcePattern::parse("arn:aws:s3:::iamkit-logs/*/logs/*.gz")
        .unwrap_or_else(|_| ResourcePattern::any());
    c.bench_function(
        "resource_pattern/match 220-byte S3 key, `*/logs/*.gz`",
        |b| b.iter(|| black_box(gz.matches(black_box(&logs_key)))),
    );

    // `?` right after `*` defeats the jump to the next literal: every retry is a full try.
    let worst = Pattern::new(&format!("*{}b", "?a".repeat(8)));
    let subject = format!("{}b", "a".repeat(255));
    c.bench_function("pattern/worst case `*?a?a...?ab` on 256 characters", |b| {
        b.iter(|| black_box(worst.matches(black_box(&subject))))
    });
}

/// `criterion_group!` defines an undocumented `pub fn`; keep it in its own module.
#[allow(missing_docs)]
mod group {
    use super::{matching, parse};
    criterion::criterion_group!(benches, parse, matching);
}

criterion_main!(group::benches);
