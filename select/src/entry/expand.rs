//! Code generation for `#[mirage::main]` and `#[mirage::test]`.
//!
//! ```text
//! #[mirage::test(start_paused = true)]         #[::core::prelude::v1::test]
//! async fn name() -> R { body }          =>    fn name() -> R {
//!                                                  let mut core = ::mirage::Core::new()
//!                                                      .expect("failed to create the mirage Core");
//!                                                  core.run(async { ::mirage::time::pause() });
//!                                                  let body = ::mirage::__private::entry_body::<R>(
//!                                                      async move { body },
//!                                                  );
//!                                                  core.run(body)
//!                                              }
//! ```
//!
//! `entry_body::<R>` gives the async block its type up front, so `?` in the body knows the
//! error type to convert to. The block as written is the async block's body, with nothing
//! around it: wrapped in another block or assigned to a `let`, it would make the compiler
//! warn about the user's code (unnecessary braces around a one-line body, or unreachable
//! code after a body that ends in `panic!()`), as tokio's issues #3403 and #4175 did.
//! A type with `impl Trait` anywhere in it cannot be named there (`Result<(), impl Debug>`,
//! or an `impl Trait` passed through a `macro_rules!` as `$t:ty`), nor can `!` on stable:
//! those bodies get their type from the function's return type, through `run`.
//!
//! `::mirage` is the crate's path unless `crate = "path"` names another (a renamed
//! dependency, or a crate that re-exports mirage).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::visit_mut::{self, VisitMut};
use syn::{AttrStyle, Attribute, Error, Ident, ItemFn, ReturnType, Type};

use super::Kind;
use super::args::Args;
use super::valid::Checked;

pub(crate) fn expand(checked: Checked, errors: Vec<Error>) -> TokenStream {
    let errors = errors.iter().map(Error::to_compile_error);
    let item = match checked {
        Checked::Run {
            kind,
            args,
            function,
        } => run(kind, &args, &function),
        Checked::AsWritten(function) => function.into_token_stream(),
        Checked::Stub { kind, function } => stub(kind, &function),
    };
    quote!(#(#errors)* #item)
}

/// The item as it was written, after an error that leaves nothing to expand.
pub(crate) fn unchanged(item: TokenStream, error: Error) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#error #item)
}

fn test_attribute(kind: Kind) -> Option<TokenStream> {
    (kind == Kind::Test).then(|| quote!(#[::core::prelude::v1::test]))
}

/// The function's outer attributes, and the inner ones (`#![allow(..)]` at the top of its
/// body, which syn keeps beside the outer ones). The inner ones go at the top of the
/// generated function's body, where they annotate that function as they did the original;
/// written before it, they would be an error.
fn split_attrs(attrs: &[Attribute]) -> (Vec<&Attribute>, Vec<&Attribute>) {
    attrs
        .iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Outer))
}

fn run(kind: Kind, args: &Args, function: &ItemFn) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = function;
    let (attrs, inner_attrs) = split_attrs(attrs);
    let output = &sig.output;
    let block = &function.block;
    // The signature as written but for `async`: `unsafe` and the ABI are kept, as tokio
    // keeps them (dropped, an `unsafe fn` became safe to call), and so are the parameters
    // and generics of a `#[main]` helper (`valid.rs` allows them only there); the body
    // takes the parameters by move.
    let mut sig = sig.clone();
    sig.asyncness = None;
    let test = test_attribute(kind);
    let core_var = Ident::new("__mirage_core", Span::mixed_site());
    let body_var = Ident::new("__mirage_body", Span::mixed_site());
    // Paused by a run of its own, so that the body stays the block as written.
    let krate = &args.krate;
    let pause = args
        .start_paused
        .then(|| quote!(#core_var.run(async { #krate::time::pause() });));
    let body = match output {
        ReturnType::Type(_, ty) if nameable(ty) => quote! {
            #krate::__private::entry_body::<#ty>(async move #block)
        },
        _ => quote!(async move #block),
    };
    quote! {
        #test
        #(#attrs)*
        #vis #sig {
            #(#inner_attrs)*
            let mut #core_var = #krate::Core::new().expect("failed to create the mirage Core");
            #pause
            let #body_var = #body;
            #core_var.run(#body_var)
        }
    }
}

/// Whether `ty` may be written as `entry_body`'s type argument: it holds no `impl Trait`
/// (allowed in a return type, not in a path: `Result<(), impl Debug>`, or an `impl Trait`
/// passed through a `macro_rules!` as `$t:ty`, which arrives in a `Type::Group`) and no `!`
/// (unstable there).
fn nameable(ty: &Type) -> bool {
    struct Find(bool);
    impl VisitMut for Find {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            match ty {
                Type::ImplTrait(_) | Type::Never(_) => self.0 = true,
                _ => visit_mut::visit_type_mut(self, ty),
            }
        }
    }
    let mut find = Find(false);
    find.visit_type_mut(&mut ty.clone());
    !find.0
}

fn stub(kind: Kind, function: &ItemFn) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = function;
    let (attrs, inner_attrs) = split_attrs(attrs);
    let name = &sig.ident;
    let output = &sig.output;
    let (unsafety, abi) = (&sig.unsafety, &sig.abi);
    let test = test_attribute(kind);
    quote! {
        #test
        #(#attrs)*
        #vis #unsafety #abi fn #name() #output {
            #(#inner_attrs)*
            ::core::unimplemented!()
        }
    }
}
