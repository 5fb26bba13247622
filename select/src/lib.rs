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
