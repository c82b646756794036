//! The emulator and the clients built for it: a real round trip over HTTP.

use iamkit_e2e::{clients, shared, unique};

#[tokio::test]
async fn an_iam_user_is_created_read_back_and_deleted() {
    let emulator = shared();
    let clients = clients(emulator).await;
    let name = unique("e2e-user");

    let created = clients
        .iam
        .create_user()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let arn = created
        .user()
        .map(|u| u.arn().to_owned())
        .unwrap_or_default();
    assert_eq!(
        arn,
        format!(
            "arn:aws:iam::{}:user/{name}",
            iamkit_emulator::DEFAULT_ACCOUNT_ID
        )
    );

    let read = clients
        .iam
        .get_user()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(read.user().map(|u| u.user_name()), Some(name.as_str()));

    clients
        .iam
        .delete_user()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let gone = clients
        .iam
        .get_user()
        .user_name(&name)
        .send()
        .await
        .unwrap_err();
    assert!(gone.into_service_error().is_no_such_entity_exception());
}

#[tokio::test]
async fn the_caller_is_the_emulator_account() {
    let clients = clients(shared()).await;
    let me = clients.sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(iamkit_emulator::DEFAULT_ACCOUNT_ID));
}

#[test]
fn a_detached_emulator_is_found_then_stopped_without_leaving_a_process() {
    let dir = std::env::temp_dir().join(unique("iamkit-detached"));
    std::fs::create_dir_all(&dir).unwrap();
    // Reuse the installed environment; only the record and logs live in `dir`.
    let shared_install = iamkit_e2e::install();
    std::os::unix::fs::symlink(shared_install.dir().join("venv"), dir.join("venv")).unwrap();
    let install = iamkit_emulator::Install::new(&dir);
    assert!(install.is_installed());

    let started =
        iamkit_emulator::Emulator::start(&install, iamkit_emulator::Lifetime::Detached).unwrap();
    let pid = started.pid();
    drop(started); // detached: dropping the handle must not stop it
    let running = install
        .running()
        .expect("the detached emulator is recorded and answers");
    assert_eq!(running.pid, pid);

    let stopped = install
        .stop_running()
        .unwrap()
        .expect("something was stopped");
    assert_eq!(stopped.pid, pid);
    assert!(!iamkit_emulator::answers(&running.endpoint()));
    assert!(install.running().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}
