//! `cargo xtask bench`: how fast the flows are, with the command behind each figure.
//!
//! Setup runs against a fresh local emulator through the test harness's proxy
//! (`iamkit_e2e::proxy`), which counts requests and adds a fixed latency to each: at 0 ms it
//! measures our own overhead and the emulator's; at 50 ms it shows how much of the work runs
//! in parallel. The proxy stays in the test harness (no product crate ships fault injection);
//! xtask, which is not shipped either, borrows it rather than keep a second copy.

use std::{
    collections::BTreeMap,
    hint::black_box,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use iamkit_e2e::proxy::{Faults, Proxy};
use iamkit_emulator::{Emulator, Install, Lifetime};
use iamkit_lint::{self as lint, LintOptions, PolicyKind};
use iamkit_provision::{ApplyOptions, Clients, Events, SetupOptions, Target};
use iamkit_stack::{Code, Manifest, Plan};

#[derive(clap::Args)]
pub struct Args {
    /// The latency added to every request in the second setup run, in milliseconds.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
    /// Only the linter on every AWS managed policy, beside parliament on the same policies.
    #[arg(long)]
    lint: bool,
    /// Only the engine and linter figures: no emulator, no setup.
    #[arg(long)]
    engine: bool,
    /// Leave out the other engine (`@cloud-copilot/iam-simulate`, run with node).
    #[arg(long)]
    no_other_engine: bool,
    #[command(flatten)]
    lambda: crate::bench_lambda::ProfileArgs,
}

pub fn run(args: Args) -> Result<()> {
    if args.lint {
        return crate::bench_lint::run();
    }
    if args.lambda.wanted() {
        return crate::bench_lambda::run(&args.lambda);
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    say!("machine: {cores} cores ({})", std::env::consts::ARCH);
    say!("all figures: `cargo xtask bench` (debug build unless run with --release)\n");
    let manifest = crate::setup::read_manifest(&crate::global::Global::default().manifest_path())?;
    lint_nine(&manifest);
    decisions()?;
    crate::families::run(args.no_other_engine)?;
    say!();
    if args.engine {
        return Ok(());
    }

    let install = Install::new(Install::default_dir());
    install.ensure(&mut |line| eprintln!("{line}"))?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(flows(
        &install,
        &manifest,
        Duration::from_millis(args.latency_ms),
    ))
}

/// Lints the nine policies, as setup does before anything is sent.
fn lint_nine(manifest: &Manifest) {
    let options = LintOptions {
        kind: PolicyKind::Identity,
        template: true,
        ..LintOptions::default()
    };
    let lint_all = || {
        for (name, policy) in &manifest.policies {
            black_box(lint::lint(name, &policy.text, &options));
        }
    };
    // Reading the manifest has linted them once already: the catalog is decoded.
    let rounds = 200u32;
    let started = Instant::now();
    for _ in 0..rounds {
        lint_all();
    }
    let each = started.elapsed() / rounds;
    say!(
        "lint of the {} policies: {} per run (mean of {rounds}; also `cargo xtask lint`)",
        manifest.policies.len(),
        ms(each)
    );
}

/// Engine decisions per second over the evaluation case files, policies compiled once.
fn decisions() -> Result<()> {
    let dir = crate::project_root().join("crates/eval/tests/cases");
    for file in ["blog.json", "conditions-string.json"] {
        let path = dir.join(file);
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let cases = iamkit_eval::cases::parse(&source)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let timing = crate::simulate::bench(&cases, Duration::from_secs(2));
        say!(
            "engine: {:.0} decisions/s over the {} cases of crates/eval/tests/cases/{file}, one thread (also: `cargo xtask simulate crates/eval/tests/cases/{file} --bench`)",
            timing.per_second(),
            cases.len()
        );
    }
    Ok(())
}

/// The flows against a fresh emulator, through a counting proxy.
async fn flows(install: &Install, manifest: &Manifest, latency: Duration) -> Result<()> {
    let emulator = Emulator::start(install, Lifetime::WithThisProcess)?;
    let proxy = Proxy::start(&emulator.endpoint()).await?;
    let pid = emulator.pid();
    let target = Target::Emulator {
        endpoint: proxy.endpoint(),
    };
    let region = manifest
        .region
        .as_deref()
        .unwrap_or(iamkit_provision::DEFAULT_REGION);
    let clients = iamkit_provision::connect(&target, Some(region)).await;
    let dir = std::env::temp_dir().join(format!("iamkit-bench-{}", std::process::id()));
    let options = ApplyOptions::new(&dir);
    let code = empty_package();
    say!(
        "setup from empty on a fresh emulator, the Lambda package an empty zip, parallelism {}:",
        options.parallelism
    );

    // The emulator's first answers are slow (Python imports on first use): warm it up.
    let warm = setup(
        &clients,
        &proxy,
        pid,
        manifest,
        &code,
        &options,
        Duration::ZERO,
    )
    .await?;
    say!(
        "  cold emulator, first setup (not counted): {}",
        ms(warm.wall)
    );
    teardown(&clients, manifest, &options).await?;

    for latency in [Duration::ZERO, latency] {
        let run = setup(&clients, &proxy, pid, manifest, &code, &options, latency).await?;
        run.print(latency);
        rerun_and_teardown(&clients, &proxy, pid, manifest, &code, &options, latency).await?;
    }

    // What the bound on parallelism buys: the same setup with the bound of earlier versions.
    let narrow = ApplyOptions {
        parallelism: 4,
        ..options.clone()
    };
    let run = setup(&clients, &proxy, pid, manifest, &code, &narrow, latency).await?;
    say!("with parallelism 4 instead of {}:", options.parallelism);
    run.print(latency);
    teardown(&clients, manifest, &options).await?;

    verify(&clients, &proxy, pid, manifest, &options, latency).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The function's package for the flows' figures: the smallest valid zip (an empty one),
/// which the emulator stores and never runs.
fn empty_package() -> BTreeMap<String, Code> {
    let mut zip = vec![0x50, 0x4b, 0x05, 0x06];
    zip.extend([0u8; 18]);
    BTreeMap::from([("hello".to_owned(), Code::from_zip(zip))])
}

/// On a set-up account: a second setup, which finds it converged, then the teardown, each
/// printed with its requests and writes.
async fn rerun_and_teardown(
    clients: &Clients,
    proxy: &Proxy,
    pid: u32,
    manifest: &Manifest,
    code: &BTreeMap<String, Code>,
    options: &ApplyOptions,
    latency: Duration,
) -> Result<()> {
    let rerun = setup(clients, proxy, pid, manifest, code, options, latency).await?;
    say!(
        "  rerun on the converged account ({} ms/request): {} wall ({} reading), {} requests, {} writes, {} changes planned",
        latency.as_millis(),
        ms(rerun.wall),
        ms(rerun.read),
        rerun.requests,
        rerun.writes,
        rerun.changes,
    );
    proxy.reset_counts();
    let started = Instant::now();
    let plan = teardown(clients, manifest, options).await?;
    say!(
        "  teardown ({} ms/request): {}, {} requests, {} writes, {} changes {} rounds deep",
        latency.as_millis(),
        ms(started.elapsed()),
        proxy.counts().total,
        proxy.counts().writes,
        plan.changes.len(),
        plan.depth()
    );
    Ok(())
}

/// `cargo xtask verify` on the set-up account, with the real Lambda package (verify invokes it).
async fn verify(
    clients: &Clients,
    proxy: &Proxy,
    pid: u32,
    manifest: &Manifest,
    options: &ApplyOptions,
    latency: Duration,
) -> Result<()> {
    let packaged = crate::lambda::package()?;
    let zip = std::fs::read(&packaged.zip)?;
    let code = BTreeMap::from([(crate::lambda::FUNCTION.to_owned(), Code::from_zip(zip))]);
    setup(
        clients,
        proxy,
        pid,
        manifest,
        &code,
        options,
        Duration::ZERO,
    )
    .await?;
    say!(
        "verify, after a setup with the real package ({:.2} MB):",
        packaged.zip_size as f64 / (1024.0 * 1024.0)
    );
    for latency in [Duration::ZERO, latency] {
        proxy.set_faults(Faults {
            latency,
            ..Faults::default()
        });
        proxy.reset_counts();
        let started = Instant::now();
        let report = crate::verify::run_on(clients, manifest, None, &packaged.zip).await?;
        let s = report.summary;
        say!(
            "  {} ms/request: {}, {} requests ({} passed, {} failed, {} warnings, {} skipped)",
            latency.as_millis(),
            ms(started.elapsed()),
            proxy.counts().total,
            s.pass,
            s.fail,
            s.warn,
            s.skipped
        );
    }
    proxy.set_faults(Faults::default());
    teardown(clients, manifest, options).await?;
    Ok(())
}

struct Run {
    wall: Duration,
    /// CPU time of this process (the provisioner, the SDK and the proxy) during the run.
    own_cpu: Duration,
    /// CPU time of the emulator's process during the run.
    emulator_cpu: Duration,
    read: Duration,
    requests: usize,
    read_requests: usize,
    writes: usize,
    changes: usize,
    depth: usize,
    by_step: Vec<(u8, usize)>,
}

impl Run {
    fn print(&self, latency: Duration) {
        let ideal = latency * self.depth as u32;
        let ratio = if ideal.is_zero() {
            "-".to_owned()
        } else {
            format!("{:.2}", self.wall.as_secs_f64() / ideal.as_secs_f64())
        };
        say!(
            "  {} ms/request: {} wall ({} reading: {} requests), {} requests, {} writes, {} changes in steps {:?} (step, changes); depth {}, ratio to depth x {} ms: {ratio}",
            latency.as_millis(),
            ms(self.wall),
            ms(self.read),
            self.read_requests,
            self.requests,
            self.writes,
            self.changes,
            self.by_step,
            self.depth,
            latency.as_millis()
        );
        say!(
            "    CPU during the run: emulator {}, this process (provisioner, SDK, proxy) {}",
            ms(self.emulator_cpu),
            ms(self.own_cpu)
        );
    }
}

/// Notes when the plan is made: how long the reads took, and how many requests they were.
struct Timing<'a> {
    proxy: &'a Proxy,
    started: Instant,
    code: BTreeMap<String, Code>,
    read: Option<(Duration, usize)>,
}

impl Events for Timing<'_> {
    fn packages(&mut self) -> Result<BTreeMap<String, Code>, iamkit_provision::Error> {
        Ok(self.code.clone())
    }

    fn planned(&mut self, _plan: &Plan) {
        self.read = Some((self.started.elapsed(), self.proxy.counts().total));
    }
}

/// One `cargo xtask setup`, through the library's flow, timed and counted.
async fn setup(
    clients: &Clients,
    proxy: &Proxy,
    emulator_pid: u32,
    manifest: &Manifest,
    code: &BTreeMap<String, Code>,
    options: &ApplyOptions,
    latency: Duration,
) -> Result<Run> {
    proxy.set_faults(Faults {
        latency,
        ..Faults::default()
    });
    proxy.reset_counts();
    let cpu_before = (
        crate::cpu::cpu_time("self"),
        crate::cpu::cpu_time(&emulator_pid.to_string()),
    );
    let mut timing = Timing {
        proxy,
        started: Instant::now(),
        code: code.clone(),
        read: None,
    };
    let options = SetupOptions {
        adopt: false,
        dry_run: false,
        apply: options.clone(),
    };
    let outcome = iamkit_provision::setup(clients, manifest, &options, &mut timing).await?;
    let wall = timing.started.elapsed();
    let (read, read_requests) = timing.read.unwrap_or_default();
    let counts = proxy.counts();
    let cpu_after = (
        crate::cpu::cpu_time("self"),
        crate::cpu::cpu_time(&emulator_pid.to_string()),
    );
    let plan = &outcome.plan;
    Ok(Run {
        wall,
        own_cpu: cpu_after.0.saturating_sub(cpu_before.0),
        emulator_cpu: cpu_after.1.saturating_sub(cpu_before.1),
        read,
        requests: counts.total,
        read_requests,
        writes: counts.writes,
        changes: plan.changes.len(),
        depth: depth(plan),
        by_step: by_step(plan),
    })
}

/// The library's teardown; its plan.
async fn teardown(clients: &Clients, manifest: &Manifest, options: &ApplyOptions) -> Result<Plan> {
    struct Quiet;
    impl Events for Quiet {}
    let options = SetupOptions {
        adopt: false,
        dry_run: false,
        apply: options.clone(),
    };
    let outcome = iamkit_provision::teardown(clients, manifest, &options, &mut Quiet).await?;
    Ok(outcome.plan)
}

/// The depth of the dependency graph: one level for the identity call (the account id names
/// the policies and the bucket), one for the reads (independent of each other), and the
/// longest chain of changes that wait for each other (`Plan::depth`).
fn depth(plan: &Plan) -> usize {
    2 + plan.depth()
}

fn by_step(plan: &Plan) -> Vec<(u8, usize)> {
    let mut steps = BTreeMap::new();
    for change in &plan.changes {
        *steps.entry(change.op.step()).or_insert(0) += 1;
    }
    steps.into_iter().collect()
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
