//! `select!`, `join!` and `try_join!` name mirage by the facade's `$crate`, so they work
//! where `::mirage` is another crate: a renamed dependency (`rt = { package = "mirage" }`),
//! or, as here, a crate root that gives the name `mirage` to something else. They named
//! `::mirage` and failed: "could not find `__private` in `mirage`".

extern crate mirage as rt;
extern crate std as mirage;

#[rt::main(crate = "rt")]
async fn main() {
    let (a, b) = rt::join!(async { 1 }, async { 2 });
    let c: Result<(u8, u8), ()> = rt::try_join!(async { Ok(3) }, async { Ok(4) });
    let d = rt::select! {
        biased;
        n = async { 5 } => n,
        else => 0,
    };
    assert_eq!((a, b, c, d), (1, 2, Ok((3, 4)), 5));
    let _ = mirage::time::Duration::ZERO; // `mirage` is std here
}
