//! The std descriptor traits (`AsRawFd`, `AsFd`) for every socket type, as std's sockets
//! have them.
//!
//! The socket type provides its `io: Source` field; the macro writes the two impls.

/// Implements `AsRawFd` and `AsFd` for `$ty`, borrowing the descriptor of the std socket
/// it wraps.
macro_rules! impl_fd_traits {
    ($ty:ty) => {
        /// The socket's descriptor. Mirage keeps it in non-blocking mode and registered
        /// with a Core: I/O on it by other means should not block on it or change that.
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.get_ref())
            }
        }

        /// The socket's descriptor, borrowed for as long as the socket; see `AsRawFd`.
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.io.get_ref())
            }
        }
    };
}

pub(crate) use impl_fd_traits;
