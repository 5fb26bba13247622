//! Code generation for `join!` and `try_join!`.
//!
//! `join!(f_0, f_1)` becomes (names simplified) a `select!` whose branches never win:
//!
//! ```text
//! {
//!     let mut output_0 = None;
//!     let mut output_1 = None;
//!     {
//!         let mut select = ::mirage::__private::Select::new(2, 0b11, biased);
//!         let mut future_0 = pin!(Some(into_future(f_0)));
//!         let mut future_1 = pin!(Some(into_future(f_1)));
//!         let mut poll_branch = |i, cx| match i {
//!             // A finished future is dropped at once, and disabled: never polled again.
//!             0 => match future_0.as_mut().as_pin_mut().unwrap().poll(cx) {
//!                 Ready(v) => { future_0.set(None); output_0 = Some(v); Mismatched }
//!                 Pending => Pending,
//!             },
//!             1 => ...
//!         };
//!         // Ready(None) once every branch is disabled: all finished.
//!         poll_fn(|cx| select.poll(cx, &mut poll_branch)).await
//!     };
//!     match (output_0, output_1) { (Some(v_0), Some(v_1)) => (v_0, v_1), _ => unreachable!() }
//! }
//! ```
//!
//! In `try_join!`, `Ready(Ok(v))` stores `v` and `Ready(Err(e))` wins with `e`: what the
//! state machine gives is kept (`let error; { ..; error = poll_fn(..).await; }`, assigned
//! rather than the block's value, which a panicking destructor would leak), the other
//! futures are dropped at once and the macro gives `Err(e)`. So a wake-up polls only the
//! futures whose waker fired, as in `select!`, and nothing is boxed.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use super::Kind;

fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The local holding future `i`, named with the expression's own span: "`X` is not a
/// future" is then reported at the expression (see `select`'s `future_local`).
fn future_local(i: usize, future: &Expr) -> Ident {
    Ident::new(&format!("__mirage_future_{i}"), future.span())
}

pub(super) fn expand(
    kind: Kind,
    krate: &TokenStream,
    biased: bool,
    futures: &[Expr],
) -> TokenStream {
    if futures.is_empty() {
        return match kind {
            Kind::Join => quote!(()),
            Kind::TryJoin => quote!(::core::result::Result::Ok(())),
        };
    }
    let len = futures.len();
    let state = mixed("__mirage_join");
    let cx = mixed("__mirage_cx");
    let branch = mixed("__mirage_branch");
    let poll_branch = mixed("__mirage_poll_branch");
    let value = mixed("__mirage_value");
    let error = mixed("__mirage_error");
    let private = quote!(#krate::__private);
    let outputs: Vec<Ident> = (0..len)
        .map(|i| mixed(&format!("__mirage_output_{i}")))
        .collect();
    let values: Vec<Ident> = (0..len)
        .map(|i| mixed(&format!("__mirage_value_{i}")))
        .collect();
    let all = if len == 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    };

    let pinned = futures.iter().enumerate().map(|(i, future)| {
        let local = future_local(i, future);
        // In an `Option`, so that a finished future is dropped at once (in place), not
        // when the whole join ends: it may hold what another joined future waits for.
        quote_spanned! {future.span()=>
            let mut #local = ::core::pin::pin!(::core::option::Option::Some(
                ::core::future::IntoFuture::into_future(#future)
            ));
        }
    });
    let poll_arms = futures.iter().enumerate().map(|(i, future)| {
        let local = future_local(i, future);
        // Spanned as the poll is: a mixed-site argument would report "`X` is not a future"
        // a second time, at the whole macro.
        let pinned_future = Ident::new("__mirage_pinned", future.span());
        let output = &outputs[i];
        // Only the poll itself takes the expression's span. The unwrapping of the `Option`
        // keeps the macro's: written with the user's span, its `expect` was the user's own
        // call to Clippy, which then asked every `pub fn` using `join!` for a `# Panics`
        // section (`clippy::missing_panics_doc`), and `clippy::expect_used` flagged it.
        let poll = quote_spanned! {future.span()=>
            ::core::future::Future::poll(#pinned_future, #cx)
        };
        let finished = quote! {
            #local.set(::core::option::Option::None);
            #output = ::core::option::Option::Some(#value);
            #private::Branch::Mismatched
        };
        let ready = match kind {
            Kind::Join => quote! {
                ::core::task::Poll::Ready(#value) => { #finished }
            },
            Kind::TryJoin => quote! {
                ::core::task::Poll::Ready(::core::result::Result::Ok(#value)) => { #finished }
                ::core::task::Poll::Ready(::core::result::Result::Err(#value)) => {
                    #private::Branch::Won(#value)
                }
            },
        };
        // A finished future's branch is disabled, so it is never polled again: the
        // `Option` is `Some` at every poll.
        quote! {
            #i => match #local.as_mut().as_pin_mut() {
                ::core::option::Option::Some(#pinned_future) => match #poll {
                    #ready
                    ::core::task::Poll::Pending => #private::Branch::Pending,
                },
                ::core::option::Option::None => {
                    ::core::unreachable!("a finished future is never polled")
                }
            },
        }
    });
    // `join!` never wins a branch; its `Won` type is `()`.
    let branch_type = match kind {
        Kind::Join => quote!(::<(), _>),
        Kind::TryJoin => quote!(),
    };
    let finished = quote! {
        match (#(#outputs,)*) {
            (#(::core::option::Option::Some(#values),)*) => (#(#values,)*),
            _ => ::core::unreachable!("every joined future finished"),
        }
    };
    let result = match kind {
        Kind::Join => finished,
        Kind::TryJoin => quote! {
            match #error {
                ::core::option::Option::Some(#error) => ::core::result::Result::Err(#error),
                ::core::option::Option::None => ::core::result::Result::Ok(#finished),
            }
        },
    };
    // `join!` never wins a branch, so only `try_join!` keeps what the state machine gives.
    // Assigned inside the block rather than taken as its value: a block's value is leaked
    // when a local's destructor panics (rust-lang/rust#47949); a local of the outer scope
    // is dropped as the panic unwinds.
    let (declare_error, keep_error) = match kind {
        Kind::Join => (quote!(), quote!()),
        Kind::TryJoin => (quote!(let #error;), quote!(#error =)),
    };
    quote! {{
        #(let mut #outputs = ::core::option::Option::None;)*
        #declare_error
        {
            // Declared before the futures, so dropped after them (see `select!`).
            let mut #state = #private::Select::new(#len, #all, #biased);
            #(#pinned)*
            let mut #poll_branch = #private::branch_poller #branch_type (|#branch, #cx| {
                match #branch {
                    #(#poll_arms)*
                    _ => ::core::unreachable!(),
                }
            });
            #keep_error ::core::future::poll_fn(|#cx| #state.poll(#cx, &mut #poll_branch)).await;
        }
        #result
    }}
}
