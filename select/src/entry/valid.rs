//! What the function must be: an `async fn`, without parameters or generics unless it is a
//! `#[main]` function not named `main`. The attribute's arguments are checked in `args.rs`.

use syn::{Attribute, Error, ItemFn, Meta};

use super::Kind;
use super::args::{self, Args};
use super::ast::Entry;

/// What to expand into.
pub(crate) enum Checked {
    /// A sync function of the same name that runs the body on a new Core.
    Run {
        kind: Kind,
        args: Args,
        function: ItemFn,
    },
    /// Not an `async fn`: left as written (it compiles as it is).
    AsWritten(ItemFn),
    /// An `async fn` whose signature cannot be run (parameters, generics): a sync stub with
    /// the same name and return type, so the rest of the crate reports nothing more.
    Stub { kind: Kind, function: ItemFn },
}

pub(crate) fn validate(entry: Entry) -> (Checked, Vec<Error>) {
    let Entry {
        kind,
        args,
        mut function,
    } = entry;
    let attribute = kind.attribute();
    let mut errors = Vec::new();
    let args = args::check(kind, &args, &mut errors);
    if kind == Kind::Test
        && let Some(test) = function.attrs.iter().position(is_test_attribute)
    {
        let test = function.attrs.remove(test);
        errors.push(Error::new_spanned(
            test,
            "#[mirage::test] already makes this function a test; remove this `#[test]`",
        ));
    }
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.push(Error::new(
            sig.fn_token.span,
            format!("{attribute} goes on an `async fn`: add `async` before `fn`"),
        ));
        return (Checked::AsWritten(function), errors);
    }
    let mut runnable = true;
    // As tokio's: `#[main]` on a function other than `main` keeps its parameters and
    // generics (a helper, or a trait method taking `self`), and each call runs the body on
    // a new Core. `main` and tests are called with no arguments.
    let takes_arguments = kind == Kind::Main && sig.ident != "main";
    if let Some(constness) = sig.constness {
        // Rust refuses a `const async fn`; the expansion's plain `fn` would hide that.
        errors.push(Error::new(
            constness.span,
            format!("{attribute} cannot be used on a `const fn`: remove `const`"),
        ));
        runnable = false;
    }
    if !sig.inputs.is_empty() && !takes_arguments {
        let what = match kind {
            Kind::Main => "the `main` function takes no arguments",
            Kind::Test => "a test function takes no arguments",
        };
        errors.push(Error::new_spanned(
            &sig.inputs,
            format!("{what}: remove them ({attribute} calls it with none)"),
        ));
        runnable = false;
    }
    if (!sig.generics.params.is_empty() || sig.generics.where_clause.is_some()) && !takes_arguments
    {
        // `Generics` prints its parameters only: a function with a `where` clause and no
        // parameters gave no tokens to point at, and the error fell on the attribute.
        let (params, where_clause) = (&sig.generics, &sig.generics.where_clause);
        let what = if sig.generics.params.is_empty() {
            "a function with a `where` clause"
        } else {
            "a generic function"
        };
        errors.push(Error::new_spanned(
            quote::quote!(#params #where_clause),
            format!("{attribute} cannot be used on {what}"),
        ));
        runnable = false;
    }
    let checked = if runnable {
        Checked::Run {
            kind,
            args,
            function,
        }
    } else {
        Checked::Stub { kind, function }
    };
    (checked, errors)
}

/// `#[test]` (or a path ending in `test`, such as `#[core::prelude::v1::test]`).
fn is_test_attribute(attr: &Attribute) -> bool {
    matches!(&attr.meta, Meta::Path(path) if path.segments.last().is_some_and(|s| s.ident == "test"))
}
