//! Parsing the attribute's arguments and the item it is on.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Error, ItemFn, Meta, Result, Token};

use super::Kind;
use super::ast::Entry;

/// The entry, and the error of arguments that do not parse: the function is then expanded
/// as if it had none, since left as written an `async fn main` would add a second error
/// (`main` may not be `async`) to the one mistake.
pub(crate) fn parse(
    kind: Kind,
    args: TokenStream,
    item: TokenStream,
) -> Result<(Entry, Option<Error>)> {
    let (args, args_error) = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(args) => (args.into_iter().collect(), None),
        Err(error) => (Vec::new(), Some(error)),
    };
    let function = syn::parse2::<ItemFn>(item).map_err(|error| {
        args_error.clone().unwrap_or_else(|| {
            Error::new(
                error.span(),
                format!("{} goes on an `async fn`", kind.attribute()),
            )
        })
    })?;
    Ok((
        Entry {
            kind,
            args,
            function,
        },
        args_error,
    ))
}
