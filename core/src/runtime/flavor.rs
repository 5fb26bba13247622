//! `RuntimeFlavor`: which scheduler a runtime has.

/// Which scheduler a runtime runs its tasks on, as [`Handle::runtime_flavor`](super::Handle::runtime_flavor)
/// reports it.
///
/// A Mirage runtime is always [`CurrentThread`](RuntimeFlavor::CurrentThread): one Core runs
/// every task on its own thread. [`MultiThread`](RuntimeFlavor::MultiThread) is never
/// reported; it is there so that code written for tokio that compares against it (to choose
/// `block_in_place` or not, say) compiles and takes its single-thread path.
///
/// # Examples
///
/// ```
/// use mirage::runtime::{Handle, Runtime, RuntimeFlavor};
///
/// let runtime = Runtime::new()?;
/// runtime.block_on(async {
///     assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::CurrentThread);
/// });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread that drives the runtime: Mirage's only flavor.
    CurrentThread,
    /// Tasks spread over worker threads: tokio's multi-thread runtime. Mirage never
    /// reports it.
    MultiThread,
}
