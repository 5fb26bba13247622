//! Parsing `select!` input into [`ast`](super::ast) nodes, with errors that say which part of
//! `pattern = future, if precondition => handler` is missing.

use syn::parse::{Parse, ParseStream};
use syn::token::Brace;
use syn::{Error, Expr, ExprBlock, Ident, Pat, Result, Token};

use super::ast::{Branch, Else, Entry, Input};

/// How every branch is written, quoted in error messages.
const BRANCH_SHAPE: &str = "a branch is written `pattern = future => handler`";

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> Result<Input> {
        let mut entries = Vec::new();
        while !input.is_empty() {
            let entry = if is_biased(input) {
                let ident = input.parse()?;
                input.parse::<Token![;]>()?;
                Entry::Biased(ident)
            } else if input.peek(Token![else]) {
                Entry::Else(input.parse()?)
            } else {
                Entry::Branch(Box::new(input.parse()?))
            };
            entries.push(entry);
        }
        Ok(Input { entries })
    }
}

/// `biased;` (as opposed to a branch whose pattern is an identifier).
fn is_biased(input: ParseStream<'_>) -> bool {
    input.peek(Ident)
        && input.peek2(Token![;])
        && input
            .fork()
            .parse::<Ident>()
            .is_ok_and(|ident| ident == "biased")
}

impl Parse for Branch {
    fn parse(input: ParseStream<'_>) -> Result<Branch> {
        let start = input.fork();
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        // `peek(Token![=])` also matches the first character of `=>`.
        if !input.peek(Token![=]) || input.peek(Token![=>]) || input.peek(Token![==]) {
            return Err(missing_eq(&start, input));
        }
        input.parse::<Token![=]>()?;
        let future = parse_expr_before(input, Before::ArrowOrIf)?;
        let precondition = if input.peek(Token![,]) && input.peek2(Token![if]) {
            input.parse::<Token![,]>()?;
            input.parse::<Token![if]>()?;
            Some(parse_expr_before(input, Before::Arrow)?)
        } else {
            None
        };
        let last = precondition.as_ref().unwrap_or(&future);
        expect_arrow(input, last, "the future")?;
        let handler = parse_handler(input)?;
        Ok(Branch {
            pat,
            future,
            precondition,
            handler,
        })
    }
}

impl Parse for Else {
    fn parse(input: ParseStream<'_>) -> Result<Else> {
        let else_token = input.parse()?;
        if !input.peek(Token![=>]) {
            return Err(input.error("expected `=>` after `else`: it is written `else => handler`"));
        }
        input.parse::<Token![=>]>()?;
        let handler = parse_handler(input)?;
        Ok(Else {
            else_token,
            handler,
        })
    }
}

/// The error for a branch whose pattern is not followed by `=`. When the branch reads as
/// `future => handler`, the pattern is what is missing.
fn missing_eq(start: ParseStream<'_>, input: ParseStream<'_>) -> Error {
    let fork = start.fork();
    if let Ok(future) = fork.call(Expr::parse_without_eager_brace)
        && (fork.peek(Token![=>]) || (fork.peek(Token![,]) && fork.peek2(Token![if])))
    {
        return Error::new_spanned(
            future,
            "this branch has no pattern: write `_ = future => handler` to ignore the \
             output, or `pattern = future => handler` to use it",
        );
    }
    if input.is_empty() {
        return input.error(format!(
            "this branch ends after its pattern; {BRANCH_SHAPE}"
        ));
    }
    input.error(format!(
        "expected `=` between the pattern and the future; {BRANCH_SHAPE}"
    ))
}

/// What may follow an expression inside a branch.
#[derive(Clone, Copy)]
enum Before {
    /// `=>`, or `, if` (after the future).
    ArrowOrIf,
    /// `=>` only (after a precondition).
    Arrow,
}

/// Parses the future or the precondition. `fut { ... }` most likely lacks a `=>` before the
/// handler block, so an expression is read without struct literals first, and with them
/// only if that reading is what is followed by `=>`.
fn parse_expr_before(input: ParseStream<'_>, before: Before) -> Result<Expr> {
    let ends_here = |fork: ParseStream<'_>| {
        fork.peek(Token![=>])
            || matches!(before, Before::ArrowOrIf) && fork.peek(Token![,]) && fork.peek2(Token![if])
    };
    let fork = input.fork();
    if fork.call(Expr::parse_without_eager_brace).is_ok() && ends_here(&fork) {
        return input.call(Expr::parse_without_eager_brace);
    }
    let fork = input.fork();
    if fork.parse::<Expr>().is_ok() && ends_here(&fork) {
        return input.parse();
    }
    // Neither reading ends at `=>`: take the shorter, so that `expect_arrow` points at the
    // token where `=>` was expected.
    input.call(Expr::parse_without_eager_brace)
}

fn expect_arrow(input: ParseStream<'_>, last: &Expr, what: &str) -> Result<()> {
    if input.peek(Token![=>]) {
        input.parse::<Token![=>]>()?;
        return Ok(());
    }
    if input.is_empty() {
        return Err(Error::new_spanned(
            last,
            format!("this branch has no handler: expected `=> handler` after it; {BRANCH_SHAPE}"),
        ));
    }
    Err(input.error(format!(
        "expected `=>` between {what} and the handler; {BRANCH_SHAPE}"
    )))
}

/// A handler: a `{ block }` (a comma after it is optional), or an expression followed by a
/// comma unless it is the last thing in the `select!`.
fn parse_handler(input: ParseStream<'_>) -> Result<Expr> {
    if input.peek(Brace) {
        let block: ExprBlock = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        return Ok(Expr::Block(block));
    }
    let handler: Expr = input.parse()?;
    if !input.is_empty() && !input.peek(Token![,]) {
        return Err(Error::new_spanned(
            handler,
            "expected a `,` after this handler: a handler that is not a `{ block }` ends with \
             a comma",
        ));
    }
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    }
    Ok(handler)
}
