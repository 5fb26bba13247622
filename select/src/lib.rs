//! The macros of [Mirage](https://docs.rs/mirage): [`select!`], [`join!`], [`try_join!`],
//! [`#[main]`](macro@main) and [`#[test]`](macro@test). Use them through the `mirage` facade
//! (`mirage::select!`, `mirage::join!`, `#[mirage::main]`, ...): their expansions name
//! `::mirage` paths.
//!
//! Each macro is a pipeline, one file a stage: `ast.rs` (the input as written, keeping the
//! `syn` nodes so errors point at them), `parse.rs`, `valid.rs` (the rules the grammar cannot
//! express) and `expand.rs`. A macro that finds a mistake reports it with
//! `compile_error!` and still expands what it can, so one mistake reads as one error.
//! `join!` and `try_join!` take a plain list of futures, so their parsing and checking fit
//! in one `parse.rs`.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

use proc_macro::TokenStream;

mod entry;
mod join;
mod select;

#[doc = include_str!("../docs/select.md")]
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    select::select(input.into()).into()
}

#[doc = include_str!("../docs/join.md")]
#[proc_macro]
pub fn join(input: TokenStream) -> TokenStream {
    join::join(join::Kind::Join, input.into()).into()
}

#[doc = include_str!("../docs/try_join.md")]
#[proc_macro]
pub fn try_join(input: TokenStream) -> TokenStream {
    join::join(join::Kind::TryJoin, input.into()).into()
}

/// The path to the mirage crate, written before the first `;` of the input, and the rest
/// of the input. The facade's `select!`, `join!` and `try_join!` are `macro_rules!` that
/// call [`select_in!`], [`join_in!`] and [`try_join_in!`] with `$crate;` first, so that
/// the expansion finds mirage however the user's crate names it (a renamed dependency, a
/// crate that re-exports mirage), as tokio's `$crate` does.
fn split_crate(input: TokenStream) -> (proc_macro2::TokenStream, proc_macro2::TokenStream) {
    let mut tokens = proc_macro2::TokenStream::from(input).into_iter();
    let krate = tokens
        .by_ref()
        .take_while(
            |token| !matches!(token, proc_macro2::TokenTree::Punct(p) if p.as_char() == ';'),
        )
        .collect();
    (krate, tokens.collect())
}

/// [`select!`] for the facade: `select_in!($crate; ...)`. Not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn select_in(input: TokenStream) -> TokenStream {
    let (krate, input) = split_crate(input);
    select::select_in(&krate, input).into()
}

/// [`join!`] for the facade: `join_in!($crate; ...)`. Not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn join_in(input: TokenStream) -> TokenStream {
    let (krate, input) = split_crate(input);
    join::join_in(join::Kind::Join, &krate, input).into()
}

/// [`try_join!`] for the facade: `try_join_in!($crate; ...)`. Not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn try_join_in(input: TokenStream) -> TokenStream {
    let (krate, input) = split_crate(input);
    join::join_in(join::Kind::TryJoin, &krate, input).into()
}

#[doc = include_str!("../docs/main.md")]
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::entry(entry::Kind::Main, args.into(), item.into()).into()
}

#[doc = include_str!("../docs/test.md")]
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::entry(entry::Kind::Test, args.into(), item.into()).into()
}
