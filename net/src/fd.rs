//! The std descriptor traits (`AsRawFd`, `AsFd`) for every socket type, as std's sockets
//! have them, and tokio's `TryFrom` of the std socket each wraps.
//!
//! The socket type provides its `io: Source` field and its `from_std`; the macros write the
//! impls.

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

/// Implements `TryFrom<$std> for $ty` through `$ty::from_std`, as tokio has it, so that
/// `std_socket.try_into()` converts.
macro_rules! impl_try_from_std {
    ($ty:ident, $std:ty) => {
        /// Takes over the std socket, as [`from_std`](Self::from_std) does: puts it in
        /// non-blocking mode; it registers with the Core that first polls it.
        impl TryFrom<$std> for $ty {
            type Error = std::io::Error;

            fn try_from(socket: $std) -> std::io::Result<$ty> {
                $ty::from_std(socket)
            }
        }
    };
}

pub(crate) use {impl_fd_traits, impl_try_from_std};
