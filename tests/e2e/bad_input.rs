//! The bad-input corpus (`tests/bad-input/*/`): every malformed manifest or policy file stops
//! setup with a message naming the file, line and column, before a single request reaches
//! AWS.
//!
//! Each case is a folder with `manifest.toml`, the policy files it names, and `expect`: one
//! line `FILE:LINE:COLUMN: TEXT`, where FILE is relative to the folder and TEXT is part of the
//! message that must be reported there. The huge-file case is generated here, not committed.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use iamkit_e2e::proxy::Proxy;
use iamkit_provision::{ApplyOptions, Clients, Error, apply, observe, whoami};
use iamkit_stack::{Desired, load_manifest, plan};

/// What `cargo xtask setup` does, step by step, through `clients`; the error as it is printed.
async fn setup(clients: &Clients, manifest: &Path) -> Result<(), String> {
    let manifest = load_manifest(manifest).map_err(|e| Error::from(e).to_string())?;
    let me = whoami(clients).await.map_err(|e| e.to_string())?;
    let desired = Desired::new(&manifest, &me, iamkit_e2e::REGION, &BTreeMap::new())
        .map_err(|e| e.to_string())?;
    let observed = observe(clients, &desired)
        .await
        .map_err(|e| e.to_string())?;
    let plan = plan(&desired, &observed);
    if !plan.conflicts.is_empty() {
        return Err(Error::NotOurs(plan.conflicts).to_string());
    }
    let dir = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-bad-input"));
    apply(clients, &plan, &ApplyOptions::new(dir), &mut |_| {})
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("bad-input");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

/// A manifest naming a 12 MB policy file (AWS's quota is 6,144 characters).
fn huge_case() -> PathBuf {
    let dir = std::env::temp_dir().join(iamkit_e2e::unique("iamkit-huge-input"));
    std::fs::create_dir_all(&dir).unwrap();
    let resources: Vec<String> = (0..400_000)
        .map(|i| format!("\"arn:aws:s3:::bucket-{i:06}/*\""))
        .collect();
    let policy = format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": [{}]\n    }}\n  ]\n}}\n",
        resources.join(", ")
    );
    assert!(policy.len() > 10_000_000);
    std::fs::write(dir.join("p.json"), policy).unwrap();
    std::fs::write(
        dir.join("manifest.toml"),
        "stack = \"bad\"\n\n[policies]\np = \"p.json\"\n\n[groups.g]\npolicies = [\"p\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("expect"),
        "p.json:1:1: IAM allows 6144 characters for a managed policy [policy-too-large]\n",
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn every_bad_input_stops_setup_with_its_place_before_any_request() {
    let emulator = iamkit_e2e::shared();
    let proxy = Proxy::start(&emulator.endpoint()).await.unwrap();
    let target = iamkit_provision::Target::Emulator {
        endpoint: proxy.endpoint(),
    };
    let clients = iamkit_provision::connect(&target, Some(iamkit_e2e::REGION)).await;

    let mut cases = corpus();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    cases.push(huge_case());
    let mut wrong = Vec::new();
    for case in &cases {
        let expect = std::fs::read_to_string(case.join("expect")).unwrap();
        let expect = expect.trim_end();
        let (place, text) = expect.split_once(": ").unwrap();
        let place = format!("{}: ", case.join(place).display());
        proxy.reset_counts();
        let result = setup(&clients, &case.join("manifest.toml")).await;
        let counts = proxy.counts();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        match result {
            Ok(()) => wrong.push(format!("{name}: setup succeeded")),
            Err(message) => {
                let found = message
                    .lines()
                    .any(|line| line.starts_with(&place) && line.contains(text));
                if !found {
                    wrong.push(format!("{name}: expected `{expect}`, got:\n{message}\n"));
                }
            }
        }
        // Nothing reached AWS: not a write, not even the identity call.
        if counts.total != 0 {
            wrong.push(format!(
                "{name}: {} request(s): {:?}",
                counts.total, counts.by_action
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
