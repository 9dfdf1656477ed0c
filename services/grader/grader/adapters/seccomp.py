"""The sandbox's system-call filter (seccomp-BPF, built with libseccomp): the kernel's riskiest
calls kill the program (SIGSYS: a Runtime Error naming the signal), the rest are allowed. bubblewrap
loads it (`--seccomp FD`) just before it starts the runner, so it binds the runner, every program
and every compiler. The list follows what isolate, go-judge and Docker's default profile refuse."""

import errno
import tempfile

import pyseccomp as seccomp

# Killed: debugging other processes, mounts and namespaces, kernel keyrings, BPF and perf, kernel
# modules and kexec, file handles that bypass paths, and the machine's clock, swap and power.
KILLED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "open_by_handle_at",
    "name_to_handle_at",
    "fanotify_init",
    "lookup_dcookie",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "quotactl",
    "syslog",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "uselib",
    "vhangup",
)
# Refused as "not implemented", so that libraries fall back: glibc's threads to clone (whose
# flags, unlike clone3's, a filter can read), libuv's files to its thread pool.
NOT_IMPLEMENTED = ("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register")
# clone with any of these makes a namespace.
NAMESPACE_FLAGS = (
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
    0x00000080,
)


def program() -> bytes:
    """The filter, compiled to BPF for this machine's architecture."""
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in KILLED:
        rules.add_rule(seccomp.KILL_PROCESS, name)
    for name in NOT_IMPLEMENTED:
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), name)
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(seccomp.KILL_PROCESS, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    with tempfile.TemporaryFile() as out:
        rules.export_bpf(out)
        out.seek(0)
        return out.read()
