//! The `Arn` type: parse, display, build.

use std::{fmt, str::FromStr};

use crate::{
    AccountId, ArnError, ArnPart, Partition,
    account::is_partition_name,
    error::column,
    names::{
        validate_bucket_name, validate_function_name, validate_group_name,
        validate_mfa_device_name, validate_object_key, validate_path, validate_policy_name,
        validate_region, validate_role_name, validate_role_session_name, validate_user_name,
    },
};

/// An Amazon Resource Name: `arn:partition:service:region:account:resource`.
///
/// The text is kept as given, so [`Display`](fmt::Display) gives back exactly what
/// [`FromStr`] read. The resource part is everything after the fifth colon and may itself
/// contain colons (`arn:aws:logs:us-east-1:123456789012:log-group:app:*`); region and account
/// may be empty (`arn:aws:s3:::bucket`). The account is kept as text because not every ARN
/// names a twelve-digit account: AWS managed policies live in account `aws`.
///
/// ```
/// use iamkit_arn::{Arn, Partition};
/// let arn: Arn = "arn:aws:iam::123456789012:user/team/dev-user".parse()?;
/// assert_eq!(arn.partition(), &Partition::Aws);
/// assert_eq!(arn.service(), "iam");
/// assert_eq!(arn.region(), "");
/// assert_eq!(arn.account(), "123456789012");
/// assert_eq!(arn.resource(), "user/team/dev-user");
/// assert_eq!(arn.to_string(), "arn:aws:iam::123456789012:user/team/dev-user");
///
/// let error = "arn:aws:s3::bucket".parse::<Arn>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid ARN `arn:aws:s3::bucket`: expected 6 colon-separated parts, found 5"
/// );
/// # Ok::<(), iamkit_arn::ArnError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arn {
    text: Box<str>,
    partition: Partition,
    /// Byte offsets where service, region, account and resource start in `text`.
    starts: [usize; 4],
}

/// The parts of an IAM resource such as `user/team/dev-user`: see [`Arn::iam_resource`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IamResource<'a> {
    /// The resource type: `user`, `group`, `role`, `policy`, `mfa`, `instance-profile`, ...
    pub kind: &'a str,
    /// The path, `/` when there is none; it starts and ends with `/`.
    pub path: &'a str,
    /// The name after the path.
    pub name: &'a str,
}

/// Splits `text` at its first five colons. Returns the byte offset of each of the six parts,
/// or the number of parts when there are fewer than six.
pub(crate) fn split_six(text: &str) -> Result<[usize; 6], usize> {
    let mut starts = [0usize; 6];
    let mut colons = text.match_indices(':').map(|(at, _)| at + 1);
    for (found, slot) in starts.iter_mut().enumerate().skip(1) {
        *slot = colons.next().ok_or(found)?;
    }
    Ok(starts)
}

/// The text of part `index` given the part offsets from [`split_six`].
pub(crate) fn part<'a>(text: &'a str, starts: &[usize; 6], index: usize) -> &'a str {
    let start = starts.get(index).copied().unwrap_or(text.len());
    let end = starts
        .get(index + 1)
        .map_or(text.len(), |next| next.saturating_sub(1));
    text.get(start..end).unwrap_or_default()
}

fn is_service(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_region(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_account(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Why `value` is not a valid `part`, if it is not.
fn part_problem(part: ArnPart, value: &str) -> Option<&'static str> {
    match part {
        ArnPart::Prefix => (value != "arn").then_some("an ARN starts with `arn`"),
        ArnPart::Partition => (!is_partition_name(value))
            .then_some("expected a partition such as `aws`, `aws-cn` or `aws-us-gov`"),
        ArnPart::Service => (!is_service(value)).then_some(
            "expected a service namespace such as `iam` (lowercase letters, digits, `-`)",
        ),
        ArnPart::Region => {
            (!is_region(value)).then_some("expected a region such as `us-east-1`, or nothing")
        }
        ArnPart::Account => {
            (!is_account(value)).then_some("expected a 12-digit account id, `aws`, or nothing")
        }
        ArnPart::Resource => value
            .is_empty()
            .then_some("the resource part must not be empty"),
    }
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let starts = split_six(s).map_err(|found| ArnError::PartCount {
            input: s.to_owned(),
            found,
        })?;
        for (index, which) in ArnPart::ALL.into_iter().enumerate() {
            let value = part(s, &starts, index);
            if let Some(reason) = part_problem(which, value) {
                return Err(ArnError::Part {
                    input: s.to_owned(),
                    part: which,
                    value: value.to_owned(),
                    column: column(s, starts.get(index).copied().unwrap_or_default()),
                    reason: reason.to_owned(),
                });
            }
        }
        let partition = part(s, &starts, 1).parse()?;
        let [_, _, service, region, account, resource] = starts;
        Ok(Arn {
            text: s.into(),
            partition,
            starts: [service, region, account, resource],
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for Arn {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Arn {
    /// Builds an ARN from its parts, checking each one as [`FromStr`] does.
    ///
    /// ```
    /// use iamkit_arn::{Arn, Partition};
    /// let arn = Arn::new(&Partition::Aws, "sqs", "us-east-2", "123456789012", "queue1")?;
    /// assert_eq!(arn.as_str(), "arn:aws:sqs:us-east-2:123456789012:queue1");
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn new(
        partition: &Partition,
        service: &str,
        region: &str,
        account: &str,
        resource: &str,
    ) -> Result<Arn, ArnError> {
        let text = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        // Parsing the joined text checks every part; a colon inside one of the first four
        // parts shows up as a wrong part, never as a silently different ARN.
        let arn: Arn = text.parse()?;
        let same = arn.partition() == partition
            && arn.service() == service
            && arn.region() == region
            && arn.account() == account;
        if !same {
            let service_at = "arn:".len() + partition.as_str().len() + 1;
            let region_at = service_at + service.len() + 1;
            let account_at = region_at + region.len() + 1;
            let (which, value, at) = [
                (ArnPart::Service, service, service_at),
                (ArnPart::Region, region, region_at),
                (ArnPart::Account, account, account_at),
            ]
            .into_iter()
            .find(|(_, value, _)| value.contains(':'))
            .unwrap_or((ArnPart::Partition, partition.as_str(), "arn:".len()));
            return Err(ArnError::Part {
                column: column(&text, at),
                input: text,
                part: which,
                value: value.to_owned(),
                reason: "must not contain `:`".to_owned(),
            });
        }
        Ok(arn)
    }

    /// The whole ARN as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn slice(&self, from: usize, to: Option<usize>) -> &str {
        let end = to.map_or(self.text.len(), |next| next.saturating_sub(1));
        self.text.get(from..end).unwrap_or_default()
    }

    /// The partition, such as [`Partition::Aws`].
    pub fn partition(&self) -> &Partition {
        &self.partition
    }

    /// The service namespace, such as `iam`.
    pub fn service(&self) -> &str {
        let [service, region, ..] = self.starts;
        self.slice(service, Some(region))
    }

    /// The region, empty for global services such as IAM and S3.
    pub fn region(&self) -> &str {
        let [_, region, account, _] = self.starts;
        self.slice(region, Some(account))
    }

    /// The account as written: twelve digits, `aws`, or empty.
    pub fn account(&self) -> &str {
        let [_, _, account, resource] = self.starts;
        self.slice(account, Some(resource))
    }

    /// The account as an [`AccountId`], when it is twelve digits.
    pub fn account_id(&self) -> Option<AccountId> {
        self.account().parse().ok()
    }

    /// Everything after the fifth colon, such as `user/team/dev-user`.
    pub fn resource(&self) -> &str {
        let [.., resource] = self.starts;
        self.slice(resource, None)
    }

    /// The resource type: the resource part up to its first `/` or `:`, if it has one
    /// (`user` in `user/dev-user`, `log-group` in `log-group:app`).
    pub fn resource_type(&self) -> Option<&str> {
        let resource = self.resource();
        resource.find(['/', ':']).and_then(|at| resource.get(..at))
    }

    /// The resource part after its type and separator (`dev-user` in `user/dev-user`), or the
    /// whole resource part when it has no type (`bucket` in `arn:aws:s3:::bucket`).
    pub fn resource_id(&self) -> &str {
        let resource = self.resource();
        resource
            .find(['/', ':'])
            .and_then(|at| resource.get(at + 1..))
            .unwrap_or(resource)
    }

    /// The kind, path and name of an IAM resource (`user/team/dev-user` gives `user`,
    /// `/team/`, `dev-user`), for ARNs of service `iam` whose resource has a `/`.
    ///
    /// ```
    /// use iamkit_arn::{Arn, IamResource};
    /// let arn: Arn = "arn:aws:iam::123456789012:role/service-role/exec-lambda".parse()?;
    /// assert_eq!(
    ///     arn.iam_resource(),
    ///     Some(IamResource { kind: "role", path: "/service-role/", name: "exec-lambda" })
    /// );
    /// let root: Arn = "arn:aws:iam::123456789012:root".parse()?;
    /// assert_eq!(root.iam_resource(), None);
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn iam_resource(&self) -> Option<IamResource<'_>> {
        if self.service() != "iam" {
            return None;
        }
        let resource = self.resource();
        let first = resource.find('/')?;
        let last = resource.rfind('/')?;
        Some(IamResource {
            kind: resource.get(..first)?,
            path: resource.get(first..=last)?,
            name: resource.get(last + 1..)?,
        })
    }

    /// The role name and session name of an STS assumed-role session
    /// (`arn:aws:sts::123456789012:assumed-role/admin/dev-user` gives `admin`, `dev-user`).
    pub fn sts_session(&self) -> Option<(&str, &str)> {
        if self.service() != "sts" {
            return None;
        }
        self.resource()
            .strip_prefix("assumed-role/")?
            .split_once('/')
    }

    /// Whether this is an account's root user, `arn:PARTITION:iam::ACCOUNT:root`.
    pub fn is_account_root(&self) -> bool {
        self.service() == "iam" && self.resource() == "root" && self.account_id().is_some()
    }

    fn iam(
        partition: &Partition,
        account: AccountId,
        kind: &str,
        path: &str,
        name: &str,
    ) -> Result<Arn, ArnError> {
        validate_path(path)?;
        Arn::new(
            partition,
            "iam",
            "",
            account.as_str(),
            &format!("{kind}{path}{name}"),
        )
    }

    /// `arn:PARTITION:iam::ACCOUNT:user/PATH/NAME` for an IAM user. `path` is `/` for none.
    ///
    /// ```
    /// use iamkit_arn::{Arn, Partition};
    /// let account = "123456789012".parse()?;
    /// let user = Arn::iam_user(&Partition::Aws, account, "/", "dev-user")?;
    /// assert_eq!(user.as_str(), "arn:aws:iam::123456789012:user/dev-user");
    /// let user = Arn::iam_user(&Partition::Aws, account, "/team/", "dev-user")?;
    /// assert_eq!(user.as_str(), "arn:aws:iam::123456789012:user/team/dev-user");
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn iam_user(
        partition: &Partition,
        account: AccountId,
        path: &str,
        name: &str,
    ) -> Result<Arn, ArnError> {
        validate_user_name(name)?;
        Arn::iam(partition, account, "user", path, name)
    }

    /// `arn:PARTITION:iam::ACCOUNT:group/PATH/NAME` for an IAM group.
    pub fn iam_group(
        partition: &Partition,
        account: AccountId,
        path: &str,
        name: &str,
    ) -> Result<Arn, ArnError> {
        validate_group_name(name)?;
        Arn::iam(partition, account, "group", path, name)
    }

    /// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME` for an IAM role.
    pub fn iam_role(
        partition: &Partition,
        account: AccountId,
        path: &str,
        name: &str,
    ) -> Result<Arn, ArnError> {
        validate_role_name(name)?;
        Arn::iam(partition, account, "role", path, name)
    }

    /// `arn:PARTITION:iam::ACCOUNT:policy/PATH/NAME` for a customer managed policy.
    pub fn iam_policy(
        partition: &Partition,
        account: AccountId,
        path: &str,
        name: &str,
    ) -> Result<Arn, ArnError> {
        validate_policy_name(name)?;
        Arn::iam(partition, account, "policy", path, name)
    }

    /// `arn:PARTITION:iam::ACCOUNT:mfa/PATH/NAME` for a virtual MFA device. This ARN is also
    /// the device's serial number in `EnableMFADevice`.
    ///
    /// ```
    /// use iamkit_arn::{Arn, Partition};
    /// let account = "123456789012".parse()?;
    /// let mfa = Arn::mfa_device(&Partition::Aws, account, "/", "dev-user")?;
    /// assert_eq!(mfa.as_str(), "arn:aws:iam::123456789012:mfa/dev-user");
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn mfa_device(
        partition: &Partition,
        account: AccountId,
        path: &str,
        name: &str,
    ) -> Result<Arn, ArnError> {
        validate_mfa_device_name(name)?;
        Arn::iam(partition, account, "mfa", path, name)
    }

    /// `arn:PARTITION:iam::ACCOUNT:instance-profile/PATH/NAME` for an instance profile.
    pub fn iam_instance_profile(
        partition: &Partition,
        account: AccountId,
        path: &str,
        name: &str,
    ) -> Result<Arn, ArnError> {
        // Instance profile names follow the rules of policy names: 1-128 of `[\w+=,.@-]`.
        validate_policy_name(name)?;
        Arn::iam(partition, account, "instance-profile", path, name)
    }

    /// `arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST` for an OpenID Connect identity provider
    /// (as a `Federated` principal in a trust policy).
    ///
    /// ```
    /// use iamkit_arn::{Arn, Partition};
    /// let account = "123456789012".parse()?;
    /// let github = Arn::iam_oidc_provider(&Partition::Aws, account, "token.actions.githubusercontent.com")?;
    /// assert_eq!(
    ///     github.as_str(),
    ///     "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    /// );
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn iam_oidc_provider(
        partition: &Partition,
        account: AccountId,
        host: &str,
    ) -> Result<Arn, ArnError> {
        Arn::new(
            partition,
            "iam",
            "",
            account.as_str(),
            &format!("oidc-provider/{host}"),
        )
    }

    /// `arn:PARTITION:iam::ACCOUNT:root`: the account itself, as a principal in a trust policy.
    pub fn account_root(partition: &Partition, account: AccountId) -> Arn {
        let text = format!("arn:{partition}:iam::{account}:root");
        let account_start = "arn:".len() + partition.as_str().len() + ":iam::".len();
        let resource_start = account_start + 13;
        Arn {
            text: text.into(),
            partition: partition.clone(),
            starts: [
                "arn:".len() + partition.as_str().len() + 1,
                account_start - 1,
                account_start,
                resource_start,
            ],
        }
    }

    /// `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`: the principal of a session made
    /// by `AssumeRole`. It names the role without its path.
    ///
    /// ```
    /// use iamkit_arn::{Arn, Partition};
    /// let account = "123456789012".parse()?;
    /// let session = Arn::sts_assumed_role(&Partition::Aws, account, "admin", "dev-user")?;
    /// assert_eq!(session.as_str(), "arn:aws:sts::123456789012:assumed-role/admin/dev-user");
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn sts_assumed_role(
        partition: &Partition,
        account: AccountId,
        role: &str,
        session: &str,
    ) -> Result<Arn, ArnError> {
        validate_role_name(role)?;
        validate_role_session_name(session)?;
        Arn::new(
            partition,
            "sts",
            "",
            account.as_str(),
            &format!("assumed-role/{role}/{session}"),
        )
    }

    /// `arn:PARTITION:s3:::BUCKET`.
    pub fn s3_bucket(partition: &Partition, bucket: &str) -> Result<Arn, ArnError> {
        validate_bucket_name(bucket)?;
        Arn::new(partition, "s3", "", "", bucket)
    }

    /// `arn:PARTITION:s3:::BUCKET/KEY`.
    ///
    /// ```
    /// use iamkit_arn::{Arn, Partition};
    /// let object = Arn::s3_object(&Partition::Aws, "iamkit-hello", "hello.txt")?;
    /// assert_eq!(object.as_str(), "arn:aws:s3:::iamkit-hello/hello.txt");
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn s3_object(partition: &Partition, bucket: &str, key: &str) -> Result<Arn, ArnError> {
        validate_bucket_name(bucket)?;
        validate_object_key(key)?;
        Arn::new(partition, "s3", "", "", &format!("{bucket}/{key}"))
    }

    /// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME`.
    ///
    /// ```
    /// use iamkit_arn::{Arn, Partition};
    /// let account = "123456789012".parse()?;
    /// let function = Arn::lambda_function(&Partition::Aws, "ap-northeast-1", account, "hello")?;
    /// assert_eq!(
    ///     function.as_str(),
    ///     "arn:aws:lambda:ap-northeast-1:123456789012:function:hello"
    /// );
    /// # Ok::<(), iamkit_arn::ArnError>(())
    /// ```
    pub fn lambda_function(
        partition: &Partition,
        region: &str,
        account: AccountId,
        name: &str,
    ) -> Result<Arn, ArnError> {
        validate_region(region)?;
        validate_function_name(name)?;
        Arn::new(
            partition,
            "lambda",
            region,
            account.as_str(),
            &format!("function:{name}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `input`; `expected` is the five parts after `arn`, or the error message.
    fn check(input: &str, expected: Result<[&str; 5], &str>) {
        let got = input.parse::<Arn>();
        match expected {
            Ok([partition, service, region, account, resource]) => {
                let arn = got.unwrap();
                assert_eq!(arn.partition().as_str(), partition, "{input}");
                assert_eq!(arn.service(), service, "{input}");
                assert_eq!(arn.region(), region, "{input}");
                assert_eq!(arn.account(), account, "{input}");
                assert_eq!(arn.resource(), resource, "{input}");
                assert_eq!(arn.to_string(), input);
            }
            Err(message) => assert_eq!(got.unwrap_err().to_string(), message, "{input}"),
        }
    }

    #[test]
    fn parses_the_shapes_of_arns() {
        check(
            "arn:aws:iam::123456789012:user/dev-user",
            Ok(["aws", "iam", "", "123456789012", "user/dev-user"]),
        );
        check(
            "arn:aws:s3:::iamkit-hello",
            Ok(["aws", "s3", "", "", "iamkit-hello"]),
        );
        check(
            "arn:aws:s3:::iamkit-hello/a:b/c.txt",
            Ok(["aws", "s3", "", "", "iamkit-hello/a:b/c.txt"]),
        );
        check(
            "arn:aws:logs:us-east-1:123456789012:log-group:x:*",
            Ok(["aws", "logs", "us-east-1", "123456789012", "log-group:x:*"]),
        );
        check(
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:hello:$LATEST",
            Ok([
                "aws-cn",
                "lambda",
                "cn-north-1",
                "123456789012",
                "function:hello:$LATEST",
            ]),
        );
        check(
            "arn:aws:iam::aws:policy/AdministratorAccess",
            Ok(["aws", "iam", "", "aws", "policy/AdministratorAccess"]),
        );
        check(
            "arn:aws-iso-b:ec2:us-isob-east-1:123456789012:instance/i-1",
            Ok([
                "aws-iso-b",
                "ec2",
                "us-isob-east-1",
                "123456789012",
                "instance/i-1",
            ]),
        );
    }

    #[test]
    fn errors_name_the_part_and_where() {
        check(
            "arn:aws:s3::bucket",
            Err("invalid ARN `arn:aws:s3::bucket`: expected 6 colon-separated parts, found 5"),
        );
        check(
            "",
            Err("invalid ARN ``: expected 6 colon-separated parts, found 1"),
        );
        check(
            "urn:aws:s3:::bucket",
            Err(
                "invalid ARN `urn:aws:s3:::bucket`: prefix `urn` at column 1: an ARN starts with `arn`",
            ),
        );
        check(
            "arn:AWS:s3:::bucket",
            Err(
                "invalid ARN `arn:AWS:s3:::bucket`: partition `AWS` at column 5: \
                 expected a partition such as `aws`, `aws-cn` or `aws-us-gov`",
            ),
        );
        check(
            "arn:aws::::bucket",
            Err("invalid ARN `arn:aws::::bucket`: service `` at column 9: \
                 expected a service namespace such as `iam` (lowercase letters, digits, `-`)"),
        );
        check(
            "arn:aws:lambda:us east 1:123456789012:function:f",
            Err(
                "invalid ARN `arn:aws:lambda:us east 1:123456789012:function:f`: region \
                 `us east 1` at column 16: expected a region such as `us-east-1`, or nothing",
            ),
        );
        check(
            "arn:aws:iam::<account-id>:root",
            Err(
                "invalid ARN `arn:aws:iam::<account-id>:root`: account `<account-id>` at \
                 column 14: expected a 12-digit account id, `aws`, or nothing",
            ),
        );
        check(
            "arn:aws:s3:::",
            Err("invalid ARN `arn:aws:s3:::`: resource `` at column 14: \
                 the resource part must not be empty"),
        );
    }

    #[test]
    fn resource_type_and_id() {
        let arn: Arn = "arn:aws:iam::123456789012:user/team/dev-user"
            .parse()
            .unwrap();
        assert_eq!(arn.resource_type(), Some("user"));
        assert_eq!(arn.resource_id(), "team/dev-user");
        assert_eq!(arn.account_id(), Some("123456789012".parse().unwrap()));
        let arn: Arn = "arn:aws:s3:::bucket".parse().unwrap();
        assert_eq!(arn.resource_type(), None);
        assert_eq!(arn.resource_id(), "bucket");
        assert_eq!(arn.account_id(), None);
    }

    #[test]
    fn iam_and_sts_accessors() {
        let arn: Arn = "arn:aws:iam::123456789012:user/team/a/dev-user"
            .parse()
            .unwrap();
        let parts = arn.iam_resource().unwrap();
        assert_eq!(
            (parts.kind, parts.path, parts.name),
            ("user", "/team/a/", "dev-user")
        );
        let arn: Arn = "arn:aws:iam::123456789012:mfa/dev-user".parse().unwrap();
        let parts = arn.iam_resource().unwrap();
        assert_eq!(
            (parts.kind, parts.path, parts.name),
            ("mfa", "/", "dev-user")
        );
        let arn: Arn = "arn:aws:s3:::b/k".parse().unwrap();
        assert_eq!(arn.iam_resource(), None);
        assert_eq!(arn.sts_session(), None);
        let arn: Arn = "arn:aws:sts::123456789012:assumed-role/admin/s-1"
            .parse()
            .unwrap();
        assert_eq!(arn.sts_session(), Some(("admin", "s-1")));
        assert!(!arn.is_account_root());
        let root: Arn = "arn:aws:iam::123456789012:root".parse().unwrap();
        assert!(root.is_account_root());
        let managed: Arn = "arn:aws:iam::aws:policy/ReadOnlyAccess".parse().unwrap();
        assert!(!managed.is_account_root());
        assert_eq!(managed.iam_resource().unwrap().name, "ReadOnlyAccess");
    }

    #[test]
    fn builders() {
        let aws = Partition::Aws;
        let account: AccountId = "123456789012".parse().unwrap();
        let cases = [
            (
                Arn::iam_user(&aws, account, "/", "dev-user"),
                "arn:aws:iam::123456789012:user/dev-user",
            ),
            (
                Arn::iam_group(&aws, account, "/", "developer-base"),
                "arn:aws:iam::123456789012:group/developer-base",
            ),
            (
                Arn::iam_role(&aws, account, "/service-role/", "exec-lambda"),
                "arn:aws:iam::123456789012:role/service-role/exec-lambda",
            ),
            (
                Arn::iam_policy(&Partition::AwsUsGov, account, "/", "manage-iam"),
                "arn:aws-us-gov:iam::123456789012:policy/manage-iam",
            ),
            (
                Arn::mfa_device(&aws, account, "/", "dev-user"),
                "arn:aws:iam::123456789012:mfa/dev-user",
            ),
            (
                Ok(Arn::account_root(&aws, account)),
                "arn:aws:iam::123456789012:root",
            ),
            (
                Arn::sts_assumed_role(&aws, account, "admin", "session-1"),
                "arn:aws:sts::123456789012:assumed-role/admin/session-1",
            ),
            (
                Arn::s3_bucket(&aws, "iamkit-hello"),
                "arn:aws:s3:::iamkit-hello",
            ),
            (
                Arn::s3_object(&aws, "iamkit-hello", "dir/hello.txt"),
                "arn:aws:s3:::iamkit-hello/dir/hello.txt",
            ),
            (
                Arn::lambda_function(&aws, "us-east-1", account, "hello"),
                "arn:aws:lambda:us-east-1:123456789012:function:hello",
            ),
        ];
        for (built, expected) in cases {
            let built = built.unwrap();
            assert_eq!(built.as_str(), expected);
            // A built ARN is the same value as the parsed text.
            assert_eq!(built, expected.parse::<Arn>().unwrap());
        }
    }

    #[test]
    fn account_root_agrees_with_parsing_in_every_partition() {
        let account: AccountId = "000000000000".parse().unwrap();
        for partition in [
            Partition::Aws,
            Partition::AwsCn,
            Partition::Other("aws-iso-f".to_owned()),
        ] {
            let root = Arn::account_root(&partition, account);
            assert_eq!(root, root.as_str().parse::<Arn>().unwrap());
            assert_eq!(root.resource(), "root");
            assert_eq!(root.account(), "000000000000");
        }
    }

    #[test]
    fn builders_reject_bad_names() {
        let account: AccountId = "123456789012".parse().unwrap();
        let error = Arn::iam_user(&Partition::Aws, account, "team", "dev-user").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid path `team`: must start with `/`"
        );
        let error = Arn::iam_role(&Partition::Aws, account, "/", "").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid role name ``: must be 1 to 64 characters long, found 0"
        );
        assert!(Arn::s3_bucket(&Partition::Aws, "No_Such").is_err());
        assert!(Arn::lambda_function(&Partition::Aws, "us-east-1", account, "a:b").is_err());
    }

    #[test]
    fn new_rejects_colons_in_the_first_parts() {
        let error = Arn::new(&Partition::Aws, "s3", "us:east", "", "bucket").unwrap_err();
        assert!(error.to_string().contains("region `us:east`"), "{error}");
        let arn = Arn::new(&Partition::Aws, "s3", "", "", "bucket/a:b").unwrap();
        assert_eq!(arn.resource(), "bucket/a:b");
    }
}
