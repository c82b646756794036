//! The fault-injecting proxy itself: it forwards, counts, and fails what it is told to.

use std::time::{Duration, Instant};

use iamkit_e2e::{
    REGION, own,
    proxy::{FailWhen, Fault, Faults, Proxy},
};
use iamkit_provision::{Target, connect};

#[tokio::test]
async fn the_proxy_forwards_counts_and_injects_faults() {
    let emulator = own();
    let proxy = Proxy::start(&emulator.endpoint()).await.unwrap();
    let clients = connect(
        &Target::Emulator {
            endpoint: proxy.endpoint(),
        },
        Some(REGION),
    )
    .await;

    clients
        .iam
        .create_user()
        .user_name("counted")
        .send()
        .await
        .unwrap();
    clients
        .iam
        .get_user()
        .user_name("counted")
        .send()
        .await
        .unwrap();
    clients.sts.get_caller_identity().send().await.unwrap();
    let counts = proxy.counts();
    assert_eq!(counts.total, 3);
    assert_eq!(counts.writes, 1);
    assert_eq!(counts.by_action.get("iam:CreateUser"), Some(&1));
    assert_eq!(counts.by_action.get("sts:GetCallerIdentity"), Some(&1));
    assert_eq!(counts.write_actions(), vec!["iam:CreateUser"]);

    // A denial is not retried: the call fails with AWS's error code.
    proxy.set_faults(Faults {
        when: FailWhen::Request(1),
        fault: Fault::Deny,
        ..Faults::default()
    });
    let err = clients
        .iam
        .get_user()
        .user_name("counted")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&err),
        Some("AccessDenied")
    );

    // One throttled request is retried by the SDK: the call succeeds, in two requests.
    proxy.set_faults(Faults {
        when: FailWhen::Request(1),
        fault: Fault::Throttle,
        ..Faults::default()
    });
    clients
        .iam
        .get_user()
        .user_name("counted")
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.counts().total, 2);
    assert_eq!(proxy.counts().injected, 1);

    // A dropped connection is retried too.
    proxy.set_faults(Faults {
        when: FailWhen::Request(1),
        fault: Fault::Drop,
        ..Faults::default()
    });
    clients
        .iam
        .get_user()
        .user_name("counted")
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.counts().injected, 1);

    // From the first write on, everything is refused.
    proxy.set_faults(Faults {
        when: FailWhen::FromWrite(1),
        fault: Fault::Deny,
        ..Faults::default()
    });
    clients
        .iam
        .get_user()
        .user_name("counted")
        .send()
        .await
        .unwrap();
    clients
        .iam
        .create_user()
        .user_name("cut-off")
        .send()
        .await
        .unwrap_err();
    clients
        .iam
        .get_user()
        .user_name("counted")
        .send()
        .await
        .unwrap_err();

    // Latency is added to every request.
    proxy.set_faults(Faults {
        latency: Duration::from_millis(50),
        ..Faults::default()
    });
    let started = Instant::now();
    clients
        .iam
        .get_user()
        .user_name("counted")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(50));
}
