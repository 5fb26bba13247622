//! Code generation for `select!`.
//!
//! A `select!` with branches `p_i = f_i, if c_i => h_i` becomes (names simplified):
//!
//! ```text
//! {
//!     enum Output<T0, T1> { B0(T0), B1(T1) }
//!     let mut enabled: u64 = <bits of the branches without a precondition>;
//!     if c_1 { enabled |= 1 << 1; }
//!     let mut output;
//!     {
//!         let mut select = ::mirage::__private::Select::new(2, enabled, biased);
//!         let init_0 = f_0; // a temporary that `f_0` borrows lives on
//!         let mut future_0 = pin!(into_future(init_0));
//!         let init_1 = f_1;
//!         let mut future_1 = pin!(into_future(init_1));
//!         let mut poll_branch = |i, cx| match i {
//!             0 => match future_0.as_mut().poll(cx) {
//!                 Ready(v) => if test(v, p_0') { Won(Output::B0(v)) } else { Mismatched },
//!                 Pending => Pending,
//!             },
//!             1 => ...
//!         };
//!         output = poll_fn(|cx| select.poll_select(cx, &mut poll_branch)).await;
//!     } // the futures are dropped here, before any handler runs; should a destructor
//!       // panic, `output` (assigned, not the block's value) is dropped, not leaked
//!     match output {
//!         Some(Output::B0(p_0)) => h_0,
//!         Some(Output::B1(p_1)) => h_1,
//!         None => <else handler, or a panic>,
//!     }
//! }
//! ```
//!
//! `test(v, p_i')` matches `v` in place against the pattern with its bindings neutralised,
//! without moving it (`pattern.rs`). The handlers sit outside every closure, so `return`,
//! `break`, `continue` and `?` act on the code around the `select!`. Internal names have
//! mixed-site hygiene (user code cannot see them), save the locals that hold the pinned
//! futures (see `future_local`).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Error, Ident};

use super::ast::Branch;
use super::pattern;
use super::valid::Select;

/// The expansion of a valid `select!`, preceded by `errors` (mistakes that did not prevent
/// expanding it).
pub(crate) fn expand(
    krate: &TokenStream,
    select: Option<Select>,
    errors: Vec<Error>,
) -> TokenStream {
    match select {
        Some(select) => {
            let body = expand_select(krate, &select);
            if errors.is_empty() {
                return body;
            }
            let errors = errors.iter().map(Error::to_compile_error);
            quote!({ #(#errors)* #body })
        }
        None => fallback(errors),
    }
}

/// What a `select!` that cannot be expanded becomes: its errors, the last one as the value
/// of the block, an expression of the compiler's error type, so that the code around it
/// reports nothing more.
pub(crate) fn fallback(mut errors: Vec<Error>) -> TokenStream {
    let Some(last) = errors.pop() else {
        return quote!({});
    };
    let errors = errors.iter().map(Error::to_compile_error);
    let last = last.to_compile_error();
    quote!({ #(#errors)* (#last) })
}

/// The name of the local holding branch `i`'s pinned future. It takes the future
/// expression's own span, and so does the code that converts and polls the future: "`X` is
/// not a future" is then reported at the expression, and once (the compiler merges the
/// errors of the conversion and of the poll because their spans are equal, hygiene
/// included). Declared and used with that one span, the name resolves in whatever macro
/// context the expression came from; numbered, it shadows nothing.
fn future_local(i: usize, branch: &Branch) -> Ident {
    Ident::new(&format!("__mirage_future_{i}"), branch.future.span())
}

fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn expand_select(krate: &TokenStream, select: &Select) -> TokenStream {
    let len = select.branches.len();
    if len == 0 {
        // Only an `else` (validated): every branch is disabled, trivially, so it runs; as
        // in tokio, nothing is awaited. Not wrapped in a block of its own: a handler that is
        // a block would then draw the `unused_braces` lint on the caller's code.
        let handler = &select.else_handler;
        return quote!(#handler);
    }
    let output_enum = mixed("__MirageSelectOutput");
    let enabled = mixed("__mirage_enabled");
    let output = mixed("__mirage_output");
    let state = mixed("__mirage_select");
    let cx = mixed("__mirage_cx");
    let poll_branch = mixed("__mirage_poll_branch");
    let branch = mixed("__mirage_branch");
    let value = mixed("__mirage_value");
    let matched = mixed("__mirage_matched");
    let precondition = mixed("__mirage_precondition");
    let private = quote!(#krate::__private);

    let type_params: Vec<Ident> = (0..len).map(|i| format_ident!("T{}", i)).collect();
    let variants: Vec<Ident> = (0..len).map(|i| format_ident!("B{}", i)).collect();

    let always_enabled = select
        .branches
        .iter()
        .enumerate()
        .filter(|(_, branch)| branch.precondition.is_none())
        .fold(0u64, |mask, (i, _)| mask | 1 << i);
    let preconditions: Vec<TokenStream> = select
        .branches
        .iter()
        .enumerate()
        .filter_map(|(i, branch)| {
            let condition = branch.precondition.as_ref()?;
            let bit = 1u64 << i;
            // Bound by a `let`, not written as `if #condition`: a condition that ends in a
            // struct literal (`mode == Mode { .. }`) is an expression there.
            Some(quote! {{
                let #precondition: bool = #condition;
                if #precondition { #enabled |= #bit; }
            }})
        })
        .collect();
    let enabled_mut = (!preconditions.is_empty()).then(|| quote!(mut));

    let pinned = select.branches.iter().enumerate().map(|(i, branch)| {
        let future = &branch.future;
        let local = future_local(i, branch);
        // The expression is bound on its own first, as in tokio: there a temporary it borrows
        // (`&mut std::future::ready(())`) lives as long as the binding (temporary lifetime
        // extension), where as an argument of `into_future` it would die at the `let`'s end.
        // Named and spanned as `future_local` is, so that "`X` is not a future" still
        // points at the expression, once.
        let init = Ident::new(&format!("__mirage_future_init_{i}"), future.span());
        quote_spanned! {future.span()=>
            let #init = #future;
            let mut #local = ::core::pin::pin!(::core::future::IntoFuture::into_future(#init));
        }
    });

    let poll_arms = select.branches.iter().enumerate().map(|(i, branch)| {
        let variant = &variants[i];
        let won = quote!(#private::Branch::Won(#output_enum::#variant(#value)));
        let on_ready = if pattern::is_wildcard(&branch.pat) {
            won
        } else {
            let test = pattern::test_pattern(&branch.pat);
            // Matches the output in place without moving it: see `pattern.rs`.
            quote! {
                let mut #matched = false;
                // `name @ (a | b)` leaves `(a | b)`, whose parentheses are now redundant.
                #[allow(unused_variables, unreachable_patterns, unused_parens)]
                match #value {
                    #test if { #matched = true; false } => ::core::unreachable!(),
                    _ => {}
                }
                if #matched { #won } else { #private::Branch::Mismatched }
            }
        };
        let local = future_local(i, branch);
        let poll = quote_spanned! {branch.future.span()=>
            ::core::future::Future::poll(#local.as_mut(), #cx)
        };
        quote! {
            #i => match #poll {
                ::core::task::Poll::Ready(#value) => { #on_ready }
                ::core::task::Poll::Pending => #private::Branch::Pending,
            },
        }
    });

    let handler_arms = select.branches.iter().enumerate().map(|(i, branch)| {
        let variant = &variants[i];
        let pat = &branch.pat;
        let handler = &branch.handler;
        quote!(::core::option::Option::Some(#output_enum::#variant(#pat)) => #handler,)
    });
    let else_arm = match &select.else_handler {
        Some(handler) => quote!(#handler),
        None => quote!(::core::panic!(
            "select!: all branches are disabled and there is no else branch"
        )),
    };
    let biased = select.biased;

    quote! {{
        enum #output_enum<#(#type_params),*> { #(#variants(#type_params),)* }
        let #enabled_mut #enabled: u64 = #always_enabled;
        #(#preconditions)*
        // `mut`: the handlers match on this place, and a `ref mut` binding borrows it mutably.
        // Assigned inside the block rather than taken as its value: a block's value is
        // leaked when a local's destructor panics (rust-lang/rust#47949), and a loser's may;
        // a local of this scope is dropped as the panic unwinds.
        #[allow(unused_mut)]
        let mut #output;
        {
            // Declared before the futures, so dropped after them: its wake set goes back to
            // the pool once the losers have dropped (or left behind) their wakers.
            let mut #state = #private::Select::new(#len, #enabled, #biased);
            #(#pinned)*
            // Made once: it borrows every future, and a closure made in each poll would
            // copy all those borrows on every wake-up. A future whose output is `!` (an
            // `async fn` that never returns) makes its `Ready` arm unreachable code; that
            // is no mistake of the caller's, so it is not reported.
            #[allow(unreachable_code)]
            let mut #poll_branch = #private::branch_poller(|#branch, #cx| match #branch {
                #(#poll_arms)*
                _ => ::core::unreachable!(),
            });
            #output = ::core::future::poll_fn(|#cx| #state.poll_select(#cx, &mut #poll_branch)).await;
        } // the futures are dropped here, before any handler runs
        match #output {
            #(#handler_arms)*
            ::core::option::Option::None => #else_arm,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("the winning branch's output matched its pattern"),
        }
    }}
}
