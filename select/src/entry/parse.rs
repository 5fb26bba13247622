//! Parsing the attribute's arguments and the item it is on.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Error, ItemFn, Meta, Result, Token};

use super::ast::Entry;
use super::Kind;

pub(crate) fn parse(kind: Kind, args: TokenStream, item: TokenStream) -> Result<Entry> {
    let args = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let function = syn::parse2::<ItemFn>(item).map_err(|error| {
        Error::new(
            error.span(),
            format!("{} goes on an `async fn`", kind.attribute()),
        )
    })?;
    Ok(Entry {
        kind,
        args: args.into_iter().collect(),
        function,
    })
}
