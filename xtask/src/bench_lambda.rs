//! `cargo xtask bench --lambda-profile`: the `lambda` profile's options (LTO, codegen units,
//! opt-level), each built clean, zipped and started, for build time against zip size and
//! start time.
//!
//! Each configuration overrides the profile with `cargo --config` (nothing in `Cargo.toml`
//! changes) and builds after `<target>/lambda`, the profile's output folder, is removed: a
//! clean build of the Lambda's dependency graph, with the crates' sources already downloaded.
//! The build's CPU time (cargo, rustc, build scripts and the linker, user plus system, from
//! `/proc`) is the figure to rank on: on a shared machine wall time says how busy it was.
//!
//! Start time is a cold process start with the page cache warm: from spawning `bootstrap`
//! (unpacked from its zip, as Lambda does) to its first `GET .../invocation/next` on the
//! local Runtime API (`iamkit_emulator::lambda`), the median over `--starts` processes per
//! configuration, taken in turns so that a busy moment of the machine falls on all of them.
//! The first response adds one invocation: the handler's `PutObject` against a stub S3 on
//! 127.0.0.1 that answers 200 to everything.

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use iamkit_emulator::lambda::{Credentials, LocalFunction, Outcome, invoke_local};
use iamkit_hello_lambda::package::{self, PackageError};

/// One set of the profile's options.
struct Config {
    /// Short name, for `--only`.
    name: &'static str,
    /// `lto`, as TOML.
    lto: &'static str,
    codegen_units: u32,
    /// `codegen-units` for the dependencies (`[profile.lambda.package."*"]`, which leaves the
    /// Lambda's own crate alone), when different.
    deps_codegen_units: Option<u32>,
    /// `opt-level`, as TOML.
    opt_level: &'static str,
}

impl Config {
    fn cargo_config(&self) -> Vec<String> {
        // The dependencies' units always set, so that `Cargo.toml`'s own choice for them
        // does not leak into a configuration.
        let deps = self.deps_codegen_units.unwrap_or(self.codegen_units);
        vec![
            format!("profile.lambda.lto={}", self.lto),
            format!("profile.lambda.codegen-units={}", self.codegen_units),
            format!("profile.lambda.opt-level={}", self.opt_level),
            format!("profile.lambda.package.\"*\".codegen-units={deps}"),
        ]
    }

    fn codegen_units(&self) -> String {
        match self.deps_codegen_units {
            Some(deps) => format!("{} ({deps} for dependencies)", self.codegen_units),
            None => self.codegen_units.to_string(),
        }
    }
}

/// What is measured, in this order (`--only` picks some: a clean build takes about five
/// minutes of CPU each). `lto = false` is rustc's thin LTO within each crate
/// only (the release default); `"off"` is none at all.
const CONFIGS: [Config; 10] = [
    Config {
        name: "fat-1-s",
        lto: "\"fat\"",
        codegen_units: 1,
        deps_codegen_units: None,
        opt_level: "\"s\"",
    },
    Config {
        name: "fat-16-s",
        lto: "\"fat\"",
        codegen_units: 16,
        deps_codegen_units: None,
        opt_level: "\"s\"",
    },
    Config {
        name: "fat-deps16-s",
        lto: "\"fat\"",
        codegen_units: 1,
        deps_codegen_units: Some(16),
        opt_level: "\"s\"",
    },
    Config {
        name: "fat-deps16-3",
        lto: "\"fat\"",
        codegen_units: 1,
        deps_codegen_units: Some(16),
        opt_level: "3",
    },
    Config {
        name: "thin-1-s",
        lto: "\"thin\"",
        codegen_units: 1,
        deps_codegen_units: None,
        opt_level: "\"s\"",
    },
    Config {
        name: "thin-16-s",
        lto: "\"thin\"",
        codegen_units: 16,
        deps_codegen_units: None,
        opt_level: "\"s\"",
    },
    Config {
        name: "false-16-s",
        lto: "false",
        codegen_units: 16,
        deps_codegen_units: None,
        opt_level: "\"s\"",
    },
    Config {
        name: "off-16-s",
        lto: "\"off\"",
        codegen_units: 16,
        deps_codegen_units: None,
        opt_level: "\"s\"",
    },
    Config {
        name: "thin-16-3",
        lto: "\"thin\"",
        codegen_units: 16,
        deps_codegen_units: None,
        opt_level: "3",
    },
    Config {
        name: "false-16-3",
        lto: "false",
        codegen_units: 16,
        deps_codegen_units: None,
        opt_level: "3",
    },
];

#[derive(clap::Args)]
pub struct ProfileArgs {
    /// Only the Lambda's build profile: each set of options built clean, zipped and started.
    #[arg(long)]
    lambda_profile: bool,
    /// With `--lambda-profile`: processes started per configuration (the median is reported).
    #[arg(long, default_value_t = 50, requires = "lambda_profile")]
    starts: usize,
    /// With `--lambda-profile`: only these configurations, by name (`fat-1-s,thin-16-s`).
    #[arg(long, value_delimiter = ',', requires = "lambda_profile")]
    only: Vec<String>,
}

impl ProfileArgs {
    /// Whether `--lambda-profile` was given.
    pub fn wanted(&self) -> bool {
        self.lambda_profile
    }
}

/// One configuration's build and package.
struct Built<'a> {
    config: &'a Config,
    wall: Duration,
    cpu: Duration,
    load: (String, String),
    zip_size: u64,
    /// The binary's size and the unpacked `bootstrap`; `None` when the zip was over the
    /// packager's budget (then neither is kept, and it is not started).
    binary: Option<(u64, PathBuf)>,
    starts: Vec<Duration>,
    responses: Vec<Duration>,
    start_cpu: Duration,
}

/// Builds each configuration, then starts each binary, and prints the table.
pub fn run(args: &ProfileArgs) -> Result<()> {
    let configs: Vec<&Config> = CONFIGS
        .iter()
        .filter(|c| args.only.is_empty() || args.only.iter().any(|o| o == c.name))
        .collect();
    if configs.is_empty() {
        let names: Vec<&str> = CONFIGS.iter().map(|c| c.name).collect();
        bail!(
            "no configuration named {:?}; they are: {}",
            args.only,
            names.join(", ")
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    say!("machine: {cores} cores; load average before: {}", load());
    let s3 = stub_s3()?;
    let mut built = Vec::new();
    for config in configs {
        let mut b = build(config)?;
        // A first start right away, not counted: a binary that cannot answer fails the run
        // now, not after the last build.
        start(&mut b, &s3)?;
        b.starts.clear();
        b.responses.clear();
        b.start_cpu = Duration::ZERO;
        built.push(b);
    }
    for _ in 0..args.starts {
        for b in &mut built {
            start(b, &s3)?;
        }
    }
    print_table(&mut built, args.starts);
    Ok(())
}

/// A clean build of `bootstrap` with `config`, zipped, its zip copied and unpacked aside.
fn build(config: &Config) -> Result<Built<'_>> {
    let out = crate::target_dir().join("lambda");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    let before = load();
    eprintln!(
        "building {} ({})",
        config.name,
        config.cargo_config().join(" ")
    );
    let (cpu, started) = (crate::cpu::children_cpu_time(), Instant::now());
    let packaged = package::package_with(&config.cargo_config());
    let (wall, cpu) = (
        started.elapsed(),
        crate::cpu::children_cpu_time().saturating_sub(cpu),
    );
    let mut built = Built {
        config,
        wall,
        cpu,
        load: (before, load()),
        zip_size: 0,
        binary: None,
        starts: Vec::new(),
        responses: Vec::new(),
        start_cpu: Duration::ZERO,
    };
    let packaged = match packaged {
        Ok(packaged) => packaged,
        Err(PackageError::TooLarge { size, .. }) => {
            built.zip_size = size;
            eprintln!("  zip {size} bytes: over the packager's budget, not started");
            return Ok(built);
        }
        Err(err) => return Err(err.into()),
    };
    eprintln!(
        "  {:.1} s wall, {:.1} s CPU, zip {} bytes",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        packaged.zip_size
    );
    let dir = crate::target_dir().join("bench-lambda").join(config.name);
    std::fs::create_dir_all(&dir)?;
    let zip = dir.join("bootstrap.zip");
    std::fs::copy(&packaged.zip, &zip)?;
    built.zip_size = packaged.zip_size;
    built.binary = Some((packaged.binary_size, package::unpack(&zip, &dir)?));
    Ok(built)
}

/// One start and invocation of `built`'s `bootstrap`.
fn start(built: &mut Built<'_>, s3: &str) -> Result<()> {
    let Some((_, bootstrap)) = &built.binary else {
        return Ok(());
    };
    let mut function = LocalFunction::new(
        bootstrap,
        "hello",
        Credentials {
            access_key_id: "AKIDBENCH".to_owned(),
            secret_access_key: "bench".to_owned(),
            session_token: None,
        },
    );
    function.endpoint_url = Some(s3.to_owned());
    let event = br#"{"bucketName": "iamkit-bench", "objectName": "hello.txt"}"#;
    let cpu = crate::cpu::children_cpu_time();
    let invocation = invoke_local(&function, event)?;
    built.start_cpu += crate::cpu::children_cpu_time().saturating_sub(cpu);
    let (Outcome::Response(_), Some(init), Some(response)) = (
        &invocation.outcome,
        invocation.init,
        invocation.first_response,
    ) else {
        bail!(
            "{}: the function did not answer: {:?}\n{}",
            built.config.name,
            invocation.outcome,
            invocation.logs
        );
    };
    built.starts.push(init);
    built.responses.push(response);
    Ok(())
}

fn print_table(built: &mut [Built<'_>], starts: usize) {
    say!();
    say!(
        "| profile | lto | codegen-units | opt-level | build CPU | build wall | load before / after | binary | zip | start, median of {starts} | start, 90th pct | first response, median | CPU per start |"
    );
    say!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for b in built.iter_mut() {
        let per_start = b.start_cpu / u32::try_from(starts.max(1)).unwrap_or(u32::MAX);
        let started = |text: String| {
            if b.binary.is_some() {
                text
            } else {
                "-".to_owned()
            }
        };
        say!(
            "| {} | {} | {} | {} | {:.0} s | {:.0} s | {} / {} | {} | {} | {} | {} | {} | {} |",
            b.config.name,
            b.config.lto,
            b.config.codegen_units(),
            b.config.opt_level,
            b.cpu.as_secs_f64(),
            b.wall.as_secs_f64(),
            b.load.0,
            b.load.1,
            b.binary
                .as_ref()
                .map_or_else(|| "-".to_owned(), |(size, _)| size.to_string()),
            b.zip_size,
            started(ms(percentile(&mut b.starts, 50))),
            started(ms(percentile(&mut b.starts, 90))),
            started(ms(percentile(&mut b.responses, 50))),
            started(ms(per_start)),
        );
    }
    say!(
        "\nzip budget for the demo: 3.4 MB = {} bytes; load: 1-minute average",
        34 * 1024 * 1024 / 10
    );
}

/// The `pct`th percentile (nearest rank) of `values`; zero for none.
fn percentile(values: &mut [Duration], pct: usize) -> Duration {
    values.sort();
    let rank = (values.len() * pct).div_ceil(100).saturating_sub(1);
    values.get(rank).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// The 1-minute load average.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// An HTTP server on 127.0.0.1 that answers every request with 200 and an ETag, as S3
/// answers `PutObject`; its URL. It runs until this process ends.
fn stub_s3() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer_all(stream));
        }
    });
    Ok(url)
}

/// Answers each request on the connection until the peer closes it.
fn answer_all(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while read_request(&mut reader).is_some() {
        let answer = "HTTP/1.1 200 OK\r\nETag: \"bench\"\r\nContent-Length: 0\r\n\r\n";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one request's head and its body (by `Content-Length`); `None` at the end.
fn read_request(reader: &mut impl BufRead) -> Option<()> {
    let mut length = 0usize;
    let mut lines = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line.trim().is_empty() {
            if lines == 0 {
                continue;
            }
            break;
        }
        lines += 1;
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(())
}
