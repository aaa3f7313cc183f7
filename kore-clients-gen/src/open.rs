//! Enum values KORE may send before this crate knows them: [`Open`].
//!
//! KORE changes its API before its users regenerate (its published spec gave an
//! answer field a new enum one day after adding the field). The generator
//! therefore emits every use of a spec enum `E` as `Open<E>`: a value this
//! crate lists decodes as [`Open::Known`], any other string as
//! [`Open::Unknown`], which keeps the text exactly and serializes it back
//! unchanged. The enum `E` itself stays closed, so code that builds a request
//! from `E` can only send values the spec lists; [`Open::parse`] is the one
//! deliberate way to send a value this crate does not list yet.
//!
//! A value of another JSON type (a number where the spec says string) is
//! still a decoding error: only new *values* are absorbed, not new *types*.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// A value of the KORE enum `T`: one this crate lists, or one it does not
/// know (yet), kept as KORE spelled it.
///
/// ```
/// use kore_clients_gen::Open;
/// use kore_clients_gen::types::ClientType;
///
/// let known: Open<ClientType> = serde_json::from_str(r#""admin""#).unwrap();
/// assert_eq!(known, Open::Known(ClientType::Admin));
///
/// // A value KORE added after this crate was generated: kept, not an error.
/// let added: Open<ClientType> = serde_json::from_str(r#""service""#).unwrap();
/// assert_eq!(added.unknown(), Some("service"));
/// assert_eq!(added.to_string(), "service");
/// assert_eq!(serde_json::to_string(&added).unwrap(), r#""service""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Open<T> {
    /// A value the spec this crate was generated from lists.
    Known(T),
    /// A value the spec does not list: KORE added it, or this crate is older
    /// than KORE's API. Made only by decoding or by [`Open::parse`].
    Unknown(UnknownValue),
}

/// The text of an enum value this crate does not list, exactly as KORE sent
/// it (or as given to [`Open::parse`]). It never equals a listed value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(String);

impl UnknownValue {
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

impl<T: FromStr> Open<T> {
    /// The value KORE spells `text`: [`Open::Known`] when this crate lists it,
    /// else [`Open::Unknown`].
    ///
    /// This is the one way to *send* a value this crate does not know yet —
    /// e.g. a product KORE added before you regenerated. Nothing checks it
    /// before KORE does, so prefer the listed variants wherever they exist.
    ///
    /// ```
    /// use kore_clients_gen::Open;
    /// use kore_clients_gen::types::Product;
    ///
    /// assert_eq!(Open::<Product>::parse("SuperSIM"), Open::Known(Product::SuperSim));
    /// assert!(!Open::<Product>::parse("IoTConnect").is_known());
    /// ```
    pub fn parse(text: &str) -> Self {
        Self::from_text(Cow::Borrowed(text))
    }

    fn from_text(text: Cow<'_, str>) -> Self {
        match T::from_str(&text) {
            Ok(known) => Open::Known(known),
            Err(_) => Open::Unknown(UnknownValue(text.into_owned())),
        }
    }
}

impl<T> Open<T> {
    /// The listed value, if this is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Open::Known(value) => Some(value),
            Open::Unknown(_) => None,
        }
    }

    /// The listed value, if this is one, by value.
    pub fn into_known(self) -> Option<T> {
        match self {
            Open::Known(value) => Some(value),
            Open::Unknown(_) => None,
        }
    }

    /// The text of a value this crate does not list, if this is one.
    pub fn unknown(&self) -> Option<&str> {
        match self {
            Open::Known(_) => None,
            Open::Unknown(value) => Some(value.as_str()),
        }
    }

    /// Whether this crate lists the value.
    pub fn is_known(&self) -> bool {
        matches!(self, Open::Known(_))
    }
}

impl<T> From<T> for Open<T> {
    fn from(value: T) -> Self {
        Open::Known(value)
    }
}

impl<T: PartialEq> PartialEq<T> for Open<T> {
    fn eq(&self, other: &T) -> bool {
        self.known() == Some(other)
    }
}

impl<T: fmt::Display> fmt::Display for Open<T> {
    /// As KORE spells it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Open::Known(value) => value.fmt(f),
            Open::Unknown(value) => value.fmt(f),
        }
    }
}

impl<T: Serialize> Serialize for Open<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Open::Known(value) => value.serialize(serializer),
            Open::Unknown(value) => serializer.serialize_str(value.as_str()),
        }
    }
}

impl<'de, T: FromStr> Deserialize<'de> for Open<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor rather than `String::deserialize`: a listed value read
        // from borrowed input is matched in place, without an allocation.
        struct Text<T>(PhantomData<T>);

        impl<T: FromStr> Visitor<'_> for Text<T> {
            type Value = Open<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string (a value of a KORE enum)")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Open<T>, E> {
                Ok(Open::from_text(Cow::Borrowed(text)))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Open<T>, E> {
                Ok(Open::from_text(Cow::Owned(text)))
            }
        }

        deserializer.deserialize_str(Text(PhantomData))
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Open<T> {
    fn schema_name() -> String {
        format!("Open_{}", T::schema_name())
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, Schema, SchemaObject, SubschemaValidation};
        let any_string = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            ..Default::default()
        };
        Schema::Object(SchemaObject {
            subschemas: Some(Box::new(SubschemaValidation {
                any_of: Some(vec![generator.subschema_for::<T>(), any_string.into()]),
                ..Default::default()
            })),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ClientType, Product};

    #[test]
    fn a_listed_value_decodes_as_known_and_round_trips() {
        let value: Open<Product> = serde_json::from_str(r#""ProgrammableWireless""#).unwrap();
        assert_eq!(value, Open::Known(Product::ProgrammableWireless));
        assert_eq!(value, Product::ProgrammableWireless);
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#""ProgrammableWireless""#
        );
        assert_eq!(value.to_string(), "ProgrammableWireless");
    }

    #[test]
    fn an_unlisted_value_keeps_its_exact_text() {
        for text in ["service", "Admin", " admin", "", "ünïcode"] {
            let json = serde_json::to_string(text).unwrap();
            let value: Open<ClientType> = serde_json::from_str(&json).unwrap();
            assert_eq!(value.unknown(), Some(text), "{json}");
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
            assert_eq!(value.to_string(), text);
            assert!(!value.is_known());
        }
    }

    #[test]
    fn an_escaped_string_is_decoded_before_matching() {
        // serde_json hands escaped text over as an owned String.
        let value: Open<ClientType> = serde_json::from_str(r#""\u0061dmin""#).unwrap();
        assert_eq!(value, Open::Known(ClientType::Admin));
    }

    #[test]
    fn another_json_type_is_still_an_error() {
        let error = serde_json::from_str::<Open<ClientType>>("3").unwrap_err();
        assert!(
            error.to_string().contains("a value of a KORE enum"),
            "{error}"
        );
        assert!(serde_json::from_str::<Open<ClientType>>("null").is_err());
    }

    #[test]
    fn parse_is_known_for_listed_values_only() {
        assert_eq!(Open::<ClientType>::parse("standard"), ClientType::Standard);
        let unknown = Open::<ClientType>::parse("service");
        assert_eq!(unknown.unknown(), Some("service"));
        assert_eq!(unknown.known(), None);
        assert_eq!(
            Open::from(ClientType::Admin).known(),
            Some(&ClientType::Admin)
        );
    }
}
