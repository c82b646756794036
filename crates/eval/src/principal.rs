//! Who is calling, and how a resource-based policy's `Principal` / `NotPrincipal` names them.
//!
//! IAM checks a principal at several levels: for an IAM user its account and the user; for a
//! role session its account, the role and the session ("NotPrincipal": "AWS validates the
//! account, then the role, then the assumed-role user"). A statement naming the account only
//! delegates to the account (identity policies must allow too); naming the role is limited by
//! the role's permissions boundary and session policy; naming the user or the session grants
//! directly.

use iamkit_arn::{Arn, Partition};

/// What kind of caller a request's principal string names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `arn:aws:iam::ACCOUNT:user/path/name`.
    User,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    AssumedRole,
    /// `arn:aws:iam::ACCOUNT:role/path/name`, taken as a session of that role.
    Role,
    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    FederatedUser,
    /// `arn:aws:iam::ACCOUNT:root` or a bare account id: the account root user.
    Root,
    /// `lambda.amazonaws.com` and other service principals (also matched by `Federated`).
    Service,
    /// A SAML or OIDC provider ARN.
    Federated,
    /// An S3 canonical user id.
    CanonicalUser,
    /// `*` or an empty principal: an anonymous request.
    Anonymous,
}

/// A level at which IAM identifies the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Facet {
    Account,
    Role,
    /// The caller itself: the user, the session, the federated user, the service.
    Caller,
}

/// How a resource-based policy's Allow reaches the caller; ordered from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// Names the caller's account: the account delegates, its identity policies must allow.
    Account,
    /// Names the role of a role session: limited by the boundary and the session policy.
    Role,
    /// Names the caller itself (or `*`).
    Direct,
}

/// The request's principal, parsed once per evaluation.
#[derive(Clone, Debug)]
pub(crate) struct Caller<'r> {
    pub kind: Kind,
    /// The principal string as given.
    pub arn: &'r str,
    pub partition: &'r str,
    pub account: Option<&'r str>,
    /// The user name (without path) for an IAM user.
    pub user_name: Option<&'r str>,
    /// The role name for a role session.
    pub role_name: Option<&'r str>,
    /// `aws:PrincipalArn`: for a role session, the role's ARN.
    pub principal_arn: Option<std::borrow::Cow<'r, str>>,
}

/// Whether `text` is an account id: twelve ASCII digits.
fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The six `:`-separated parts of an ARN (`arn`, partition, service, region, account,
/// resource; the resource keeps its colons), or `None` when `text` is not ARN-shaped.
fn arn_parts(text: &str) -> Option<[&str; 6]> {
    let mut parts = text.splitn(6, ':');
    let arn = [
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ];
    (arn[0] == "arn").then_some(arn)
}

impl<'r> Caller<'r> {
    pub(crate) fn parse(principal: &'r str) -> Caller<'r> {
        let mut caller = Caller {
            kind: Kind::Anonymous,
            arn: principal,
            partition: "aws",
            account: None,
            user_name: None,
            role_name: None,
            principal_arn: None,
        };
        if principal.is_empty() || principal == "*" {
            return caller;
        }
        if is_account_id(principal) {
            caller.kind = Kind::Root;
            caller.account = Some(principal);
            caller.principal_arn = principal.parse().ok().map(|id| {
                Arn::account_root(&Partition::Aws, id)
                    .as_str()
                    .to_owned()
                    .into()
            });
            return caller;
        }
        let Some([_, partition, service, _region, account, resource]) = arn_parts(principal) else {
            caller.kind =
                if principal.len() == 64 && principal.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Kind::CanonicalUser
                } else {
                    Kind::Service
                };
            return caller;
        };
        caller.partition = partition;
        caller.account = Some(account).filter(|a| !a.is_empty());
        let last = |r: &'r str| r.rsplit('/').next();
        match service {
            "iam" if resource == "root" => {
                caller.kind = Kind::Root;
                caller.principal_arn = Some(principal.into());
            }
            "iam" if resource.starts_with("user/") => {
                caller.kind = Kind::User;
                caller.user_name = last(resource);
                caller.principal_arn = Some(principal.into());
            }
            "iam" if resource.starts_with("role/") => {
                caller.kind = Kind::Role;
                caller.role_name = last(resource);
                caller.principal_arn = Some(principal.into());
            }
            "iam"
                if resource.starts_with("saml-provider/")
                    || resource.starts_with("oidc-provider/") =>
            {
                caller.kind = Kind::Federated;
            }
            "sts" if resource.starts_with("assumed-role/") => {
                caller.kind = Kind::AssumedRole;
                let mut it = resource.split('/');
                caller.role_name = it.nth(1);
                if let (Some(role), Ok(partition), Ok(account)) =
                    (caller.role_name, partition.parse(), account.parse())
                {
                    caller.principal_arn = Arn::iam_role(&partition, account, "/", role)
                        .ok()
                        .map(|arn| arn.as_str().to_owned().into());
                }
            }
            "sts" if resource.starts_with("federated-user/") => {
                caller.kind = Kind::FederatedUser;
                caller.principal_arn = Some(principal.into());
            }
            _ => {
                caller.kind = Kind::Service;
            }
        }
        caller
    }

    /// Whether the caller is an IAM identity of an account (identity policies apply).
    pub(crate) fn is_iam(&self) -> bool {
        matches!(
            self.kind,
            Kind::User | Kind::AssumedRole | Kind::Role | Kind::FederatedUser | Kind::Root
        )
    }

    /// The levels at which IAM identifies this caller.
    pub(crate) fn facets(&self) -> &'static [Facet] {
        match self.kind {
            Kind::User | Kind::FederatedUser => &[Facet::Account, Facet::Caller],
            Kind::AssumedRole => &[Facet::Account, Facet::Role, Facet::Caller],
            Kind::Role => &[Facet::Account, Facet::Role],
            Kind::Root => &[Facet::Account],
            Kind::Service | Kind::Federated | Kind::CanonicalUser | Kind::Anonymous => {
                &[Facet::Caller]
            }
        }
    }

    /// What a statement that reaches the caller at `facet` grants.
    pub(crate) fn grant_at(&self, facet: Facet) -> Grant {
        match (facet, self.kind) {
            (Facet::Account, Kind::Root) => Grant::Direct,
            (Facet::Account, _) => Grant::Account,
            (Facet::Role, _) => Grant::Role,
            (Facet::Caller, _) => Grant::Direct,
        }
    }

    /// `aws:PrincipalType`.
    pub(crate) fn principal_type(&self) -> Option<&'static str> {
        Some(match self.kind {
            Kind::User => "User",
            Kind::AssumedRole | Kind::Role => "AssumedRole",
            Kind::FederatedUser => "FederatedUser",
            Kind::Root => "Account",
            Kind::Anonymous => "Anonymous",
            Kind::Service | Kind::Federated | Kind::CanonicalUser => return None,
        })
    }
}

/// One entry of a `Principal` or `NotPrincipal` element, compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    Any,
    /// An account id or `arn:...:iam::ACCOUNT:root`.
    Account(Box<str>),
    /// A role ARN: matches the role's sessions (by account and role name; paths do not appear
    /// in session ARNs).
    Role { account: Box<str>, name: Box<str> },
    /// A user, session, federated user or other ARN: matches exactly.
    Arn(Box<str>),
    /// `{"Service": ...}`.
    Service(Box<str>),
    /// `{"Federated": ...}`.
    Federated(Box<str>),
    /// `{"CanonicalUser": ...}`.
    CanonicalUser(Box<str>),
}

impl Entry {
    /// Compiles an entry of the `AWS` kind.
    pub(crate) fn aws(text: &str) -> Entry {
        if text == "*" {
            return Entry::Any;
        }
        if is_account_id(text) {
            return Entry::Account(text.into());
        }
        if let Some([_, _, "iam", _, account, resource]) = arn_parts(text) {
            if resource == "root" {
                return Entry::Account(account.into());
            }
            if let Some(path_and_name) = resource.strip_prefix("role/") {
                let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
                return Entry::Role {
                    account: account.into(),
                    name: name.into(),
                };
            }
        }
        Entry::Arn(text.into())
    }

    /// Whether this entry names the caller at `facet`.
    pub(crate) fn names(&self, caller: &Caller<'_>, facet: Facet) -> bool {
        match (self, facet) {
            (Entry::Any, _) => true,
            (Entry::Account(account), Facet::Account) => caller.account == Some(&**account),
            (Entry::Role { account, name }, Facet::Role) => {
                caller.account == Some(&**account) && caller.role_name == Some(&**name)
            }
            (Entry::Arn(arn), Facet::Caller) => caller.arn == &**arn,
            (Entry::Service(name), Facet::Caller) => {
                caller.kind == Kind::Service && caller.arn.eq_ignore_ascii_case(name)
            }
            (Entry::Federated(name), Facet::Caller) => {
                matches!(caller.kind, Kind::Service | Kind::Federated) && caller.arn == &**name
            }
            (Entry::CanonicalUser(id), Facet::Caller) => {
                caller.kind == Kind::CanonicalUser && caller.arn.eq_ignore_ascii_case(id)
            }
            _ => false,
        }
    }
}

/// A compiled `Principal` or `NotPrincipal` element.
#[derive(Clone, Debug, Default)]
pub(crate) struct Principals {
    pub not: bool,
    pub entries: Vec<Entry>,
}

impl Principals {
    /// The strongest grant an Allow statement with this element gives the caller, if any.
    pub(crate) fn grant(&self, caller: &Caller<'_>) -> Option<Grant> {
        caller
            .facets()
            .iter()
            .filter(|facet| self.entries.iter().any(|e| e.names(caller, **facet)) != self.not)
            .map(|facet| caller.grant_at(*facet))
            .max()
    }

    /// Whether a Deny statement with this element applies to the caller: `Principal` names
    /// it at some level; `NotPrincipal` fails to exempt it at some level.
    pub(crate) fn denies(&self, caller: &Caller<'_>) -> bool {
        caller
            .facets()
            .iter()
            .any(|facet| self.entries.iter().any(|e| e.names(caller, *facet)) != self.not)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principals(not: bool, entries: &[&str]) -> Principals {
        Principals {
            not,
            entries: entries.iter().map(|e| Entry::aws(e)).collect(),
        }
    }

    #[test]
    fn callers() {
        let c = Caller::parse("arn:aws:sts::111122223333:assumed-role/app-role/s1");
        assert_eq!(c.kind, Kind::AssumedRole);
        assert_eq!(
            c.principal_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/app-role")
        );
        let c = Caller::parse("arn:aws:iam::111122223333:user/team/dev-user");
        assert_eq!((c.kind, c.user_name), (Kind::User, Some("dev-user")));
        assert_eq!(Caller::parse("111122223333").kind, Kind::Root);
        assert_eq!(Caller::parse("lambda.amazonaws.com").kind, Kind::Service);
        assert_eq!(Caller::parse("*").kind, Kind::Anonymous);
    }

    /// Every caller form AWS documents ("AWS JSON policy elements: Principal", "IAM
    /// identifiers"), and what the engine reads from it: kind, partition, account, user
    /// name, role name, `aws:PrincipalArn`, `aws:PrincipalType`.
    #[allow(clippy::type_complexity)]
    const CALLERS: [(
        &str,
        Kind,
        &str,
        Option<&str>,
        Option<&str>,
        Option<&str>,
        Option<&str>,
        Option<&str>,
    ); 20] = [
        (
            "arn:aws:iam::111122223333:user/dev-user",
            Kind::User,
            "aws",
            Some("111122223333"),
            Some("dev-user"),
            None,
            Some("arn:aws:iam::111122223333:user/dev-user"),
            Some("User"),
        ),
        (
            "arn:aws:iam::111122223333:user/division/team/dev-user",
            Kind::User,
            "aws",
            Some("111122223333"),
            Some("dev-user"),
            None,
            Some("arn:aws:iam::111122223333:user/division/team/dev-user"),
            Some("User"),
        ),
        (
            "arn:aws-cn:iam::111122223333:user/li",
            Kind::User,
            "aws-cn",
            Some("111122223333"),
            Some("li"),
            None,
            Some("arn:aws-cn:iam::111122223333:user/li"),
            Some("User"),
        ),
        (
            "arn:aws:iam::111122223333:root",
            Kind::Root,
            "aws",
            Some("111122223333"),
            None,
            None,
            Some("arn:aws:iam::111122223333:root"),
            Some("Account"),
        ),
        (
            "111122223333",
            Kind::Root,
            "aws",
            Some("111122223333"),
            None,
            None,
            Some("arn:aws:iam::111122223333:root"),
            Some("Account"),
        ),
        (
            "arn:aws:iam::111122223333:role/admin",
            Kind::Role,
            "aws",
            Some("111122223333"),
            None,
            Some("admin"),
            Some("arn:aws:iam::111122223333:role/admin"),
            Some("AssumedRole"),
        ),
        (
            "arn:aws:iam::111122223333:role/service-role/exec-lambda",
            Kind::Role,
            "aws",
            Some("111122223333"),
            None,
            Some("exec-lambda"),
            Some("arn:aws:iam::111122223333:role/service-role/exec-lambda"),
            Some("AssumedRole"),
        ),
        (
            "arn:aws:sts::111122223333:assumed-role/admin/dev-user",
            Kind::AssumedRole,
            "aws",
            Some("111122223333"),
            None,
            Some("admin"),
            Some("arn:aws:iam::111122223333:role/admin"),
            Some("AssumedRole"),
        ),
        (
            "arn:aws-us-gov:sts::111122223333:assumed-role/app/i-0abc",
            Kind::AssumedRole,
            "aws-us-gov",
            Some("111122223333"),
            None,
            Some("app"),
            Some("arn:aws-us-gov:iam::111122223333:role/app"),
            Some("AssumedRole"),
        ),
        (
            "arn:aws:sts::111122223333:federated-user/carol",
            Kind::FederatedUser,
            "aws",
            Some("111122223333"),
            None,
            None,
            Some("arn:aws:sts::111122223333:federated-user/carol"),
            Some("FederatedUser"),
        ),
        (
            "arn:aws:iam::111122223333:saml-provider/okta",
            Kind::Federated,
            "aws",
            Some("111122223333"),
            None,
            None,
            None,
            None,
        ),
        (
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            Kind::Federated,
            "aws",
            Some("111122223333"),
            None,
            None,
            None,
            None,
        ),
        (
            "lambda.amazonaws.com",
            Kind::Service,
            "aws",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "cognito-identity.amazonaws.com",
            Kind::Service,
            "aws",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
            Kind::CanonicalUser,
            "aws",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "*",
            Kind::Anonymous,
            "aws",
            None,
            None,
            None,
            None,
            Some("Anonymous"),
        ),
        (
            "",
            Kind::Anonymous,
            "aws",
            None,
            None,
            None,
            None,
            Some("Anonymous"),
        ),
        // Neither an account id (eleven digits) nor a canonical user (not hexadecimal), nor
        // an identity ARN: taken as a service, which identity policies never speak for.
        (
            "11112222333",
            Kind::Service,
            "aws",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2bz",
            Kind::Service,
            "aws",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "arn:aws:s3:::amzn-s3-demo-bucket",
            Kind::Service,
            "aws",
            None,
            None,
            None,
            None,
            None,
        ),
    ];

    #[test]
    fn every_documented_caller_form() {
        for (text, kind, partition, account, user, role, principal_arn, principal_type) in CALLERS {
            let c = Caller::parse(text);
            assert_eq!(c.kind, kind, "{text}");
            assert_eq!(c.arn, text, "{text}");
            assert_eq!(c.partition, partition, "{text}");
            assert_eq!(c.account, account, "{text}");
            assert_eq!(c.user_name, user, "{text}");
            assert_eq!(c.role_name, role, "{text}");
            assert_eq!(c.principal_arn.as_deref(), principal_arn, "{text}");
            assert_eq!(c.principal_type(), principal_type, "{text}");
            let iam = matches!(
                kind,
                Kind::User | Kind::AssumedRole | Kind::Role | Kind::FederatedUser | Kind::Root
            );
            assert_eq!(c.is_iam(), iam, "{text}");
        }
        // Other `sts` and `iam` resources are no callers AWS signs as.
        for text in [
            "arn:aws:sts::111122223333:user/x",
            "arn:aws:iam::111122223333:group/developers",
            "arn:aws:iam::111122223333:policy/p",
        ] {
            assert_eq!(Caller::parse(text).kind, Kind::Service, "{text}");
        }
        // An ARN with an empty account has none.
        assert_eq!(Caller::parse("arn:aws:iam:::user/x").account, None);
    }

    #[test]
    fn facets_and_their_grants() {
        let user = Caller::parse("arn:aws:iam::111122223333:user/a");
        assert_eq!(user.facets(), [Facet::Account, Facet::Caller]);
        let session = Caller::parse("arn:aws:sts::111122223333:assumed-role/r/s");
        assert_eq!(
            session.facets(),
            [Facet::Account, Facet::Role, Facet::Caller]
        );
        let role = Caller::parse("arn:aws:iam::111122223333:role/r");
        assert_eq!(role.facets(), [Facet::Account, Facet::Role]);
        let root = Caller::parse("111122223333");
        assert_eq!(root.facets(), [Facet::Account]);
        assert_eq!(root.grant_at(Facet::Account), Grant::Direct);
        assert_eq!(user.grant_at(Facet::Account), Grant::Account);
        assert_eq!(session.grant_at(Facet::Role), Grant::Role);
        assert_eq!(session.grant_at(Facet::Caller), Grant::Direct);
        for service in ["lambda.amazonaws.com", "*"] {
            assert_eq!(Caller::parse(service).facets(), [Facet::Caller]);
        }
    }

    #[test]
    fn entries_name_callers_at_their_level() {
        let service = Caller::parse("lambda.amazonaws.com");
        assert!(Entry::Service("Lambda.amazonaws.com".into()).names(&service, Facet::Caller));
        assert!(!Entry::Service("s3.amazonaws.com".into()).names(&service, Facet::Caller));
        assert!(Entry::Federated("lambda.amazonaws.com".into()).names(&service, Facet::Caller));
        let user = Caller::parse("arn:aws:iam::111122223333:user/a");
        assert!(
            !Entry::Service("arn:aws:iam::111122223333:user/a".into()).names(&user, Facet::Caller)
        );
        assert!(
            !Entry::Federated("arn:aws:iam::111122223333:user/a".into())
                .names(&user, Facet::Caller)
        );
        assert!(Entry::Arn("arn:aws:iam::111122223333:user/a".into()).names(&user, Facet::Caller));
        assert!(
            !Entry::Arn("arn:aws:iam::111122223333:user/a".into()).names(&user, Facet::Account)
        );
        let oidc = Caller::parse("arn:aws:iam::111122223333:oidc-provider/example.com");
        assert!(
            Entry::Federated("arn:aws:iam::111122223333:oidc-provider/example.com".into())
                .names(&oidc, Facet::Caller)
        );
        let id = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
        let canonical = Caller::parse(id);
        assert!(Entry::CanonicalUser(id.to_uppercase().into()).names(&canonical, Facet::Caller));
        assert!(!Entry::CanonicalUser(id.into()).names(&service, Facet::Caller));
        let other_id = "0".repeat(64);
        assert!(!Entry::CanonicalUser(other_id.as_str().into()).names(&canonical, Facet::Caller));
        assert!(
            !Entry::CanonicalUser("lambda.amazonaws.com".into()).names(&service, Facet::Caller),
            "a service is no canonical user, whatever its name"
        );
        assert_eq!(
            Entry::aws("arn:aws:iam::111122223333:root"),
            Entry::Account("111122223333".into())
        );
        assert_eq!(Entry::aws("*"), Entry::Any);
        assert_eq!(
            Entry::aws("arn:aws:iam::111122223333:role/path/r"),
            Entry::Role {
                account: "111122223333".into(),
                name: "r".into()
            }
        );
        assert_eq!(
            Entry::aws("arn:aws:sts::111122223333:assumed-role/r/s"),
            Entry::Arn("arn:aws:sts::111122223333:assumed-role/r/s".into())
        );
        let other = Caller::parse("arn:aws:iam::444455556666:user/a");
        assert!(!Entry::Account("111122223333".into()).names(&other, Facet::Account));
        let session = Caller::parse("arn:aws:sts::444455556666:assumed-role/r/s");
        assert!(
            !Entry::Role {
                account: "111122223333".into(),
                name: "r".into()
            }
            .names(&session, Facet::Role)
        );
        assert!(
            !Entry::Role {
                account: "444455556666".into(),
                name: "q".into()
            }
            .names(&session, Facet::Role)
        );
    }

    #[test]
    fn grants() {
        let session = Caller::parse("arn:aws:sts::111122223333:assumed-role/app-role/s1");
        assert_eq!(
            principals(false, &["111122223333"]).grant(&session),
            Some(Grant::Account)
        );
        assert_eq!(
            principals(false, &["arn:aws:iam::111122223333:role/path/app-role"]).grant(&session),
            Some(Grant::Role)
        );
        assert_eq!(
            principals(
                false,
                &["arn:aws:sts::111122223333:assumed-role/app-role/s1"]
            )
            .grant(&session),
            Some(Grant::Direct)
        );
        assert_eq!(
            principals(false, &["*"]).grant(&session),
            Some(Grant::Direct)
        );
        assert_eq!(principals(false, &["444455556666"]).grant(&session), None);
    }

    #[test]
    fn not_principal_must_exempt_every_level() {
        let user = Caller::parse("arn:aws:iam::111122223333:user/alice");
        assert!(principals(true, &["arn:aws:iam::111122223333:user/alice"]).denies(&user));
        assert!(
            !principals(
                true,
                &[
                    "arn:aws:iam::111122223333:user/alice",
                    "arn:aws:iam::111122223333:root"
                ]
            )
            .denies(&user)
        );
        assert!(principals(true, &["arn:aws:iam::111122223333:root"]).denies(&user));
    }
}
