//! Enum values KORE may send before this SDK lists them: [`UnknownValue`],
//! and the traits every generated enum ([`ClientType`](crate::ClientType),
//! [`Product`](crate::Product)) shares.
//!
//! KORE changes its API before its users upgrade (its published spec gave an
//! answer field a new enum one day after adding the field), so each enum has
//! an `Unknown` variant that keeps KORE's text exactly and serializes it back
//! unchanged. A value of another JSON type (a number where the spec says
//! string) is still a decoding error: only new *values* are absorbed.

use std::fmt;

/// The text of an enum value this SDK does not list, exactly as KORE sent it
/// (or as given to `parse`). Only this crate makes one, so an `Unknown`
/// never holds a listed value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownValue(String);

impl UnknownValue {
    pub(crate) fn new(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The value's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value's text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for UnknownValue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Display` (KORE's spelling), `FromStr` (never fails: an unlisted value
/// is `Unknown`), `AsRef<str>` and serde for a generated enum with
/// `as_str()` and `parse()`.
macro_rules! open_enum_traits {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            /// As KORE spells it.
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::parse(text))
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // A visitor rather than `String::deserialize`: a listed value
                // read from borrowed input is matched without an allocation.
                struct Text;

                impl ::serde::de::Visitor<'_> for Text {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string (a value of a KORE enum)")
                    }

                    fn visit_str<E: ::serde::de::Error>(
                        self,
                        text: &str,
                    ) -> ::std::result::Result<$name, E> {
                        Ok($name::parse(text))
                    }
                }

                deserializer.deserialize_str(Text)
            }
        }
    };
}

pub(crate) use open_enum_traits;

#[cfg(test)]
mod tests {
    use crate::{ClientType, Product};

    #[test]
    fn a_listed_value_decodes_as_its_variant_and_round_trips() {
        let value: Product = serde_json::from_str(r#""ProgrammableWireless""#).unwrap();
        assert_eq!(value, Product::ProgrammableWireless);
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#""ProgrammableWireless""#
        );
        assert_eq!(value.to_string(), "ProgrammableWireless");
        assert!(value.is_known());
    }

    #[test]
    fn an_unlisted_value_keeps_its_exact_text() {
        for text in ["service", "Admin", " admin", "", "ünïcode"] {
            let json = serde_json::to_string(text).unwrap();
            let value: ClientType = serde_json::from_str(&json).unwrap();
            assert!(
                matches!(&value, ClientType::Unknown(v) if v.as_str() == text),
                "{json}"
            );
            assert_eq!(value.as_str(), text);
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
            assert_eq!(value.to_string(), text);
            assert!(!value.is_known());
        }
    }

    #[test]
    fn an_escaped_string_is_decoded_before_matching() {
        let value: ClientType = serde_json::from_str(r#""\u0061dmin""#).unwrap();
        assert_eq!(value, ClientType::Admin);
    }

    #[test]
    fn another_json_type_is_still_an_error() {
        let error = serde_json::from_str::<ClientType>("3").unwrap_err();
        assert!(
            error.to_string().contains("a value of a KORE enum"),
            "{error}"
        );
        assert!(serde_json::from_str::<ClientType>("null").is_err());
    }

    #[test]
    fn parse_and_from_str_agree_and_never_fail() {
        assert_eq!("standard".parse::<ClientType>(), Ok(ClientType::Standard));
        assert_eq!(ClientType::parse("service").as_str(), "service");
        assert_eq!(ClientType::VALUES, ["admin", "standard"]);
        for value in ClientType::VALUES {
            assert!(ClientType::parse(value).is_known(), "{value}");
        }
    }

    #[test]
    fn conversions_to_and_from_the_generated_enum_keep_every_value() {
        for text in ["admin", "standard", "service"] {
            let ours = ClientType::parse(text);
            let generated = ours.to_generated();
            assert_eq!(generated.to_string(), text);
            assert_eq!(ClientType::from_generated(&generated), ours);
        }
    }
}
