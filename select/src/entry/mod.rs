//! `#[mirage::main]` and `#[mirage::test]`: parse → validate → expand.

mod args;
mod ast;
mod expand;
mod parse;
mod valid;

use proc_macro2::TokenStream;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// How the attribute is written, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[mirage::main]",
            Kind::Test => "#[mirage::test]",
        }
    }
}

/// The whole attribute: arguments and item in, item out. Mistakes come out as
/// `compile_error!`s beside a best-effort item (see `expand.rs`).
pub(crate) fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let parsed = parse::parse(kind, args, item.clone());
    match parsed {
        Ok((entry, args_error)) => {
            let (entry, mut errors) = valid::validate(entry);
            errors.splice(0..0, args_error);
            expand::expand(entry, errors)
        }
        Err(error) => expand::unchanged(item, error),
    }
}
