"""The sandbox's system-call filter (seccomp-BPF, built with libseccomp): an allow-list. The calls
the supported runtimes and compilers make (Python, C, C++, Node.js, Java, gcc, javac) are allowed —
the list follows Docker's default profile, less what no runtime here needs (POSIX message queues,
`personality` beyond a query, sockets of any family but Unix and IP); the kernel's riskiest calls
kill the program (SIGSYS: a Runtime Error naming the signal); everything else answers ENOSYS, as a
kernel without it would. The runner loads it into each test's process, after that process has
entered its own namespaces and dropped every capability, so it binds every program and every
compiler (runner.c, zygote.py)."""

import contextlib
import errno
import tempfile

import pyseccomp as seccomp

ALLOWED = [
    "accept",
    "accept4",
    "access",
    "alarm",
    "arch_prctl",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "clock_getres",
    "clock_gettime",
    "clock_nanosleep",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fallocate",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchownat",
    "fcntl",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstatfs",
    "fsync",
    "ftruncate",
    "futex",
    "futex_waitv",
    "futimesat",
    "get_robust_list",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "geteuid",
    "getgid",
    "getgroups",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresuid",
    "getrlimit",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "gettid",
    "gettimeofday",
    "getuid",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "ioctl",
    "ioprio_get",
    "kill",
    "lchown",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "madvise",
    "membarrier",
    "memfd_create",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mprotect",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "nanosleep",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "poll",
    "ppoll",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "pselect6",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_tgsigqueueinfo",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_setaffinity",
    "sched_yield",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "sendfile",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "set_robust_list",
    "set_tid_address",
    "setfsgid",
    "setfsuid",
    "setgid",
    "setgroups",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setresgid",
    "setresuid",
    "setreuid",
    "setrlimit",
    "setsid",
    "setsockopt",
    "setuid",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "splice",
    "stat",
    "statfs",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_settime",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_settime",
    "times",
    "tkill",
    "truncate",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "write",
    "writev",
]
# Socket families a program may open: Unix and IP (its network namespace has only a downed
# loopback); netlink, vsock, packet and the rest answer "family not supported".
SOCKET_FAMILIES = (1, 2, 10)  # AF_UNIX, AF_INET, AF_INET6
AF_MAX = 46
PERSONALITY_QUERY = (0, 0xFFFFFFFF)  # PER_LINUX, and asking for the current one

# Killed: debugging other processes, mounts and namespaces, kernel keyrings, BPF and perf, kernel
# modules and kexec, file handles that bypass paths, and the machine's clock, swap and power.
# Mounts and namespaces: the program's are made for it, before it starts.
NAMESPACE_CALLS = ("mount", "umount2", "pivot_root", "chroot", "unshare", "setns")
KILLED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    *NAMESPACE_CALLS,
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


NAMESPACE_MASK = sum(NAMESPACE_FLAGS)


def program() -> bytes:
    """The filter, compiled to BPF for this machine's architecture."""
    rules = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.ENOSYS))
    # A binary tree of the allowed calls, not a list read from the top: every call of every
    # program goes through it (libseccomp 2.5+; older ones keep the list).
    with contextlib.suppress(OSError, ValueError):
        rules.set_attr(seccomp.Attr.CTL_OPTIMIZE, 2)
    for name in ALLOWED:
        _add(rules, seccomp.ALLOW, name)
    for name in KILLED:
        _add(rules, seccomp.KILL_PROCESS, name)
    # NOT_IMPLEMENTED: the default action already.
    rules.add_rule(seccomp.ALLOW, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, NAMESPACE_MASK, 0))
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(seccomp.KILL_PROCESS, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    for family in SOCKET_FAMILIES:
        rules.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, family))
    rules.add_rule(seccomp.ALLOW, "socketpair", seccomp.Arg(0, seccomp.EQ, 1))
    for family in range(AF_MAX):  # every other family the kernel knows; past them, ENOSYS
        if family not in SOCKET_FAMILIES:
            rules.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family))
        if family != 1:
            rules.add_rule(
                seccomp.ERRNO(errno.EAFNOSUPPORT), "socketpair", seccomp.Arg(0, seccomp.EQ, family)
            )
    for persona in PERSONALITY_QUERY:
        rules.add_rule(seccomp.ALLOW, "personality", seccomp.Arg(0, seccomp.EQ, persona))
    with tempfile.TemporaryFile() as out:
        rules.export_bpf(out)
        out.seek(0)
        return out.read()


def _add(rules: seccomp.SyscallFilter, action: object, name: str) -> None:
    """A rule for `name`, where this architecture has the call (x86's arch_prctl, the old
    non-*at calls)."""
    try:
        rules.add_rule(action, name)
    except OSError as e:
        if e.errno != errno.EINVAL:  # EINVAL: no such call on this architecture
            raise


# What the grader's container needs beyond what its programs may do: making each sandbox
# (namespaces, its mounts, the root it pivots into, its filter) and the grader's own sockets
# (getaddrinfo asks netlink). Still refused to the container: modules, kexec, BPF, perf, keyrings,
# ptrace, the clock, swap and reboot.
SANDBOX_MAKING = (
    "clone",
    *NAMESPACE_CALLS,
    "seccomp",
    "sethostname",
    "setdomainname",
    "socket",
    "socketpair",
)


def container_profile() -> dict[str, object]:
    """The grader container's seccomp profile (deploy/k8s/node/gradeflow-grader.json, installed as a
    Localhost profile on the grader's nodes): the programs' allow-list plus SANDBOX_MAKING, every
    other call refused with EPERM as the runtime's default profile does."""
    allowed = sorted({*ALLOWED, *SANDBOX_MAKING})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": errno.EPERM,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"],
        "syscalls": [
            {"names": allowed, "action": "SCMP_ACT_ALLOW"},
            {"names": list(NOT_IMPLEMENTED), "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
        ],
    }


if __name__ == "__main__":  # python -m grader.adapters.seccomp > deploy/k8s/node/gradeflow-grader.json
    import json

    print(json.dumps(container_profile(), indent=2))
