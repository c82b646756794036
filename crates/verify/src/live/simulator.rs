//! On AWS, each deny expectation is also asked of IAM's policy simulator, and a disagreement
//! with our engine is a failed check of its own.

use std::collections::BTreeMap;

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum};
use iamkit_eval::Decision;
use iamkit_provision::Clients;

use super::{check, sdk};
use crate::{
    expectations::{Expectation, Judged, Placeholders, Principal},
    report::{Check, Report, Status},
};

/// AWS's simulator decision (`allowed`, `explicitDeny`, `implicitDeny`) as ours.
pub fn aws_decision(text: &str) -> Option<Decision> {
    match text {
        "allowed" => Some(Decision::Allow),
        "explicitDeny" => Some(Decision::ExplicitDeny),
        "implicitDeny" => Some(Decision::ImplicitDeny),
        _ => None,
    }
}

/// The simulator's context entry for a key: `boolean` for true/false, else `string`(`List`).
fn context_entry(key: &str, values: &[String]) -> ContextEntry {
    let boolean = values.iter().all(|v| v == "true" || v == "false");
    let kind = match (boolean, values.len()) {
        (true, 1) => ContextKeyTypeEnum::Boolean,
        (true, _) => ContextKeyTypeEnum::BooleanList,
        (false, 1) => ContextKeyTypeEnum::String,
        (false, _) => ContextKeyTypeEnum::StringList,
    };
    ContextEntry::builder()
        .context_key_name(key)
        .set_context_key_values(Some(values.to_vec()))
        .context_key_type(kind)
        .build()
}

/// One deny expectation against AWS's simulator, and against our engine's decision.
fn compare(expectation: &Expectation, ours: Option<&Judged>, aws: Decision) -> Check {
    let name = format!("aws-agrees:{}", expectation.name);
    match ours {
        Some(ours) if ours.decision != aws => check(
            &name,
            Status::Fail,
            format!(
                "DISAGREEMENT: AWS's simulator says {aws}, iamkit-eval says {} ({})",
                ours.decision, ours.why
            ),
        )
        .help("report it: one of the two engines is wrong for this request"),
        _ if aws != expectation.decision => check(
            &name,
            Status::Fail,
            format!(
                "AWS's simulator says {aws}, expected {}",
                expectation.decision
            ),
        ),
        _ => check(
            &name,
            Status::Pass,
            format!("AWS's simulator also says {aws}"),
        ),
    }
}

pub(super) async fn simulate(
    clients: &Clients,
    at: &Placeholders,
    expectations: &[Expectation],
    judged: &BTreeMap<String, Judged>,
    report: &mut Report,
) {
    for expectation in expectations
        .iter()
        .filter(|e| e.decision != Decision::Allow)
    {
        let Some(source) = Principal::parse(&expectation.principal).identity_arn(at) else {
            continue;
        };
        let mut call = clients
            .iam
            .simulate_principal_policy()
            .policy_source_arn(&source)
            .action_names(&expectation.action)
            .resource_arns(at.fill(&expectation.resource));
        for (key, values) in &expectation.context {
            call = call.context_entries(context_entry(key, values));
        }
        let result = match call.send().await {
            Ok(out) => out
                .evaluation_results()
                .first()
                .and_then(|r| aws_decision(r.eval_decision().as_str())),
            Err(e) => {
                report.push(check(
                    &format!("aws-agrees:{}", expectation.name),
                    Status::Fail,
                    format!("iam:SimulatePrincipalPolicy: {}", sdk(e)),
                ));
                continue;
            }
        };
        match result {
            Some(aws) => report.push(compare(expectation, judged.get(&expectation.name), aws)),
            None => report.push(check(
                &format!("aws-agrees:{}", expectation.name),
                Status::Fail,
                "iam:SimulatePrincipalPolicy returned no decision",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectation(decision: Decision) -> Expectation {
        Expectation {
            name: "dev-user-cannot-create-users".into(),
            article: String::new(),
            principal: "user/dev-user".into(),
            action: "iam:CreateUser".into(),
            resource: "arn:aws:iam::<account-id>:user/x".into(),
            context: BTreeMap::new(),
            decision,
        }
    }

    fn ours(decision: Decision) -> Judged {
        Judged {
            decision,
            why: "no identity policy statement allows it".into(),
        }
    }

    #[test]
    fn simulator_decisions_map_to_ours() {
        assert_eq!(aws_decision("allowed"), Some(Decision::Allow));
        assert_eq!(aws_decision("explicitDeny"), Some(Decision::ExplicitDeny));
        assert_eq!(aws_decision("implicitDeny"), Some(Decision::ImplicitDeny));
        assert_eq!(aws_decision("maybe"), None);
    }

    #[test]
    fn a_disagreement_is_a_failure_that_says_so() {
        let e = expectation(Decision::ImplicitDeny);
        let agree = compare(
            &e,
            Some(&ours(Decision::ImplicitDeny)),
            Decision::ImplicitDeny,
        );
        assert_eq!(agree.status, Status::Pass);
        let differ = compare(&e, Some(&ours(Decision::ImplicitDeny)), Decision::Allow);
        assert_eq!(differ.status, Status::Fail);
        assert!(
            differ.detail.starts_with(
                "DISAGREEMENT: AWS's simulator says Allow, iamkit-eval says ImplicitDeny"
            ),
            "{}",
            differ.detail
        );
        // Both engines agree, and both say the account is wrong.
        let both = compare(&e, Some(&ours(Decision::Allow)), Decision::Allow);
        assert_eq!(both.status, Status::Fail);
        assert!(
            both.detail.contains("expected ImplicitDeny"),
            "{}",
            both.detail
        );
    }

    #[test]
    fn context_entries_are_typed() {
        let entry = context_entry("aws:MultiFactorAuthPresent", &["true".into()]);
        assert_eq!(entry.context_key_type(), Some(&ContextKeyTypeEnum::Boolean));
        let entry = context_entry("aws:TagKeys", &["a".into(), "b".into()]);
        assert_eq!(
            entry.context_key_type(),
            Some(&ContextKeyTypeEnum::StringList)
        );
    }
}
