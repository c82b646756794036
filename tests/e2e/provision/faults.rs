//! Faults at every step, as issue 10 words them: setup cut off at each of its writes (every N,
//! not a sample) then run again, teardown cut off at each of its writes then run again, and a
//! fifth of all requests throttled. Before each, decoys that are not ours (some with the
//! manifest's names) go into the account; afterwards each is exactly as it was.

use std::time::{Duration, Instant};

use iamkit_e2e::proxy::{FailWhen, Fault, Faults, Proxy};

use super::*;

/// A bucket of someone else's.
const DECOY_BUCKET: &str = "someone-elses-bucket";

/// Resources that are not ours. Some carry the manifest's names under another kind (a user
/// named like a manifest group, a role named like the manifest user, a group named like a
/// manifest role) or another path (a policy `develop-s3` under `/theirs/`), and one carries the
/// stack tag with another stack's value.
async fn create_decoys(clients: &Clients) {
    let iam = &clients.iam;
    let tag = |value: &str| {
        aws_sdk_iam::types::Tag::builder()
            .key(STACK_TAG)
            .value(value)
            .build()
            .unwrap()
    };
    iam.create_user()
        .user_name("developer")
        .tags(tag("another-stack"))
        .send()
        .await
        .unwrap();
    iam.create_group().group_name("admin").send().await.unwrap();
    iam.add_user_to_group()
        .user_name("developer")
        .group_name("admin")
        .send()
        .await
        .unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name("dev-user")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
    let policy = iam
        .create_policy()
        .policy_name("develop-s3")
        .path("/theirs/")
        .policy_document(document)
        .send()
        .await
        .unwrap();
    let policy_arn = policy.policy().unwrap().arn().unwrap().to_owned();
    iam.attach_role_policy()
        .role_name("dev-user")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("admin")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let s3 = &clients.s3;
    s3.create_bucket()
        .bucket(DECOY_BUCKET)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::ApNortheast1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(DECOY_BUCKET)
        .key("keep.txt")
        .body(b"theirs".to_vec().into())
        .send()
        .await
        .unwrap();
}

/// Everything a change to the decoys would touch, as text to compare.
async fn decoys(clients: &Clients) -> Vec<String> {
    let iam = &clients.iam;
    let mut seen = Vec::new();
    let user = iam.get_user().user_name("developer").send().await.unwrap();
    let user = user.user().unwrap();
    seen.push(format!(
        "user {} {} {:?}",
        user.arn(),
        user.path(),
        user.tags()
    ));
    let groups = iam
        .list_groups_for_user()
        .user_name("developer")
        .send()
        .await
        .unwrap();
    seen.push(format!("user groups {:?}", groups.groups()));
    let group = iam.get_group().group_name("admin").send().await.unwrap();
    seen.push(format!(
        "group {:?} members {:?}",
        group.group(),
        group
            .users()
            .iter()
            .map(aws_sdk_iam::types::User::user_name)
            .collect::<Vec<_>>()
    ));
    let attached = iam
        .list_attached_group_policies()
        .group_name("admin")
        .send()
        .await
        .unwrap();
    seen.push(format!("group policies {:?}", attached.attached_policies()));
    let role = iam.get_role().role_name("dev-user").send().await.unwrap();
    let role = role.role().unwrap();
    seen.push(format!(
        "role {} {:?} {:?}",
        role.arn(),
        role.assume_role_policy_document(),
        role.tags()
    ));
    let attached = iam
        .list_attached_role_policies()
        .role_name("dev-user")
        .send()
        .await
        .unwrap();
    seen.push(format!("role policies {:?}", attached.attached_policies()));
    let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/theirs/develop-s3");
    let policy = iam
        .get_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let policy = policy.policy().unwrap();
    seen.push(format!(
        "policy {:?} {:?} {:?}",
        policy.default_version_id(),
        policy.attachment_count(),
        policy.tags()
    ));
    let versions = iam
        .list_policy_versions()
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    for version in versions.versions() {
        let document = iam
            .get_policy_version()
            .policy_arn(&policy_arn)
            .version_id(version.version_id().unwrap())
            .send()
            .await
            .unwrap();
        seen.push(format!(
            "policy version {:?} {:?}",
            version.version_id(),
            document.policy_version().unwrap().document()
        ));
    }
    let objects = clients
        .s3
        .list_objects_v2()
        .bucket(DECOY_BUCKET)
        .send()
        .await
        .unwrap();
    for object in objects.contents() {
        seen.push(format!(
            "object {:?} {:?} {:?}",
            object.key(),
            object.size(),
            object.e_tag()
        ));
    }
    seen
}

/// What `ours` finds, without the decoy bucket (`ours` lists every bucket).
async fn ours_only(clients: &Clients) -> BTreeSet<String> {
    let mut found = ours(clients).await;
    assert!(found.remove(&format!("bucket {DECOY_BUCKET}")), "{found:?}");
    found
}

/// Setup then teardown, without faults, through `proxy`: how many writes each sends.
async fn writes_of_a_clean_run(
    account: &Account,
    desired: &Desired,
    proxy: &Proxy,
    clients: &Clients,
) -> (usize, usize) {
    proxy.set_faults(Faults::default());
    let plan = plan_for(account, desired).await;
    apply(clients, &plan, &account.options, &mut |_| {})
        .await
        .unwrap();
    let setup = proxy.counts().writes;
    proxy.reset_counts();
    teardown(clients, desired, &account.options, &mut |_| {})
        .await
        .unwrap();
    (setup, proxy.counts().writes)
}

#[tokio::test]
async fn setup_and_teardown_cut_off_at_every_write_converge_and_leave_decoys_alone() {
    let account = account().await;
    create_decoys(&account.plain).await;
    let before = decoys(&account.plain).await;
    let desired = desired(&account, &baseline(), &code(1)).await;
    let proxy = Proxy::start(&account._emulator.endpoint()).await.unwrap();
    let cut = without_sdk_retries(&account, &proxy);
    let (setup_writes, teardown_writes) =
        writes_of_a_clean_run(&account, &desired, &proxy, &cut).await;
    assert!(setup_writes > 20, "{setup_writes}");
    assert!(teardown_writes > 20, "{teardown_writes}");
    let cut_at = |n: usize| {
        proxy.set_faults(Faults {
            when: FailWhen::FromWrite(n),
            fault: Fault::Drop,
            ..Faults::default()
        });
    };

    for n in 1..=setup_writes.max(teardown_writes) {
        // Setup cut off at its Nth write, then run again without faults: the account converges.
        if n <= setup_writes {
            cut_at(n);
            let plan = plan_for(&account, &desired).await;
            let err = apply(&cut, &plan, &account.options, &mut |_| {})
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Apply { .. }), "write {n}: {err}");
            assert!(proxy.counts().writes >= n, "write {n}");
        }
        let (plan, _) = setup(&account, &desired).await;
        assert!(plan.conflicts.is_empty(), "write {n}: {:?}", plan.conflicts);
        assert!(plan_for(&account, &desired).await.is_empty(), "write {n}");
        assert_eq!(ours_only(&account.plain).await, expected_resources());

        // Teardown cut off at its Nth write, then run again: nothing of ours is left.
        if n <= teardown_writes {
            cut_at(n);
            let err = teardown(&cut, &desired, &account.options, &mut |_| {})
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::Apply { .. } | Error::Aws { .. }),
                "write {n}: {err}"
            );
        }
        teardown(&account.clients, &desired, &account.options, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("teardown after write {n}: {e}"));
        assert!(ours_only(&account.plain).await.is_empty(), "write {n}");
        assert_eq!(decoys(&account.plain).await, before, "write {n}");
    }
}

#[tokio::test]
async fn a_fifth_of_requests_throttled_setup_and_teardown_complete_within_their_deadlines() {
    let account = account().await;
    create_decoys(&account.plain).await;
    let before = decoys(&account.plain).await;
    let manifest = baseline();
    let proxy = Proxy::start(&account._emulator.endpoint()).await.unwrap();
    // The clients `cargo xtask setup` builds (the SDK's standard retries), through the proxy.
    let target = iamkit_provision::Target::Emulator {
        endpoint: proxy.endpoint(),
    };
    let throttled = iamkit_provision::connect(&target, Some(iamkit_e2e::REGION)).await;
    let codes = BTreeMap::from([("hello".to_owned(), code(1))]);
    let options = account.options.clone();
    for seed in [1, 2, 3] {
        proxy.set_faults(Faults {
            when: FailWhen::Fraction { p: 0.2, seed },
            fault: Fault::Throttle,
            ..Faults::default()
        });
        // The whole flow goes through the throttling proxy: identity, reads, writes.
        let started = Instant::now();
        let me = whoami(&throttled).await.unwrap();
        let desired = Desired::new(&manifest, &me, iamkit_e2e::REGION, &codes).unwrap();
        let observed = observe(&throttled, &desired)
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let plan = plan(&desired, &observed);
        apply(&throttled, &plan, &options, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(started.elapsed() < options.iam_deadline, "seed {seed}");
        let setup_counts = proxy.counts();
        assert!(setup_counts.injected > 0, "seed {seed}");
        assert!(plan_for(&account, &desired).await.is_empty(), "seed {seed}");
        assert_eq!(ours_only(&account.plain).await, expected_resources());

        let started = Instant::now();
        teardown(&throttled, &desired, &options, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: teardown: {e}"));
        assert!(started.elapsed() < options.iam_deadline, "seed {seed}");
        assert!(ours_only(&account.plain).await.is_empty(), "seed {seed}");
        assert_eq!(decoys(&account.plain).await, before, "seed {seed}");
        eprintln!(
            "seed {seed}: {} requests, {} throttled",
            proxy.counts().total,
            proxy.counts().injected
        );
    }
    // Not a test of time, but of the deadline: it must leave room for a real account.
    assert!(options.iam_deadline >= Duration::from_secs(60));
}
