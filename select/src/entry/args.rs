//! The attribute's arguments: `start_paused = <bool>`, `crate = "<path>"`, and tokio's
//! `flavor` and `worker_threads`, each at most once.
//!
//! Code ported from tokio keeps its arguments where Mirage can honour them:
//! `flavor = "current_thread"` (or `"local"`) is what a Core is anyway, so it is accepted and
//! changes nothing. A Core runs on one thread, so `flavor = "multi_thread"` and
//! `worker_threads = N` have no equivalent; they are errors that say how Mirage spreads work
//! over threads instead (a Core per thread, as the README's `reuseport` example does).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Error, Expr, ExprLit, Lit, LitStr, Meta, Path};

use super::Kind;

/// The arguments, checked; defaults for those missing or mistaken.
pub(crate) struct Args {
    pub(crate) start_paused: bool,
    /// The path the expansion names the mirage crate by: `::mirage` unless `crate = ".."`
    /// renames it.
    pub(crate) krate: TokenStream,
}

/// Checks every argument, pushing one error per mistake.
pub(crate) fn check(kind: Kind, args: &[Meta], errors: &mut Vec<Error>) -> Args {
    let mut seen: Vec<String> = Vec::new();
    let mut start_paused = None;
    let mut krate = None;
    for arg in args {
        let name = path_text(arg.path());
        // Two values would leave the reader to guess which one wins.
        if seen.contains(&name) {
            errors.push(Error::new_spanned(
                arg,
                format!("`{name}` is already given; remove this one"),
            ));
            continue;
        }
        let checked = match name.as_str() {
            "start_paused" => start_paused_value(arg).map(|value| start_paused = Some(value)),
            "crate" => crate_path(arg).map(|path| krate = Some(path)),
            "flavor" => flavor(kind, arg),
            "worker_threads" => Err(Error::new_spanned(
                arg,
                "a Mirage Core runs on one thread, so `worker_threads` has no equivalent: \
                 remove it; to use several threads, run a Core on each \
                 (see the README and its `reuseport` example)",
            )),
            _ => Err(Error::new_spanned(
                arg.path(),
                format!(
                    "unknown argument `{name}`: {} accepts `start_paused = true`, \
                     `crate = \"path\"` and `flavor = \"current_thread\"`",
                    kind.attribute()
                ),
            )),
        };
        seen.push(name);
        if let Err(error) = checked {
            errors.push(error);
        }
    }
    Args {
        start_paused: start_paused.unwrap_or(false),
        krate: krate.map_or_else(|| quote!(::mirage), |path| path.into_token_stream()),
    }
}

/// `start_paused = true` or `start_paused = false`.
fn start_paused_value(arg: &Meta) -> Result<bool, Error> {
    let message = "`start_paused` takes a boolean: write `start_paused = true`";
    match value(arg) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Bool(value),
            ..
        })) => Ok(value.value),
        Some(other) => Err(Error::new_spanned(other, message)),
        None => Err(Error::new_spanned(arg, message)),
    }
}

/// `crate = "path"`, as tokio writes it: the path as a string, parsed here.
fn crate_path(arg: &Meta) -> Result<Path, Error> {
    let string = string_value(
        arg,
        "`crate` takes the path as a string: write `crate = \"path\"`",
    )?;
    string.parse::<Path>().map_err(|_| {
        Error::new_spanned(
            string,
            "`crate` takes a path to the mirage crate, such as `crate = \"my_mirage\"`",
        )
    })
}

/// `flavor = "current_thread"` (or `"local"`): accepted, as a Core is both. Anything else is an
/// error.
fn flavor(kind: Kind, arg: &Meta) -> Result<(), Error> {
    let string = string_value(
        arg,
        "`flavor` takes a string: write `flavor = \"current_thread\"`, or leave it out",
    )?;
    match string.value().as_str() {
        "current_thread" | "local" => Ok(()),
        "multi_thread" => Err(Error::new_spanned(
            string,
            format!(
                "a Mirage Core runs on one thread, so {} has no `multi_thread` flavor: remove \
                 it; to use several threads, run a Core on each (see the README and its \
                 `reuseport` example)",
                kind.attribute()
            ),
        )),
        other => Err(Error::new_spanned(
            &string,
            format!(
                "unknown flavor `{other}`: a Mirage Core is `current_thread` (the default, \
                 so `flavor` may be left out)"
            ),
        )),
    }
}

/// The right-hand side of `name = value`, if the argument has one.
fn value(arg: &Meta) -> Option<&Expr> {
    match arg {
        Meta::NameValue(name_value) => Some(&name_value.value),
        _ => None,
    }
}

/// The string of `name = "string"`, or an error with `message`.
fn string_value(arg: &Meta, message: &str) -> Result<LitStr, Error> {
    match value(arg) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(string),
            ..
        })) => Ok(string.clone()),
        Some(other) => Err(Error::new_spanned(other, message)),
        None => Err(Error::new_spanned(arg, message)),
    }
}

/// The argument's name as written, for messages (`crate`, `start_paused`, `a::b`).
fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}
