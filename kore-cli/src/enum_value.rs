//! `--type` and `--product`: values of KORE's enums, open to the ones this
//! `kore` does not list yet.
//!
//! A listed value is given by its name here (`super-sim`, any case) or as
//! KORE spells it (`SuperSIM`). KORE adds values before anyone upgrades, so a
//! value this `kore` does not list can still be sent, deliberately, as
//! `unlisted:NAME` (KORE's exact spelling): a typo is an error, a new product
//! is not. A filter (`--type`) only reads, so it sends an unknown value as
//! given, with a note on stderr, and KORE's answer decides.

use std::ffi::OsStr;
use std::marker::PhantomData;

use clap::ValueEnum;
use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use kore_clients::{ClientType, Product};

/// A KORE enum of the SDK: listed values and the ones it keeps as unknown.
pub trait KoreEnum: Sized {
    /// The value KORE spells `text` (an unknown one if the SDK lists none).
    fn parse(text: &str) -> Self;
    /// Whether the SDK lists it.
    fn is_known(&self) -> bool;
    /// KORE's spelling.
    fn as_str(&self) -> &str;
}

/// Implements [`KoreEnum`] with the enums' own methods.
macro_rules! kore_enum {
    ($($name:ident),*) => {$(
        impl KoreEnum for $name {
            fn parse(text: &str) -> Self {
                $name::parse(text)
            }
            fn is_known(&self) -> bool {
                $name::is_known(self)
            }
            fn as_str(&self) -> &str {
                $name::as_str(self)
            }
        }
    )*};
}

kore_enum!(ClientType, Product);

/// The prefix that sends a value this `kore` does not list, as given.
pub const UNLISTED: &str = "unlisted:";

/// Parses a value of the KORE enum `T`, named here by the variants of `A`.
pub struct OpenValue<A, T> {
    /// Whether a value that is neither listed nor `unlisted:` is taken as
    /// given (a filter) or refused (a request that creates something).
    take_unknown: bool,
    kinds: PhantomData<fn() -> (A, T)>,
}

impl<A, T> Clone for OpenValue<A, T> {
    fn clone(&self) -> Self {
        Self {
            take_unknown: self.take_unknown,
            kinds: PhantomData,
        }
    }
}

impl<A, T> OpenValue<A, T>
where
    A: ValueEnum + Into<T>,
    T: KoreEnum,
{
    /// For a filter: an unknown value is sent as given.
    pub fn lenient() -> Self {
        Self {
            take_unknown: true,
            kinds: PhantomData,
        }
    }

    /// For a write: an unknown value needs `unlisted:`.
    pub fn strict() -> Self {
        Self {
            take_unknown: false,
            kinds: PhantomData,
        }
    }

    /// The value `text` stands for, or what to tell the user.
    pub fn parse(&self, text: &str) -> Result<T, String> {
        if let Some(name) = text.strip_prefix(UNLISTED) {
            if name.is_empty() || name.trim() != name {
                return Err(format!(
                    "{UNLISTED} needs KORE's exact name after it, without spaces (e.g. {UNLISTED}NewProduct)"
                ));
            }
            return Ok(T::parse(name));
        }
        if let Ok(listed) = A::from_str(text, true) {
            return Ok(listed.into());
        }
        let kores = T::parse(text);
        if kores.is_known() {
            return Ok(kores);
        }
        if self.take_unknown && !text.trim().is_empty() && text.trim() == text {
            return Ok(kores);
        }
        Err(format!(
            "{text:?} is not one this kore knows ({}); a value KORE added since can be sent as {UNLISTED}NAME, with KORE's exact spelling",
            names::<A>()
        ))
    }
}

impl<A, T> TypedValueParser for OpenValue<A, T>
where
    A: ValueEnum + Into<T> + Send + Sync + 'static,
    T: KoreEnum + Clone + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let name = arg.map_or_else(
            || "the value".to_owned(),
            |a| format!("--{}", a.get_long().unwrap_or("value")),
        );
        let text = value.to_str().ok_or_else(|| {
            cmd.clone()
                .error(ErrorKind::InvalidUtf8, format!("{name} is not UTF-8"))
        })?;
        self.parse(text).map_err(|message| {
            cmd.clone()
                .error(ErrorKind::InvalidValue, format!("{name}: {message}"))
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            A::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// A note for stderr when a filter value is one this `kore` does not list.
pub fn unknown_note<T: KoreEnum>(flag: &str, value: &T, known: &str) -> Option<String> {
    (!value.is_known()).then(|| {
        format!(
            "note: {flag} {:?} is not one this kore knows ({known}); sending it to KORE as given",
            value.as_str()
        )
    })
}

/// The names `A` lists, comma-separated (for notes).
pub fn names<A: ValueEnum>() -> String {
    A::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{ClientTypeArg, ProductArg};

    #[test]
    fn listed_values_by_their_name_here_or_kore_s_spelling() {
        let products = OpenValue::<ProductArg, Product>::strict();
        for text in ["super-sim", "SUPER-SIM", "SuperSIM"] {
            assert_eq!(products.parse(text), Ok(Product::SuperSim), "{text}");
        }
        assert_eq!(
            products.parse("unlisted:ProgrammableWireless"),
            Ok(Product::ProgrammableWireless),
            "unlisted: of a listed value is that value"
        );
    }

    #[test]
    fn an_unknown_product_needs_unlisted() {
        let products = OpenValue::<ProductArg, Product>::strict();
        let error = products.parse("super-sm").unwrap_err();
        assert!(
            error.contains(
                "\"super-sm\" is not one this kore knows (super-sim, programmable-wireless)"
            ),
            "{error}"
        );
        assert!(error.contains("unlisted:NAME"), "{error}");
        assert_eq!(
            products.parse("unlisted:IoTConnect"),
            Ok(Product::parse("IoTConnect"))
        );
        for bad in ["unlisted:", "unlisted: X", "unlisted:X "] {
            assert!(products.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_filter_takes_an_unknown_value_as_given_with_a_note() {
        let types = OpenValue::<ClientTypeArg, ClientType>::lenient();
        let service = types.parse("service").unwrap();
        assert!(!service.is_known());
        assert_eq!(service.as_str(), "service");
        assert_eq!(
            unknown_note("--type", &service, &names::<ClientTypeArg>()).unwrap(),
            "note: --type \"service\" is not one this kore knows (admin, standard); sending it to KORE as given"
        );
        let admin = types.parse("admin").unwrap();
        assert_eq!(admin, ClientType::Admin);
        assert_eq!(unknown_note("--type", &admin, "admin, standard"), None);
        assert!(types.parse("").is_err());
        assert!(types.parse(" admin").is_err());
    }
}
