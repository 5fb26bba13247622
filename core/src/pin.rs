//! [`pin!`](crate::pin!): pinning a future on the stack, as tokio's `pin!` does.

/// Pins values on the stack, in place: each binding is shadowed by a `Pin<&mut T>` to its
/// value, so a `!Unpin` future (an `async` block, an `async fn`'s future) can be polled by
/// reference, `&mut fut` in a loop of [`select!`](https://docs.rs/mirage/latest/mirage/macro.select.html)
/// that must not restart it.
///
/// Two forms, as tokio's: `pin!(a, b);` pins existing bindings, and `pin! { let a = ..; }`
/// binds and pins at once. It is [`std::pin::pin!`] under tokio's syntax; the value cannot
/// be moved out again, as the binding that owned it is gone.
///
/// # Examples
///
/// ```
/// use std::pin::Pin;
/// use std::time::Duration;
///
/// let mut core = mirage::Core::new().unwrap();
/// let ticks = core.run(async {
///     mirage::time::pause();
///     let done = async { mirage::time::sleep(Duration::from_millis(1000)).await };
///     mirage::pin!(done);
///     let _: &Pin<&mut _> = &done;
///     let mut ticks = 0;
///     loop {
///         mirage::select! {
///             _ = &mut done => break, // the same sleep on every turn of the loop
///             _ = mirage::time::sleep(Duration::from_millis(300)) => ticks += 1,
///         }
///     }
///     ticks
/// });
/// assert_eq!(ticks, 3);
///
/// // Binding and pinning at once:
/// core.run(async {
///     mirage::pin! {
///         let first = async { 1 };
///         let second = async { 2 };
///     }
///     assert_eq!(first.as_mut().await + second.await, 3);
/// });
/// ```
#[macro_export]
macro_rules! pin {
    ($($name:ident),* $(,)?) => { $(
        #[allow(unused_mut)]
        let mut $name = ::core::pin::pin!($name);
    )* };
    ($(let $name:ident = $init:expr;)*) => { $(
        #[allow(unused_mut)]
        let mut $name = ::core::pin::pin!($init);
    )* };
}
