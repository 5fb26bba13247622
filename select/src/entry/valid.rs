//! What the function and the arguments must be: an `async fn` without parameters or
//! generics, and only `start_paused = <bool>`, at most once.

use syn::{Attribute, Error, Expr, ExprLit, ItemFn, Lit, Meta};

use super::ast::Entry;
use super::Kind;

/// What to expand into.
pub(crate) enum Checked {
    /// A sync function of the same name that runs the body on a new Core.
    Run {
        kind: Kind,
        start_paused: bool,
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
    let mut start_paused = None;
    for arg in &args {
        match start_paused_value(arg) {
            // Two values would leave the reader to guess which one wins.
            Some(_) if start_paused.is_some() => errors.push(Error::new_spanned(
                arg,
                "`start_paused` is already given; remove this one",
            )),
            Some(Ok(value)) => start_paused = Some(value),
            Some(Err(error)) => {
                start_paused = Some(false);
                errors.push(error);
            }
            None => errors.push(Error::new_spanned(
                arg.path(),
                format!(
                    "unknown argument `{}`: {attribute} accepts only `start_paused = true`",
                    quote::ToTokens::to_token_stream(arg.path())
                        .to_string()
                        .replace(' ', "")
                ),
            )),
        }
    }
    if kind == Kind::Test {
        if let Some(test) = function.attrs.iter().position(is_test_attribute) {
            let test = function.attrs.remove(test);
            errors.push(Error::new_spanned(
                test,
                "#[mirage::test] already makes this function a test; remove this `#[test]`",
            ));
        }
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
    if !sig.inputs.is_empty() {
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
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(Error::new_spanned(
            &sig.generics,
            format!("{attribute} cannot be used on a generic function"),
        ));
        runnable = false;
    }
    let checked = if runnable {
        Checked::Run {
            kind,
            start_paused: start_paused.unwrap_or(false),
            function,
        }
    } else {
        Checked::Stub { kind, function }
    };
    (checked, errors)
}

/// `Some(value)` for a `start_paused` argument (an error if it is not `= true`/`= false`),
/// `None` for any other argument.
fn start_paused_value(arg: &Meta) -> Option<Result<bool, Error>> {
    if !arg.path().is_ident("start_paused") {
        return None;
    }
    let bad = |spanned: &dyn quote::ToTokens| {
        Err(Error::new_spanned(
            spanned,
            "`start_paused` takes a boolean: write `start_paused = true`",
        ))
    };
    Some(match arg {
        Meta::NameValue(name_value) => match &name_value.value {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(value),
                ..
            }) => Ok(value.value),
            other => bad(other),
        },
        other => bad(other),
    })
}

/// `#[test]` (or a path ending in `test`, such as `#[core::prelude::v1::test]`).
fn is_test_attribute(attr: &Attribute) -> bool {
    matches!(&attr.meta, Meta::Path(path) if path.segments.last().is_some_and(|s| s.ident == "test"))
}
