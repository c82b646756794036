//! `Serialize`/`Deserialize` (feature `serde`): each type as its text, checked on the way in.

use std::{fmt, marker::PhantomData, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::{AccountId, Arn, Partition};

/// Reads a string and parses it with `FromStr`.
struct Text<T>(PhantomData<T>, &'static str);

impl<T> de::Visitor<'_> for Text<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

macro_rules! as_text {
    ($ty:ty, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(Text(PhantomData, $expecting))
            }
        }
    };
}

as_text!(AccountId, "a 12-digit account id");
as_text!(Partition, "a partition such as `aws`");
as_text!(Arn, "an ARN");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_and_out() {
        let arn: Arn = serde_json::from_str(r#""arn:aws:s3:::b/k""#).unwrap();
        assert_eq!(arn.resource(), "b/k");
        assert_eq!(
            serde_json::to_string(&arn).unwrap(),
            r#""arn:aws:s3:::b/k""#
        );
        let id: AccountId = serde_json::from_str(r#""123456789012""#).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""123456789012""#);
        let partition: Partition = serde_json::from_str(r#""aws-cn""#).unwrap();
        assert_eq!(partition, Partition::AwsCn);
        let error = serde_json::from_str::<AccountId>(r#""1234""#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid account id `1234`: expected 12 digits at line 1 column 6"
        );
        let error = serde_json::from_str::<Arn>("12").unwrap_err();
        assert!(error.to_string().contains("expected an ARN"), "{error}");
    }
}
