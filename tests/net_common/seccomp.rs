//! Simulating a kernel that refuses one system call, on one thread: a seccomp filter that
//! makes the call fail with a chosen error when one of its arguments has a chosen value.

/// Makes the system call `nr` fail with `errno` on the calling thread (and on the threads
/// it starts later) whenever the low 32 bits of its argument number `arg` (from 0) equal
/// `value`; every other call goes through. A seccomp filter belongs to the thread that
/// installs it: call it on a thread of its own, so the rest of the process is unaffected.
/// `false` where the sandbox refuses seccomp filters.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
pub fn fail_on_this_thread(nr: libc::c_long, arg: u32, value: u32, errno: i32) -> bool {
    // Offsets into `struct seccomp_data`: the system call number at 0, then the arguments,
    // 8 bytes each, from 16; the low half of each comes first on a little-endian machine.
    const NR: u32 = 0;
    let arg_low = 16 + 8 * arg;
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jump_eq = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let ret = libc::BPF_RET | libc::BPF_K;
    let mut filter = [
        stmt(load, NR),
        jump_eq(nr as u32, 0, 3),
        stmt(load, arg_low),
        jump_eq(value, 0, 1),
        stmt(ret, libc::SECCOMP_RET_ERRNO | errno as u32),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: `prctl` with these options reads only `program`, a valid filter program
    // that outlives the calls; the filter only makes one system call fail.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                &program as *const libc::sock_fprog,
            ) == 0
    }
}
