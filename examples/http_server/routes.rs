//! What each path answers.

use crate::request::Method;
use crate::response::{METHOD_NOT_ALLOWED, NOT_FOUND, OK, Response, Status};

const INDEX: &[u8] = b"<!doctype html>\n<title>Mirage</title>\n<h1>Hello from Mirage</h1>\n\
<p>Try <a href=\"/plaintext\">/plaintext</a>, or POST a body to /echo.</p>\n";

/// Where a request goes, decided from its head alone (before its body is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Plaintext,
    Index,
    Echo,
    NotFound,
    /// The path exists, or the method is unknown: 405 with this `Allow` header.
    MethodNotAllowed(&'static str),
}

/// Routes `method` on `path`: a known path with the wrong method gets 405 with the methods
/// it allows; an unknown path gets 404, or 405 for a method no path supports.
pub fn route(method: Method, path: &[u8]) -> Route {
    match path {
        b"/plaintext" | b"/" => match method {
            Method::Get | Method::Head if path == b"/plaintext" => Route::Plaintext,
            Method::Get | Method::Head => Route::Index,
            _ => Route::MethodNotAllowed("GET, HEAD"),
        },
        b"/echo" => match method {
            Method::Post => Route::Echo,
            _ => Route::MethodNotAllowed("POST"),
        },
        _ => match method {
            Method::Other => Route::MethodNotAllowed("GET, HEAD, POST"),
            _ => Route::NotFound,
        },
    }
}

/// The response of `route`; `body` is the request body.
pub fn respond(route: Route, method: Method, body: &[u8]) -> Response<'_> {
    let (status, content_type, body, allow): (Status, _, &[u8], _) = match route {
        Route::Plaintext => (OK, "text/plain", b"Hello, World!", None),
        Route::Index => (OK, "text/html; charset=utf-8", INDEX, None),
        Route::Echo => (OK, "application/octet-stream", body, None),
        Route::NotFound => (NOT_FOUND, "text/plain", b"not found\n", None),
        Route::MethodNotAllowed(allow) => (
            METHOD_NOT_ALLOWED,
            "text/plain",
            b"method not allowed\n",
            Some(allow),
        ),
    };
    Response {
        status,
        content_type,
        body,
        keep_alive: true,
        http10: false,
        head_only: method == Method::Head,
        allow,
    }
}
