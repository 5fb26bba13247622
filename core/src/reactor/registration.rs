//! `Registration`: a file descriptor's link to a Core's reactor.

use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use super::scheduled_io::{
    ERROR, EXTRA_ERROR, EXTRA_PRIORITY, POLL_WAITER, PRIORITY, READ_CLOSED, READABLE, ScheduledIo,
    WRITABLE, WRITE_CLOSED,
};
use super::{Direction, Reactor};
use crate::context;
use crate::io::{Interest, Ready};

/// Connects a non-blocking file descriptor to the reactor of a [`Core`](crate::Core), the
/// building block of every Mirage socket.
///
/// Creating one needs no running Core: the descriptor is registered with the Core that first
/// polls it for readiness, edge-triggered for both directions and for urgent data. I/O goes
/// through [`poll_io`](Registration::poll_io) or [`io`](Registration::io), which try the
/// system call first and wait for readiness only after `WouldBlock`, clearing the readiness
/// they saw, so no edge is lost.
///
/// A `Registration` does not own the descriptor. Drop it (which deregisters) *before* closing
/// the descriptor: declare it before the field that owns the descriptor.
///
/// A registered descriptor belongs to the Core it registered with: a task of another Core
/// (on the same thread) that waits on it is woken when that Core next runs and sees the
/// event. Once that Core is dropped, the descriptor registers with the Core that next waits
/// on it, so a socket can move on to a new Core; the tasks still waiting on it then are
/// woken to do so.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
/// use mirage::io::{Direction, Registration};
///
/// let (mut a, b) = UnixStream::pair().unwrap();
/// b.set_nonblocking(true).unwrap();
/// let registration = Registration::new(b.as_raw_fd());
/// let mut core = mirage::Core::new().unwrap();
/// let got = core.run(async {
///     mirage::spawn(async move { a.write_all(b"ping").unwrap() });
///     let mut buf = [0; 4];
///     let n = registration.io(Direction::Read, || (&b).read(&mut buf)).await.unwrap();
///     buf[..n].to_vec()
/// });
/// assert_eq!(got, b"ping");
/// ```
pub struct Registration {
    fd: RawFd,
    registered: OnceCell<Registered>,
}

struct Registered {
    /// The reactor of the Core the descriptor is registered with, to deregister from. Weak,
    /// so that a dropped Core's reactor is dropped with it (marking `io` orphaned, see
    /// [`ScheduledIo::is_orphaned`]) rather than kept alive with no Core to poll it.
    reactor: RefCell<Weak<Reactor>>,
    /// Kept across a move to another Core, with a new token: waiter ids stay unique.
    io: Rc<ScheduledIo>,
}

impl Registration {
    /// A registration for `fd`, which must be in non-blocking mode. Nothing is registered
    /// until the first readiness poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// assert_eq!(registration.fd(), b.as_raw_fd());
    /// # drop(a);
    /// ```
    pub fn new(fd: RawFd) -> Registration {
        Registration {
            fd,
            registered: OnceCell::new(),
        }
    }

    /// The descriptor.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::Registration;
    ///
    /// let (_a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// assert_eq!(Registration::new(b.as_raw_fd()).fd(), b.as_raw_fd());
    /// ```
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// The registration, made on the first poll. Which Core it is with is checked only
    /// before waiting ([`to_wait`](Registration::to_wait)): readiness already recorded lets
    /// an operation go ahead whichever Core runs it, and this keeps a thread-local lookup off
    /// every operation.
    #[inline]
    fn registered(&self) -> io::Result<&Registered> {
        match self.registered.get() {
            Some(registered) => Ok(registered),
            None => self.register(),
        }
    }

    /// Registers with the current Core (running on this thread, or entered with
    /// `Runtime::enter`) now, rather than at the first wait, so that a descriptor epoll
    /// refuses (a regular file: `EPERM`; a closed one: `EBADF`) fails here; for `AsyncFd`'s
    /// constructors. The `epoll_ctl` is the one the first wait would make: no system call is
    /// added. Returns whether there is a current Core; without one, registers nothing.
    pub(crate) fn register_if_current(&self) -> io::Result<bool> {
        if context::with_current(|_| ()).is_none() {
            return Ok(false);
        }
        self.registered()?;
        Ok(true)
    }

    /// `poll` after registering with the running Core, as the descriptor's Core was dropped;
    /// kept out of line.
    #[cold]
    #[inline(never)]
    fn poll_after_register<T>(
        &self,
        poll: impl FnOnce(&Registration) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match self.register() {
            Ok(_) => poll(self),
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    /// The first poll's registration, or a move to the running Core once the descriptor's
    /// Core was dropped; kept out of line.
    #[cold]
    #[inline(never)]
    fn register(&self) -> io::Result<&Registered> {
        let reactor = context::with_current(|local| Rc::clone(&local.reactor)).expect(
            "mirage I/O polled outside a running or entered Core: sockets must be used from \
             inside Core::run or Runtime::block_on (or a task spawned there), or under \
             Runtime::enter",
        );
        let Some(registered) = self.registered.get() else {
            let io = reactor.register(self.fd)?;
            let registered = Registered {
                reactor: RefCell::new(Rc::downgrade(&reactor)),
                io,
            };
            return Ok(self.registered.get_or_init(|| registered));
        };
        if registered.io.is_orphaned() {
            // The old Core is gone, and its epoll instance with it: register afresh.
            reactor.reregister(self.fd, &registered.io)?;
            *registered.reactor.borrow_mut() = Rc::downgrade(&reactor);
        }
        Ok(registered)
    }

    /// Polls for readiness in `direction`; when not ready, the task is woken at the next edge.
    ///
    /// Only the last task to call this per direction is woken (as with poll-style I/O traits);
    /// use [`ready`](Registration::ready) for several concurrent waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// drop(a); // end of stream: `b` becomes readable
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     poll_fn(|cx| registration.poll_ready(cx, Direction::Read)).await.unwrap();
    /// });
    /// ```
    pub fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        let registered = self.registered()?;
        if registered.io.is_ready(direction) {
            return Poll::Ready(Ok(()));
        }
        if registered.io.is_orphaned() {
            return self.poll_after_register(|this| this.poll_ready(cx, direction));
        }
        let io = &registered.io;
        io.waiters(direction)
            .borrow_mut()
            .register(POLL_WAITER, cx.waker());
        Poll::Pending
    }

    /// Polls for readiness in `direction` on behalf of one waiter among possibly several:
    /// `waiter` holds its id (`None` until it first waits). Each concurrent waiter is woken.
    /// Call [`forget_waiter`](Registration::forget_waiter) when the waiter gives up; this
    /// is what [`ready`](Registration::ready) does, for futures of your own.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// drop(a); // end of stream: `b` becomes readable
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     // Two waiters of one direction, each with its own id: both are woken.
    ///     let (mut first, mut second) = (None, None);
    ///     let both = poll_fn(|cx| {
    ///         let one = registration.poll_ready_waiter(cx, Direction::Read, &mut first);
    ///         let two = registration.poll_ready_waiter(cx, Direction::Read, &mut second);
    ///         match (one, two) {
    ///             (std::task::Poll::Ready(one), std::task::Poll::Ready(two)) => {
    ///                 std::task::Poll::Ready(one.and(two))
    ///             }
    ///             _ => std::task::Poll::Pending,
    ///         }
    ///     });
    ///     both.await.unwrap();
    ///     // Each waiter that went ahead forgets its id.
    ///     registration.forget_waiter(Direction::Read, &mut first);
    ///     registration.forget_waiter(Direction::Read, &mut second);
    /// });
    /// ```
    #[inline]
    pub fn poll_ready_waiter(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        waiter: &mut Option<u64>,
    ) -> Poll<io::Result<()>> {
        let registered = self.registered()?;
        if registered.io.is_ready(direction) {
            self.ready_after_wait(direction, waiter);
            return Poll::Ready(Ok(()));
        }
        if registered.io.is_orphaned() {
            return self.poll_after_register(|this| this.poll_ready_waiter(cx, direction, waiter));
        }
        let io = &registered.io;
        let id = *waiter.get_or_insert_with(|| io.new_waiter_id());
        io.waiters(direction).borrow_mut().register(id, cx.waker());
        Poll::Pending
    }

    /// Forgets the id of a [`poll_ready_waiter`](Registration::poll_ready_waiter) waiter
    /// whose operation went ahead because [`is_ready`](Registration::is_ready) was true.
    /// Cheaper than [`forget_waiter`](Registration::forget_waiter): readiness is set only by
    /// the reactor's event, which takes every waiter of the direction along with it, so the
    /// entry is already gone and there is nothing to search for. Called in any other state,
    /// it panics in debug builds; release builds leave the entry until the next event takes
    /// it (a spurious wake, nothing worse).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// drop(a);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut waiter = None;
    ///     poll_fn(|cx| registration.poll_ready_waiter(cx, Direction::Read, &mut waiter))
    ///         .await
    ///         .unwrap();
    ///     // Ready: the entry is gone (`poll_ready_waiter` already did this, so it is a no-op).
    ///     registration.ready_after_wait(Direction::Read, &mut waiter);
    ///     assert_eq!(waiter, None);
    /// });
    /// ```
    #[inline]
    pub fn ready_after_wait(&self, direction: Direction, waiter: &mut Option<u64>) {
        if let Some(id) = waiter.take() {
            debug_assert!(
                self.registered.get().is_none_or(|registered| !registered
                    .io
                    .waiters(direction)
                    .borrow()
                    .contains(id)),
                "a ready direction still lists waiter {id}"
            );
        }
    }

    /// Forgets a waiter of [`poll_ready_waiter`](Registration::poll_ready_waiter).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::task::Poll;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut waiter = None;
    ///     // Nothing to read yet: the waiter registers, then gives up.
    ///     poll_fn(|cx| {
    ///         assert!(registration.poll_ready_waiter(cx, Direction::Read, &mut waiter).is_pending());
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    ///     assert!(waiter.is_some());
    ///     registration.forget_waiter(Direction::Read, &mut waiter);
    ///     assert_eq!(waiter, None);
    /// });
    /// # drop(a);
    /// ```
    pub fn forget_waiter(&self, direction: Direction, waiter: &mut Option<u64>) {
        if let (Some(id), Some(registered)) = (waiter.take(), self.registered.get()) {
            let own = registered.io.waiters(direction).borrow_mut().remove(id);
            drop(own);
        }
    }

    /// Waits for readiness in `direction`. Cancel-safe: dropping the future forgets the
    /// waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     mirage::spawn(async move { drop(a) }); // end of stream, later
    ///     registration.ready(Direction::Read).await.unwrap();
    /// });
    /// ```
    pub fn ready(&self, direction: Direction) -> ReadyFuture<'_> {
        ReadyFuture {
            registration: self,
            direction,
            waiter: None,
        }
    }

    /// Forgets readiness in `direction`; call it when an operation returned `WouldBlock`.
    /// Before the descriptor's first wait, inside a Core, it registers the descriptor, so
    /// that the next wait waits for an edge (outside one there is nothing to forget).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     registration.ready(Direction::Write).await.unwrap(); // registers
    ///     let mut buf = [0; 8];
    ///     match (&b).read(&mut buf) {
    ///         Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
    ///             registration.clear_ready(Direction::Read);
    ///             assert!(!registration.is_ready(Direction::Read));
    ///         }
    ///         other => panic!("nothing was sent: {other:?}"),
    ///     }
    /// });
    /// # drop(a);
    /// ```
    pub fn clear_ready(&self, direction: Direction) {
        match self.registered.get() {
            Some(registered) => registered.io.clear_ready(direction),
            None => self.register_to_forget(),
        }
    }

    /// [`clear_ready`](Registration::clear_ready) before the first wait: registers now, if
    /// a Core is current, so that what the operation learned sticks. Unregistered, every
    /// direction counts as ready (nothing is known), so a loop of `readable()` and a `try_`
    /// operation that asks the kernel would go on finding it "ready" where the kernel's
    /// word is ambiguous (a UDP socket's queued error entry, which no `recv` returns) and
    /// spin. A new registration starts knowing nothing ready, and epoll reports the
    /// descriptor's state at that moment as a first edge: nothing is lost. The `epoll_ctl`
    /// is the one the first wait would make. A failure to register is left for that wait
    /// to report.
    #[cold]
    #[inline(never)]
    fn register_to_forget(&self) {
        let _ = self.register_if_current();
    }

    /// How many times the reactor set readiness (an event, or `mark_closed`), wrapping; 0
    /// unregistered. For `AsyncFd`'s guard, which clears what it saw only if none came since.
    pub(crate) fn readiness_sets(&self) -> u32 {
        self.registered
            .get()
            .map_or(0, |registered| registered.io.sets())
    }

    /// Forgets readiness in `direction` but for end-of-stream (see
    /// `ScheduledIo::clear_ready_but_closed`): for `AsyncFd`'s guard.
    pub(crate) fn clear_ready_but_closed(&self, direction: Direction) {
        if let Some(registered) = self.registered.get() {
            registered.io.clear_ready_but_closed(direction);
        }
    }

    /// Whether an operation in `direction` is worth trying now: false only once the
    /// descriptor is registered and known not ready (an operation saw `WouldBlock`, or a
    /// short read or write, and no edge came since). Then waiting saves a system call that
    /// would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// // Not registered yet: worth trying.
    /// assert!(registration.is_ready(Direction::Read));
    /// registration.clear_ready(Direction::Read); // does nothing before registration
    /// assert!(registration.is_ready(Direction::Write));
    /// # drop(a);
    /// ```
    pub fn is_ready(&self, direction: Direction) -> bool {
        self.registered
            .get()
            .is_none_or(|registered| registered.io.is_ready(direction))
    }

    /// The readiness recorded in `direction`, as a [`Ready`]: readable (or writable) for
    /// data (or room), urgent data or a pending error, as each lets an operation go ahead;
    /// read (or write) closed for a hang-up. Unregistered, the descriptor is assumed ready,
    /// as [`is_ready`](Registration::is_ready) does.
    pub(crate) fn readiness(&self, direction: Direction) -> Ready {
        let bits = match self.registered.get() {
            Some(registered) => registered.io.readiness(direction),
            None => READABLE | WRITABLE,
        };
        let (open, closed, open_ready, closed_ready) = match direction {
            Direction::Read => (
                READABLE | PRIORITY | ERROR,
                READ_CLOSED,
                Ready::READABLE,
                Ready::READ_CLOSED,
            ),
            Direction::Write => (
                WRITABLE | ERROR,
                WRITE_CLOSED,
                Ready::WRITABLE,
                Ready::WRITE_CLOSED,
            ),
        };
        let mut ready = Ready::EMPTY;
        if bits & open != 0 {
            ready |= open_ready;
        }
        if bits & closed != 0 {
            ready |= closed_ready;
        }
        ready
    }

    /// Polls for the readiness of `interest`'s priority and error kinds, as one waiter of
    /// the extra list (`waiter` holds its id, as for
    /// [`poll_ready_waiter`](Registration::poll_ready_waiter)). Registers the descriptor
    /// first, if it is not yet: a wait needs the reactor's word.
    pub(crate) fn poll_extra_ready(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        waiter: &mut Option<u64>,
    ) -> Poll<io::Result<()>> {
        let registered = self.registered()?;
        let io = &registered.io;
        if io.extra_readiness(extra_wait_bits(interest)) != 0 {
            self.forget_extra_waiter(waiter);
            return Poll::Ready(Ok(()));
        }
        if io.is_orphaned() {
            return self.poll_after_register(|this| this.poll_extra_ready(cx, interest, waiter));
        }
        let id = *waiter.get_or_insert_with(|| io.new_waiter_id());
        io.extra.borrow_mut().register(id, cx.waker());
        Poll::Pending
    }

    /// Waits for an edge in any of `interest`'s kinds: a waiter in each of its directions
    /// ([`ready`](Registration::ready)) and, if it names priority or error, one among those
    /// waiters ([`extra_ready`](Registration::extra_ready)), so that whichever comes first
    /// ends the wait. What both `AsyncFd` and the sockets wait on for a combined interest.
    /// Cancel-safe: dropping the future forgets every waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Interest, Registration};
    ///
    /// let (mut a, b) = UnixStream::pair()?;
    /// b.set_nonblocking(true)?;
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     a.write_all(b"x")?;
    ///     registration.ready_any(Interest::READABLE | Interest::PRIORITY).await?;
    ///     assert!(registration.is_ready(Direction::Read));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready_any(&self, interest: Interest) -> io::Result<()> {
        let mut extra = interest.has_extra().then(|| self.extra_ready(interest));
        let mut read = interest.is_readable().then(|| self.ready(Direction::Read));
        let mut write = interest.is_writable().then(|| self.ready(Direction::Write));
        if let (None, Some(only), None) | (None, None, Some(only)) =
            (&mut extra, &mut read, &mut write)
        {
            // One direction alone: its own future, with nothing to choose between.
            return only.await;
        }
        std::future::poll_fn(|cx| {
            if let Some(Poll::Ready(result)) = extra.as_mut().map(|wait| Pin::new(wait).poll(cx)) {
                return Poll::Ready(result);
            }
            for wait in [read.as_mut(), write.as_mut()].into_iter().flatten() {
                if let Poll::Ready(result) = Pin::new(wait).poll(cx) {
                    return Poll::Ready(result);
                }
            }
            Poll::Pending
        })
        .await
    }

    /// Waits for priority or error readiness, the kinds of `interest` beyond the two
    /// directions (which it ignores): [`ready`](Registration::ready)'s counterpart for
    /// [`Interest::PRIORITY`] (urgent data, `EPOLLPRI`; a wait for it also ends at end of
    /// stream, after which none can come) and [`Interest::ERROR`] (a pending error or an
    /// entry of the error queue, `EPOLLERR`). Every descriptor is registered for urgent
    /// data, and epoll reports errors unasked: this asks the kernel for nothing more.
    ///
    /// Only those events wake it, not ordinary data or room, and what they recorded stays
    /// until [`clear_extra`](Registration::clear_extra): a read or write that returns
    /// `WouldBlock` leaves it (it clears its direction only), so a task reading the data
    /// does not take it from a task waiting for urgent data or errors. Call `clear_extra`
    /// once an operation under those kinds returns `WouldBlock`, as
    /// [`clear_ready`](Registration::clear_ready) for a direction. Several waiters may wait
    /// at once; each is woken. Cancel-safe: dropping the future forgets the waiter.
    ///
    /// # Panics
    ///
    /// If `interest` has neither `PRIORITY` nor `ERROR`: there would be nothing to wait
    /// for. Wait in a direction with [`ready`](Registration::ready).
    ///
    /// # Examples
    ///
    /// A datagram sent to a closed port comes back as an error:
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::net::UdpSocket;
    /// use std::os::fd::AsRawFd;
    /// use mirage::io::{Interest, Registration};
    ///
    /// let nobody = UdpSocket::bind("127.0.0.1:0")?.local_addr()?; // closed at once
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_nonblocking(true)?;
    /// socket.connect(nobody)?; // a connected socket keeps the ICMP error
    /// let registration = Registration::new(socket.as_raw_fd());
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     socket.send(b"ping")?;
    ///     registration.extra_ready(Interest::ERROR).await?;
    ///     let err = socket.take_error()?.expect("a pending error");
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn extra_ready(&self, interest: Interest) -> ExtraReadyFuture<'_> {
        assert!(
            extra_wait_bits(interest) != 0,
            "Registration::extra_ready asked for {interest:?}, which has neither PRIORITY \
             nor ERROR: wait in a direction with Registration::ready instead"
        );
        ExtraReadyFuture {
            registration: self,
            interest,
            waiter: None,
        }
    }

    /// Forgets a waiter of [`poll_extra_ready`](Registration::poll_extra_ready).
    pub(crate) fn forget_extra_waiter(&self, waiter: &mut Option<u64>) {
        if let (Some(id), Some(registered)) = (waiter.take(), self.registered.get()) {
            let own = registered.io.extra.borrow_mut().remove(id);
            drop(own);
        }
    }

    /// Whether an operation under `interest`'s priority and error kinds is worth trying
    /// now, as [`is_ready`](Registration::is_ready) for a direction: unregistered, nothing
    /// is known, so it is; registered, if the reactor recorded one of them (or, for
    /// priority, end of stream) since the last [`clear_extra`](Registration::clear_extra).
    /// False for an interest with neither kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// use std::os::fd::AsRawFd;
    /// use mirage::io::{Interest, Registration};
    ///
    /// let nobody = UdpSocket::bind("127.0.0.1:0")?.local_addr()?; // closed at once
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_nonblocking(true)?;
    /// socket.connect(nobody)?;
    /// let registration = Registration::new(socket.as_raw_fd());
    /// assert!(registration.is_extra_ready(Interest::ERROR)); // not registered: unknown
    /// assert!(!registration.is_extra_ready(Interest::READABLE)); // no such kind
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     socket.send(b"ping")?;
    ///     registration.extra_ready(Interest::ERROR).await?;
    ///     assert!(registration.is_extra_ready(Interest::ERROR));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_extra_ready(&self, interest: Interest) -> bool {
        let bits = extra_wait_bits(interest);
        bits != 0
            && self
                .registered
                .get()
                .is_none_or(|registered| registered.io.extra_readiness(bits) != 0)
    }

    /// The priority and error readiness recorded for `interest`'s kinds, as a [`Ready`]:
    /// priority with read closed, as tokio reports a wait for priority, and error.
    pub(crate) fn extra_readiness(&self, interest: Interest) -> Ready {
        let Some(registered) = self.registered.get() else {
            return Ready::EMPTY;
        };
        let bits = registered.io.extra_readiness(extra_wait_bits(interest));
        let mut ready = Ready::EMPTY;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if bits & EXTRA_PRIORITY != 0 {
            ready |= Ready::PRIORITY;
        }
        if bits & READ_CLOSED != 0 {
            ready |= Ready::READ_CLOSED;
        }
        if bits & EXTRA_ERROR != 0 {
            ready |= Ready::ERROR;
        }
        ready
    }

    /// Forgets the priority and error readiness of `interest`'s kinds (its directions are
    /// left alone; an interest in the directions alone forgets nothing), so that the next [`extra_ready`](Registration::extra_ready) waits for a
    /// new event: call it when an operation under those kinds returned `WouldBlock` (the
    /// urgent byte or the error queue is taken). End of stream stays: its direction clears
    /// it, and a reader still needs it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// use std::os::fd::AsRawFd;
    /// use mirage::io::{Interest, Registration};
    ///
    /// let nobody = UdpSocket::bind("127.0.0.1:0")?.local_addr()?; // closed at once
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_nonblocking(true)?;
    /// socket.connect(nobody)?;
    /// let registration = Registration::new(socket.as_raw_fd());
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     socket.send(b"ping")?;
    ///     registration.extra_ready(Interest::ERROR).await?;
    ///     assert!(socket.take_error()?.is_some()); // taken
    ///     registration.clear_extra(Interest::ERROR);
    ///     assert!(!registration.is_extra_ready(Interest::ERROR));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn clear_extra(&self, interest: Interest) {
        if let Some(registered) = self.registered.get() {
            registered
                .io
                .clear_extra(extra_wait_bits(interest) & !READ_CLOSED);
        }
    }

    /// Records that the last operation drained `direction`: a read returned fewer bytes
    /// than asked (the receive buffer is empty) or a write took fewer than offered (the
    /// send buffer is full). The next operation then waits for an edge instead of trying a
    /// system call that would return `WouldBlock`. End-of-stream, error and urgent data
    /// stay visible.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     registration.ready(Direction::Write).await.unwrap(); // registers
    ///     (&a).write_all(b"hi").unwrap();
    ///     let mut buf = [0; 8];
    ///     let n = registration.io(Direction::Read, || (&b).read(&mut buf)).await.unwrap();
    ///     assert_eq!(n, 2);
    ///     // A short read emptied the receive buffer: the next read waits for an edge.
    ///     registration.mark_drained(Direction::Read);
    ///     assert!(!registration.is_ready(Direction::Read));
    /// });
    /// ```
    pub fn mark_drained(&self, direction: Direction) {
        if let Some(registered) = self.registered.get() {
            registered.io.clear_edge(direction);
        }
    }

    /// Records that `direction` was shut down on this side (`shutdown(2)`), so that an
    /// operation in it no longer waits: it fails at once (a write with `EPIPE`), or reads
    /// what is left. Wakes the tasks waiting on `direction` to find that out. Linux reports
    /// no event for it in every case: a Unix stream socket whose send buffer is full stays
    /// unwritable after `shutdown(SHUT_WR)`, and a write waiting for room would wait until
    /// the peer reads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     registration.ready(Direction::Write).await.unwrap(); // registers
    ///     b.shutdown(Shutdown::Write).unwrap();
    ///     registration.mark_closed(Direction::Write);
    ///     assert!(registration.is_ready(Direction::Write)); // a write fails at once now
    /// });
    /// # drop(a);
    /// ```
    pub fn mark_closed(&self, direction: Direction) {
        // Unregistered, nothing waits, and the first operation tries the system call.
        let Some(registered) = self.registered.get() else {
            return;
        };
        let closed = match direction {
            Direction::Read => READ_CLOSED,
            Direction::Write => WRITE_CLOSED,
        };
        let mut wake = Vec::new();
        registered.io.set_ready(closed, &mut wake);
        for waker in wake {
            waker.wake();
        }
    }

    /// Whether `direction` is known closed: an event reported the hang-up (for reading, end
    /// of stream, `EPOLLRDHUP`, or `EPOLLHUP`; for writing, `EPOLLHUP`, or an error on a
    /// writable descriptor, as mio reads them), or
    /// [`mark_closed`](Registration::mark_closed) recorded it, and no operation in
    /// `direction` has cleared its readiness since. False until the descriptor registers.
    /// For an operation that gets `WouldBlock` where the kernel also reports the end, as a
    /// datagram socket's receive once its read half is shut.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixDatagram;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixDatagram::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     assert!(!registration.is_closed(Direction::Read)); // not registered: unknown
    ///     b.shutdown(Shutdown::Read).unwrap();
    ///     registration.ready(Direction::Read).await.unwrap(); // registers; the event says
    ///     assert!(registration.is_closed(Direction::Read));
    ///     assert!(!registration.is_closed(Direction::Write));
    /// });
    /// # drop(a);
    /// ```
    pub fn is_closed(&self, direction: Direction) -> bool {
        let closed = match direction {
            Direction::Read => READ_CLOSED,
            Direction::Write => WRITE_CLOSED,
        };
        self.registered
            .get()
            .is_some_and(|registered| registered.io.readiness(direction) & closed != 0)
    }

    /// Runs the non-blocking `op` until it stops reporting `WouldBlock`, waiting for
    /// readiness in `direction` in between. The first attempt happens before any readiness
    /// check, so an operation that can complete at once costs one system call.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// let n = core.run(async {
    ///     mirage::spawn(async move { (&a).write_all(b"ping").unwrap() });
    ///     let mut buf = [0; 8];
    ///     poll_fn(|cx| registration.poll_io(cx, Direction::Read, || (&b).read(&mut buf))).await
    /// });
    /// assert_eq!(n.unwrap(), 4);
    /// ```
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            match op() {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_ready(direction);
                    match self.poll_ready(cx, direction) {
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                result => return Poll::Ready(result),
            }
        }
    }

    /// The async form of [`poll_io`](Registration::poll_io). Cancel-safe as far as `op` is:
    /// dropping the future between attempts loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{Direction, Registration};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let registration = Registration::new(b.as_raw_fd());
    /// let mut core = mirage::Core::new().unwrap();
    /// let n = core.run(async {
    ///     mirage::spawn(async move { (&a).write_all(b"ping").unwrap() });
    ///     let mut buf = [0; 8];
    ///     registration.io(Direction::Read, || (&b).read(&mut buf)).await
    /// });
    /// assert_eq!(n.unwrap(), 4);
    /// ```
    pub async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op() {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_ready(direction);
                    self.ready(direction).await?;
                }
                result => return result,
            }
        }
    }
}

/// The readiness bits that end a wait for `interest`'s priority and error kinds: end of
/// stream ends a wait for priority data, as in tokio, since none can come after it.
fn extra_wait_bits(interest: Interest) -> u8 {
    let mut bits = 0;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if interest.is_priority() {
        bits |= EXTRA_PRIORITY | READ_CLOSED;
    }
    if interest.is_error() {
        bits |= EXTRA_ERROR;
    }
    bits
}

/// The future returned by [`Registration::extra_ready`]: a wait for priority or error
/// readiness, as one waiter of their list. Cancel-safe: dropping it forgets the waiter.
///
/// # Examples
///
/// ```
/// use std::net::UdpSocket;
/// use std::os::fd::AsRawFd;
/// use mirage::io::{ExtraReadyFuture, Interest, Registration};
///
/// let nobody = UdpSocket::bind("127.0.0.1:0")?.local_addr()?; // closed at once
/// let socket = UdpSocket::bind("127.0.0.1:0")?;
/// socket.set_nonblocking(true)?;
/// socket.connect(nobody)?;
/// let registration = Registration::new(socket.as_raw_fd());
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let wait: ExtraReadyFuture<'_> = registration.extra_ready(Interest::ERROR);
///     socket.send(b"ping")?;
///     wait.await
/// })?;
/// # std::io::Result::Ok(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ExtraReadyFuture<'a> {
    registration: &'a Registration,
    interest: Interest,
    waiter: Option<u64>,
}

impl Future for ExtraReadyFuture<'_> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.registration
            .poll_extra_ready(cx, this.interest, &mut this.waiter)
    }
}

impl Drop for ExtraReadyFuture<'_> {
    fn drop(&mut self) {
        self.registration.forget_extra_waiter(&mut self.waiter);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(registered) = self.registered.take() {
            // A dropped Core's epoll instance is closed, which removed the descriptor.
            if let Some(reactor) = registered.reactor.into_inner().upgrade() {
                // Fails only if the descriptor was already closed, which removed it from
                // epoll.
                let _ = reactor.deregister(&registered.io, self.fd);
            }
        }
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("fd", &self.fd)
            .field("registered", &self.registered.get().is_some())
            .finish()
    }
}

/// The future returned by [`Registration::ready`].
///
/// # Examples
///
/// ```
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
/// use mirage::io::{Direction, Registration};
///
/// let (a, b) = UnixStream::pair().unwrap();
/// b.set_nonblocking(true).unwrap();
/// let registration = Registration::new(b.as_raw_fd());
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let ready = registration.ready(Direction::Write);
///     ready.await.unwrap(); // an empty send buffer has room
/// });
/// # drop(a);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadyFuture<'a> {
    registration: &'a Registration,
    direction: Direction,
    waiter: Option<u64>,
}

impl Future for ReadyFuture<'_> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.registration
            .poll_ready_waiter(cx, this.direction, &mut this.waiter)
    }
}

impl Drop for ReadyFuture<'_> {
    fn drop(&mut self) {
        self.registration
            .forget_waiter(self.direction, &mut self.waiter);
    }
}

impl fmt::Debug for ReadyFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyFuture")
            .field("fd", &self.registration.fd)
            .field("direction", &self.direction)
            .finish()
    }
}

impl fmt::Debug for ExtraReadyFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraReadyFuture")
            .field("fd", &self.registration.fd)
            .field("interest", &self.interest)
            .finish()
    }
}
