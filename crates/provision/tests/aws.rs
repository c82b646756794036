//! AWS's behaviour where the emulator is forgiving, replayed with the SDK's mock utilities:
//! each test names the behaviour it reproduces and replays AWS's wire responses (the XML error
//! bodies IAM and STS send), so the SDK parses them as it would from AWS.

#![allow(clippy::unwrap_used)] // helpers shared by the tests unwrap like the tests do

use std::time::Duration;

use aws_config::SdkConfig;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use iamkit_provision::{ApplyOptions, Clients, Error, Target, apply, check_permissions, whoami};
use iamkit_stack::{Action, Change, Op, Permission, Plan};

/// IAM's and STS's error body (the query protocol), as AWS sends it.
fn query_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"
    )
}

fn clients_with(iam: &[&Rule], sts: &[&Rule]) -> Clients {
    let none: [&Rule; 0] = [];
    Clients {
        target: Target::Aws { profile: None },
        config: SdkConfig::builder().build(),
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, iam),
        sts: mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts),
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, &none),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &none),
    }
}

fn permission(action: &str, resource: &str) -> Permission {
    Permission {
        action: action.into(),
        resource: resource.into(),
    }
}

/// STS answers `ExpiredToken` (HTTP 400) when a session's credentials have expired.
#[tokio::test]
async fn sts_expired_token_is_an_expired_session_with_advice() {
    let expired = mock!(aws_sdk_sts::Client::get_caller_identity)
        .sequence()
        .http_status(
            400,
            Some(query_error(
                "ExpiredToken",
                "The security token included in the request is expired",
            )),
        )
        .build();
    let clients = clients_with(&[], &[&expired]);
    let err = whoami(&clients).await.unwrap_err();
    assert!(matches!(err, Error::ExpiredSession { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("expired"), "{text}");
    assert!(text.contains("nothing was written"), "{text}");
}

/// Some endpoints spell it `ExpiredTokenException`; same meaning.
#[tokio::test]
async fn expired_token_exception_is_an_expired_session_too() {
    let expired = mock!(aws_sdk_sts::Client::get_caller_identity)
        .sequence()
        .http_status(
            400,
            Some(query_error(
                "ExpiredTokenException",
                "The security token included in the request is expired",
            )),
        )
        .build();
    let err = whoami(&clients_with(&[], &[&expired])).await.unwrap_err();
    assert!(matches!(err, Error::ExpiredSession { .. }), "{err:?}");
}

/// STS answers `InvalidClientTokenId` (HTTP 403) for an access key AWS does not know.
#[tokio::test]
async fn sts_invalid_client_token_id_is_rejected_credentials() {
    let invalid = mock!(aws_sdk_sts::Client::get_caller_identity)
        .sequence()
        .http_status(
            403,
            Some(query_error(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )),
        )
        .build();
    let err = whoami(&clients_with(&[], &[&invalid])).await.unwrap_err();
    assert!(matches!(err, Error::InvalidCredentials { .. }), "{err:?}");
}

/// With no credentials anywhere, the default chain fails before any request is sent.
#[tokio::test]
async fn no_credentials_is_reported_before_any_request() {
    #[derive(Debug)]
    struct Nothing;
    impl aws_credential_types::provider::ProvideCredentials for Nothing {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err(
                aws_credential_types::provider::error::CredentialsError::not_loaded(
                    "no providers in chain provided credentials",
                ),
            ))
        }
    }
    // Any request would go to a closed port and fail differently.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::from_static("eu-west-1"))
        .endpoint_url("http://127.0.0.1:1")
        .credentials_provider(Nothing)
        .load()
        .await;
    let clients = iamkit_provision::from_config(Target::Aws { profile: None }, config);
    let err = whoami(&clients).await.unwrap_err();
    assert!(matches!(err, Error::NoCredentials { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("no AWS credentials"), "{text}");
    assert!(text.contains("aws configure"), "{text}");
}

/// SimulatePrincipalPolicy says `implicitDeny` for an action no policy of the caller allows:
/// every such pair is listed before anything is written.
#[tokio::test]
async fn simulation_lists_every_denied_action_for_a_user() {
    let simulate = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .match_requests(|r| {
            r.policy_source_arn() == Some("arn:aws:iam::123456789012:user/ops")
                && r.resource_arns() == ["arn:aws:iam::123456789012:user/dev-user"]
        })
        .then_output(|| {
            use aws_sdk_iam::types::{EvaluationResult, PolicyEvaluationDecisionType as D};
            let result = |action: &str, decision: D| {
                EvaluationResult::builder()
                    .eval_action_name(action)
                    .eval_resource_name("arn:aws:iam::123456789012:user/dev-user")
                    .eval_decision(decision)
                    .build()
                    .unwrap()
            };
            aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput::builder()
                .evaluation_results(result("iam:CreateUser", D::Allowed))
                .evaluation_results(result("iam:TagUser", D::ImplicitDeny))
                .evaluation_results(result("iam:CreateLoginProfile", D::ExplicitDeny))
                .is_truncated(false)
                .build()
        });
    let clients = clients_with(&[&simulate], &[]);
    let me = iamkit_stack::Identity::new(
        "123456789012".parse().unwrap(),
        "arn:aws:iam::123456789012:user/ops",
    );
    let user = "arn:aws:iam::123456789012:user/dev-user";
    let needed = [
        permission("iam:CreateLoginProfile", user),
        permission("iam:CreateUser", user),
        permission("iam:TagUser", user),
    ];
    let err = check_permissions(&clients, &me, &needed).await.unwrap_err();
    let Error::MissingPermissions { principal, missing } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(principal, "arn:aws:iam::123456789012:user/ops");
    let denied: Vec<_> = missing
        .iter()
        .map(|m| (m.permission.action.as_str(), m.decision.as_str()))
        .collect();
    assert_eq!(
        denied,
        [
            ("iam:TagUser", "implicitDeny"),
            ("iam:CreateLoginProfile", "explicitDeny")
        ]
    );
    let text = err.to_string();
    assert!(
        text.contains("iam:TagUser on `arn:aws:iam::123456789012:user/dev-user`"),
        "{text}"
    );
    assert!(text.contains("nothing was written"), "{text}");
}

/// A role session's caller ARN (`sts::...:assumed-role/NAME/SESSION`) is not a policy source
/// IAM accepts; the role's ARN, with its path from GetRole, is simulated instead. Results
/// come in pages (`IsTruncated`, `Marker`).
#[tokio::test]
async fn a_role_session_is_simulated_as_its_role_across_pages() {
    let get_role = mock!(aws_sdk_iam::Client::get_role)
        .match_requests(|r| r.role_name() == Some("ops"))
        .then_output(|| {
            aws_sdk_iam::operation::get_role::GetRoleOutput::builder()
                .role(
                    aws_sdk_iam::types::Role::builder()
                        .path("/team/")
                        .role_name("ops")
                        .role_id("AROAEXAMPLE")
                        .arn("arn:aws:iam::123456789012:role/team/ops")
                        .create_date(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let page = |action: &'static str, marker: Option<&'static str>| {
        move || {
            use aws_sdk_iam::types::{EvaluationResult, PolicyEvaluationDecisionType as D};
            aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput::builder()
                .evaluation_results(
                    EvaluationResult::builder()
                        .eval_action_name(action)
                        .eval_decision(D::ImplicitDeny)
                        .build()
                        .unwrap(),
                )
                .is_truncated(marker.is_some())
                .set_marker(marker.map(str::to_owned))
                .build()
        }
    };
    let first = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .match_requests(|r| {
            r.policy_source_arn() == Some("arn:aws:iam::123456789012:role/team/ops")
                && r.marker().is_none()
        })
        .then_output(page("iam:CreateRole", Some("page-2")));
    let second = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .match_requests(|r| r.marker() == Some("page-2"))
        .then_output(page("iam:TagRole", None));
    let clients = clients_with(&[&get_role, &first, &second], &[]);
    let me = iamkit_stack::Identity::new(
        "123456789012".parse().unwrap(),
        "arn:aws:sts::123456789012:assumed-role/ops/alice",
    );
    let role = "arn:aws:iam::123456789012:role/admin";
    let needed = [
        permission("iam:CreateRole", role),
        permission("iam:TagRole", role),
    ];
    let err = check_permissions(&clients, &me, &needed).await.unwrap_err();
    let Error::MissingPermissions { principal, missing } = err else {
        panic!("{err:?}")
    };
    assert_eq!(principal, "arn:aws:iam::123456789012:role/team/ops");
    let actions: Vec<_> = missing
        .iter()
        .map(|m| m.permission.action.as_str())
        .collect();
    assert_eq!(actions, ["iam:CreateRole", "iam:TagRole"]);
    assert_eq!(second.num_calls(), 1);
}

/// A caller that may not call the simulator gets AccessDenied from it: that is reported as a
/// missing permission, not as "all clear".
#[tokio::test]
async fn simulation_access_denied_is_a_missing_permission() {
    let simulate = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .sequence()
        .http_status(
            403,
            Some(query_error(
                "AccessDenied",
                "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: iam:SimulatePrincipalPolicy on resource: user ops",
            )),
        )
        .build();
    let clients = clients_with(&[&simulate], &[]);
    let me = iamkit_stack::Identity::new(
        "123456789012".parse().unwrap(),
        "arn:aws:iam::123456789012:user/ops",
    );
    let err = check_permissions(
        &clients,
        &me,
        &[permission(
            "iam:CreateUser",
            "arn:aws:iam::123456789012:user/x",
        )],
    )
    .await
    .unwrap_err();
    let Error::MissingPermissions { missing, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(missing[0].permission.action, "iam:SimulatePrincipalPolicy");
}

/// The root user cannot be a simulation's policy source; it may do everything, so nothing is
/// simulated (and no request is sent).
#[tokio::test]
async fn the_root_user_is_not_simulated() {
    let clients = clients_with(&[], &[]);
    let me = iamkit_stack::Identity::new(
        "123456789012".parse().unwrap(),
        "arn:aws:iam::123456789012:root",
    );
    let check = check_permissions(
        &clients,
        &me,
        &[permission(
            "iam:CreateUser",
            "arn:aws:iam::123456789012:user/x",
        )],
    )
    .await
    .unwrap();
    assert_eq!(check.principal, None);
    assert!(check.note.unwrap().contains("root"));
}

fn plan_of(ops: Vec<(Action, &str, Op)>) -> Plan {
    Plan {
        stack: "iamkit".into(),
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        changes: ops
            .into_iter()
            .map(|(action, address, op)| Change {
                action,
                address: address.into(),
                detail: None,
                diff: None,
                op,
            })
            .collect(),
        ..Plan::default()
    }
}

fn quick() -> ApplyOptions {
    let mut options = ApplyOptions::new(std::env::temp_dir().join("iamkit-aws-mock-credentials"));
    options.iam_deadline = Duration::from_secs(20);
    options.lambda_deadline = Duration::from_secs(20);
    options
}

/// IAM refuses to delete a policy still attached (`DeleteConflict`, HTTP 409) while a detach
/// made in the same run is still propagating; teardown retries it within its deadline.
#[tokio::test]
async fn delete_conflict_on_an_attached_policy_is_retried() {
    let arn = "arn:aws:iam::123456789012:policy/develop-s3";
    let delete = mock!(aws_sdk_iam::Client::delete_policy)
        .sequence()
        .http_status(
            409,
            Some(query_error(
                "DeleteConflict",
                "Cannot delete a policy attached to entities.",
            )),
        )
        .output(|| aws_sdk_iam::operation::delete_policy::DeletePolicyOutput::builder().build())
        .build();
    let clients = clients_with(&[&delete], &[]);
    let plan = plan_of(vec![(
        Action::Delete,
        "policy develop-s3",
        Op::DeletePolicy { arn: arn.into() },
    )]);
    let report = apply(&clients, &plan, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(report.changes, 1);
    assert_eq!(delete.num_calls(), 2);
}

/// Right after a user or role is created, IAM may not yet accept it as a principal:
/// `MalformedPolicyDocument: Invalid principal in policy` (HTTP 400) until it propagates.
#[tokio::test]
async fn invalid_principal_right_after_creation_is_retried() {
    let create = mock!(aws_sdk_iam::Client::create_role)
        .sequence()
        .http_status(
            400,
            Some(query_error(
                "MalformedPolicyDocument",
                "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:user/dev-user\"",
            )),
        )
        .output(|| aws_sdk_iam::operation::create_role::CreateRoleOutput::builder().build())
        .build();
    let clients = clients_with(&[&create], &[]);
    let plan = plan_of(vec![(
        Action::Create,
        "role admin",
        Op::CreateRole {
            name: "admin".into(),
            trust: "{}".into(),
        },
    )]);
    apply(&clients, &plan, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(create.num_calls(), 2);
}

/// `EntityAlreadyExists` is not retried. The existing user's tags decide: with another
/// stack's mark it is not ours, and the run stops naming it; with this stack's mark (an
/// earlier run created it after this run's reads) the create counts as done.
#[tokio::test]
async fn entity_already_exists_is_done_when_ours_and_stops_the_run_when_not() {
    for (stack, ours) in [("other", false), ("iamkit", true)] {
        let create = mock!(aws_sdk_iam::Client::create_user)
            .sequence()
            .http_status(
                409,
                Some(query_error(
                    "EntityAlreadyExists",
                    "User with name dev-user already exists.",
                )),
            )
            .build();
        let tags = mock!(aws_sdk_iam::Client::list_user_tags)
            .match_requests(|r| r.user_name() == Some("dev-user"))
            .then_output(move || {
                aws_sdk_iam::operation::list_user_tags::ListUserTagsOutput::builder()
                    .tags(
                        aws_sdk_iam::types::Tag::builder()
                            .key("iamkit:stack")
                            .value(stack)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap()
            });
        let clients = clients_with(&[&create, &tags], &[]);
        let plan = plan_of(vec![(
            Action::Create,
            "user dev-user",
            Op::CreateUser {
                name: "dev-user".into(),
            },
        )]);
        let result = apply(&clients, &plan, &quick(), &mut |_| {}).await;
        assert_eq!(create.num_calls(), 1);
        assert_eq!(tags.num_calls(), 1);
        if ours {
            assert_eq!(result.unwrap().changes, 1);
        } else {
            let text = result.unwrap_err().to_string();
            assert!(text.contains("user dev-user"), "{text}");
            assert!(text.contains("not ours"), "{text}");
        }
    }
}

fn desired_of(manifest: &str, files: &[(&str, &str)]) -> iamkit_stack::Desired {
    let manifest = iamkit_stack::parse_manifest(
        std::path::Path::new("m/baseline.toml"),
        manifest,
        &mut |path| {
            files
                .iter()
                .find(|(name, _)| std::path::Path::new(name) == path)
                .map(|(_, text)| (*text).to_owned())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        },
    )
    .unwrap();
    let me = iamkit_stack::Identity::new(
        "123456789012".parse().unwrap(),
        "arn:aws:iam::123456789012:user/ops",
    );
    iamkit_stack::Desired::new(&manifest, &me, "eu-west-1", &Default::default()).unwrap()
}

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;

/// GetAccountAuthorizationDetails returns policy documents percent-encoded (RFC 3986), as AWS
/// documents it; they are decoded and compared by meaning, so an unchanged policy plans no
/// update. It answers in pages (`IsTruncated`, `Marker`): groups on the second page are seen
/// too.
#[tokio::test]
async fn authorization_details_are_url_encoded_and_paginated() {
    let desired = desired_of(
        "stack = \"s\"\n[policies]\np = \"p.json\"\n",
        &[("p.json", POLICY)],
    );
    let arn = desired.policies["p"].arn.clone();
    let tags = mock!(aws_sdk_iam::Client::list_policy_tags)
        .match_requests({
            let arn = arn.clone();
            move |r| r.policy_arn() == Some(&arn)
        })
        .then_output(|| {
            aws_sdk_iam::operation::list_policy_tags::ListPolicyTagsOutput::builder()
                .tags(
                    aws_sdk_iam::types::Tag::builder()
                        .key("iamkit:stack")
                        .value("s")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        });
    let group = |name: &str| {
        format!(
            "<member><Path>/iamkit/s/</Path><GroupName>{name}</GroupName><GroupId>AGPA</GroupId><Arn>arn:aws:iam::123456789012:group/iamkit/s/{name}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate><GroupPolicyList/><AttachedManagedPolicies/></member>"
        )
    };
    // The wire responses, with the document as AWS encodes it.
    let encoded: String =
        percent_encoding::utf8_percent_encode(POLICY, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let page = |groups: String, policies: String, next: Option<&str>| {
        let more = match next {
            Some(marker) => format!("<IsTruncated>true</IsTruncated><Marker>{marker}</Marker>"),
            None => "<IsTruncated>false</IsTruncated>".to_owned(),
        };
        format!(
            "<GetAccountAuthorizationDetailsResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetAccountAuthorizationDetailsResult><UserDetailList/><GroupDetailList>{groups}</GroupDetailList><RoleDetailList/><Policies>{policies}</Policies>{more}</GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>"
        )
    };
    let policy = format!(
        "<member><PolicyName>p</PolicyName><Arn>{arn}</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId><PolicyVersionList><member><Document>{encoded}</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion><CreateDate>2024-01-01T00:00:00Z</CreateDate></member></PolicyVersionList></member>"
    );
    let first_page = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|r| r.marker().is_none())
        .sequence()
        .http_status(200, Some(page(group("left-1"), policy, Some("m2"))))
        .build();
    let second_page = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|r| r.marker() == Some("m2"))
        .sequence()
        .http_status(200, Some(page(group("left-2"), String::new(), None)))
        .build();
    let clients = clients_with(&[&tags, &first_page, &second_page], &[]);
    let observed = iamkit_provision::observe(&clients, &desired).await.unwrap();
    assert_eq!(first_page.num_calls(), 1);
    assert_eq!(second_page.num_calls(), 1);
    let document = observed.policies["p"].document.clone().unwrap();
    assert_eq!(
        document,
        serde_json::from_str::<serde_json::Value>(POLICY).unwrap()
    );
    assert_eq!(observed.policies["p"].versions.len(), 1);
    assert!(iamkit_stack::tagged(&observed.policies["p"].tags, "s"));
    assert_eq!(
        observed.groups.keys().collect::<Vec<_>>(),
        ["left-1", "left-2"]
    );
    let plan = iamkit_stack::plan(&desired, &observed);
    assert!(
        !plan.changes.iter().any(|c| c.address == "policy p"),
        "{:?}",
        plan.changes
    );
}

/// A managed policy holds at most five versions: a sixth `CreatePolicyVersion` answers
/// `LimitExceeded` (HTTP 409). The update deletes the oldest non-default version first.
#[tokio::test]
async fn a_sixth_policy_version_is_made_room_for_before_it_is_created() {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };
    let arn = "arn:aws:iam::123456789012:policy/develop-s3";
    let deleted = Arc::new(AtomicBool::new(false));
    let delete = mock!(aws_sdk_iam::Client::delete_policy_version)
        .match_requests({
            let deleted = deleted.clone();
            move |r| {
                let ours = r.version_id() == Some("v1");
                deleted.store(ours, Ordering::SeqCst);
                ours
            }
        })
        .then_output(|| {
            aws_sdk_iam::operation::delete_policy_version::DeletePolicyVersionOutput::builder()
                .build()
        });
    let too_many = mock!(aws_sdk_iam::Client::create_policy_version)
        .match_requests({
            let deleted = deleted.clone();
            move |_| !deleted.load(Ordering::SeqCst)
        })
        .sequence()
        .http_status(
            409,
            Some(query_error(
                "LimitExceeded",
                "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
            )),
        )
        .build();
    let create = mock!(aws_sdk_iam::Client::create_policy_version)
        .match_requests(move |_| deleted.load(Ordering::SeqCst))
        .then_output(|| {
            aws_sdk_iam::operation::create_policy_version::CreatePolicyVersionOutput::builder()
                .build()
        });
    let clients = clients_with(&[&delete, &too_many, &create], &[]);
    let plan = plan_of(vec![(
        Action::Update,
        "policy develop-s3",
        Op::UpdatePolicy {
            arn: arn.into(),
            document: POLICY.into(),
            delete_version: Some("v1".into()),
        },
    )]);
    apply(&clients, &plan, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(too_many.num_calls(), 0);
    assert_eq!(create.num_calls(), 1);
}

/// The login profile is created with a generated password of the planned length (observe
/// read the account's password policy) and `PasswordResetRequired`, written first to a file
/// only its owner can read.
#[tokio::test]
async fn the_login_profile_requires_a_password_reset_and_has_the_planned_length() {
    let create = mock!(aws_sdk_iam::Client::create_login_profile)
        .match_requests(|r| {
            r.user_name() == Some("dev-user")
                && r.password_reset_required() == Some(true)
                && r.password().is_some_and(|p| p.chars().count() == 24)
        })
        .then_output(|| {
            aws_sdk_iam::operation::create_login_profile::CreateLoginProfileOutput::builder()
                .build()
        });
    let clients = clients_with(&[&create], &[]);
    let dir = std::env::temp_dir().join(format!("iamkit-aws-mock-{}", std::process::id()));
    let mut options = quick();
    options.credentials_dir = dir.clone();
    let plan = plan_of(vec![(
        Action::Create,
        "user dev-user: console password",
        Op::CreateLoginProfile {
            user: "dev-user".into(),
            length: 24,
        },
    )]);
    let report = apply(&clients, &plan, &options, &mut |_| {}).await.unwrap();
    assert_eq!(create.num_calls(), 1);
    let [file] = report.credentials.as_slice() else {
        panic!("{report:?}")
    };
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Right after a role is created, Lambda may refuse it: `InvalidParameterValueException: The
/// role defined for the function cannot be assumed by Lambda.` until IAM propagates.
#[tokio::test]
async fn lambda_cannot_assume_a_new_role_at_first_and_it_is_retried() {
    let create = mock!(aws_sdk_lambda::Client::create_function)
        .sequence()
        // Lambda names the error in the `X-Amzn-ErrorType` header; the mock sets no headers,
        // so the body's `__type`, which the SDK reads the same way, carries it.
        .http_status(
            400,
            Some(
                r#"{"Type": "User", "__type": "InvalidParameterValueException", "message": "The role defined for the function cannot be assumed by Lambda."}"#
                    .to_owned(),
            ),
        )
        .output(|| {
            aws_sdk_lambda::operation::create_function::CreateFunctionOutput::builder().build()
        })
        .build();
    let none: [&Rule; 0] = [];
    let clients = Clients {
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&create]),
        ..clients_with(&none, &none)
    };
    let plan = plan_of(vec![(
        Action::Create,
        "function hello",
        Op::CreateFunction {
            name: "hello".into(),
            role_arn: "arn:aws:iam::123456789012:role/exec-lambda".into(),
            runtime: "provided.al2023".into(),
            handler: "bootstrap".into(),
            code: iamkit_stack::Code::from_zip(b"PK".to_vec()),
        },
    )]);
    apply(&clients, &plan, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(create.num_calls(), 2);
}

/// IAM throttles bursts with `Throttling: Rate exceeded` (HTTP 400); the call is sent again.
#[tokio::test]
async fn throttling_is_retried() {
    let create = mock!(aws_sdk_iam::Client::create_group)
        .sequence()
        .http_status(400, Some(query_error("Throttling", "Rate exceeded")))
        .output(|| aws_sdk_iam::operation::create_group::CreateGroupOutput::builder().build())
        .build();
    let clients = clients_with(&[&create], &[]);
    let plan = plan_of(vec![(
        Action::Create,
        "group developer",
        Op::CreateGroup {
            name: "developer".into(),
            path: "/iamkit/iamkit/".into(),
        },
    )]);
    apply(&clients, &plan, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(create.num_calls(), 2);
}

/// IAM refuses with `DeleteConflict` (HTTP 409) to delete a user that still has a login
/// profile, access keys, an MFA device or group memberships; a group with members or attached
/// policies; a role with attached policies; a policy still attached. This IAM answers exactly
/// that, and teardown, by its order, never meets the refusal.
#[tokio::test]
async fn teardown_orders_deletions_so_iam_never_answers_delete_conflict() {
    use iamkit_stack::{Observed, ObservedGroup, ObservedPolicy, ObservedRole, ObservedUser};
    use std::{
        collections::BTreeSet,
        sync::{Arc, Mutex},
    };

    let desired = desired_of(
        "stack = \"s\"\n[policies]\np = \"p.json\"\n[groups.g]\npolicies = [\"p\"]\n[users.u]\ngroups = [\"g\"]\nconsole = true\n[roles.r]\ntrust = { account = \"self\" }\npolicies = [\"p\"]\n",
        &[("p.json", POLICY)],
    );
    let p = desired.policies["p"].arn.clone();
    let ours = iamkit_stack::Tags::from([("iamkit:stack".to_owned(), "s".to_owned())]);
    let mfa = "arn:aws:iam::123456789012:mfa/u".to_owned();
    let mut observed = Observed::default();
    observed.policies.insert(
        "p".into(),
        ObservedPolicy {
            arn: p.clone(),
            tags: ours.clone(),
            ..Default::default()
        },
    );
    observed.groups.insert(
        "g".into(),
        ObservedGroup {
            path: desired.group_path(),
            members: BTreeSet::from(["u".to_owned()]),
            policies: BTreeSet::from([p.clone()]),
            inline: BTreeSet::new(),
        },
    );
    observed.users.insert(
        "u".into(),
        ObservedUser {
            tags: ours.clone(),
            groups: BTreeSet::from(["g".to_owned()]),
            login_profile: true,
            access_keys: BTreeSet::from(["AKIAEXAMPLE".to_owned()]),
            mfa_devices: BTreeSet::from([mfa.clone()]),
            ..Default::default()
        },
    );
    observed.roles.insert(
        "r".into(),
        ObservedRole {
            arn: "arn:aws:iam::123456789012:role/r".into(),
            tags: ours,
            policies: BTreeSet::from([p.clone()]),
            ..Default::default()
        },
    );
    let plan = iamkit_stack::teardown_plan(&desired, &observed);

    // What still hangs on each entity, as IAM sees it.
    let left = Arc::new(Mutex::new(BTreeSet::from(
        [
            "u:login",
            "u:key",
            "u:mfa",
            "u:in-g",
            "g:member-u",
            "g:p",
            "r:p",
            "p:on-g",
            "p:on-r",
        ]
        .map(str::to_owned),
    )));
    let conflicts = Arc::new(Mutex::new(Vec::<String>::new()));
    let gone = |items: &'static [&'static str]| {
        let left = left.clone();
        move || {
            let mut left = left.lock().unwrap();
            for item in items {
                left.remove(*item);
            }
        }
    };
    let blocked = |prefix: &'static str| {
        let left = left.clone();
        let conflicts = conflicts.clone();
        move || {
            let blocked = left.lock().unwrap().iter().any(|i| i.starts_with(prefix));
            if blocked {
                conflicts.lock().unwrap().push(prefix.to_owned());
            }
            blocked
        }
    };
    let conflict = || {
        query_error(
            "DeleteConflict",
            "Cannot delete entity, must remove referenced objects first.",
        )
    };
    macro_rules! ok {
        ($op:ident, $out:path, $on_call:expr) => {{
            let on_call = $on_call;
            mock!(aws_sdk_iam::Client::$op)
                .match_requests(move |_| {
                    on_call();
                    true
                })
                .then_output(|| <$out>::builder().build())
        }};
    }
    macro_rules! guarded {
        ($op:ident, $out:path, $prefix:expr) => {{
            let is_blocked = blocked($prefix);
            let refuse = mock!(aws_sdk_iam::Client::$op)
                .match_requests(move |_| is_blocked())
                .sequence()
                .http_status(409, Some(conflict()))
                .build();
            let allow = mock!(aws_sdk_iam::Client::$op).then_output(|| <$out>::builder().build());
            [refuse, allow]
        }};
    }
    use aws_sdk_iam::operation as o;
    let rules = [
        ok!(
            remove_user_from_group,
            o::remove_user_from_group::RemoveUserFromGroupOutput,
            gone(&["u:in-g", "g:member-u"])
        ),
        ok!(
            delete_login_profile,
            o::delete_login_profile::DeleteLoginProfileOutput,
            gone(&["u:login"])
        ),
        ok!(
            delete_access_key,
            o::delete_access_key::DeleteAccessKeyOutput,
            gone(&["u:key"])
        ),
        ok!(
            deactivate_mfa_device,
            o::deactivate_mfa_device::DeactivateMfaDeviceOutput,
            gone(&["u:mfa"])
        ),
        ok!(
            delete_virtual_mfa_device,
            o::delete_virtual_mfa_device::DeleteVirtualMfaDeviceOutput,
            gone(&[])
        ),
        ok!(
            detach_group_policy,
            o::detach_group_policy::DetachGroupPolicyOutput,
            gone(&["g:p", "p:on-g"])
        ),
        ok!(
            detach_role_policy,
            o::detach_role_policy::DetachRolePolicyOutput,
            gone(&["r:p", "p:on-r"])
        ),
    ];
    let guards = [
        guarded!(delete_user, o::delete_user::DeleteUserOutput, "u:"),
        guarded!(delete_group, o::delete_group::DeleteGroupOutput, "g:"),
        guarded!(delete_role, o::delete_role::DeleteRoleOutput, "r:"),
        guarded!(delete_policy, o::delete_policy::DeletePolicyOutput, "p:"),
    ];
    let mut all: Vec<&Rule> = rules.iter().collect();
    all.extend(guards.iter().flatten());
    let clients = clients_with(&all, &[]);
    let report = apply(&clients, &plan, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(report.changes, plan.changes.len());
    assert!(
        left.lock().unwrap().is_empty(),
        "{:?}",
        left.lock().unwrap()
    );
    assert_eq!(*conflicts.lock().unwrap(), Vec::<String>::new());
    for guard in guards.iter().flatten().skip(1).step_by(2) {
        assert_eq!(guard.num_calls(), 1);
    }
}
