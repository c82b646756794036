//! The corpus of AWS managed policies is what the pin says: every policy, with its default
//! version's document. (The linter's corpus test, in `lint_corpus.rs`, reads each of them.)

#[test]
fn every_aws_managed_policy_of_the_pinned_version_is_there() {
    let policies = iamkit_e2e::corpus::managed_policies().unwrap();
    assert_eq!(policies.len(), 1594);
    let admin = policies
        .iter()
        .find(|p| p.name == "AdministratorAccess")
        .unwrap();
    assert_eq!(admin.arn, "arn:aws:iam::aws:policy/AdministratorAccess");
    assert_eq!(
        admin.document["Statement"][0]["Action"],
        serde_json::json!("*")
    );
    assert!(admin.text.contains("\n    \"Statement\""), "{}", admin.text);
    let odd: Vec<&str> = policies
        .iter()
        .filter(|p| {
            !p.arn.starts_with("arn:aws:iam::aws:policy/")
                || !p.arn.ends_with(&format!("/{}", p.name))
                || p.document.get("Statement").is_none()
        })
        .map(|p| p.name.as_str())
        .collect();
    assert!(odd.is_empty(), "{odd:?}");
}
