"""The Python fork server inside the sandbox (see runner.c, --zygote): an interpreter started once
per submission, forked once per test, so a test pays a fork (about 1 ms) instead of an interpreter
start-up (about 9 ms). The runner is the child's parent (clone with CLONE_PARENT), so it waits for
and measures the child as it would a program it started.

It holds nothing secret: it runs in the sandbox as the sandbox's user, with the sandbox's clean
environment, and it never sees a test's data but the descriptors of the test it is forking for. It
is not dumpable, so a test's program can neither trace it nor read its memory or descriptors. Its
limits were set by the runner before it started; a test's program inherits them and cannot raise
them. Like the runner it keeps CAP_SYS_ADMIN in the sandbox's user namespace and no seccomp filter,
for one purpose: each child, before it runs a line of the test's code, enters a mount and an IPC
namespace of its own with fresh tmpfs on /tmp, /dev/shm and /work, then drops every capability and
loads the filter (fd 4) — as runner.c's enter_test does for an exec'd program. What the program
sees is what `python3 -I -S main.py` would show: a fresh __main__ module, sys.argv and sys.path as
for a script (-I: the script's folder is not on the path), the same flags, and the interpreter's
normal exit (atexit handlers, non-daemon threads joined, streams flushed).

    python3 -I -S zygote.py /box/main.py     (fd 3: the runner's socket; fd 4: the seccomp filter)
"""

import ctypes
import os
import socket
import sys
import types

PR_SET_DUMPABLE = 4
_libc = ctypes.CDLL(None, use_errno=True)

with os.fdopen(4, "rb") as _filter_file:
    FILTER = _filter_file.read()
WRITABLE = ((b"/tmp", b"1777"), (b"/dev/shm", b"1777"), (b"/work", b"755"))  # as runner.c's
CLONE_NEWNS, CLONE_NEWIPC, MS_NOSUID, MS_NODEV = 0x00020000, 0x08000000, 2, 4
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
SECCOMP_SET_MODE_FILTER, CAPABILITY_VERSION_3 = 1, 0x20080522
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)
SYS_SECCOMP = {"x86_64": 317, "aarch64": 277}.get(os.uname().machine)


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _enter_test(libc: ctypes.CDLL, tmpfs_bytes: int) -> None:
    """Fresh mounts and IPC, no capability, the filter: or the child ends before the test's code."""
    ok = libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) == 0
    for place, mode in WRITABLE:
        options = b"size=%d,mode=%s" % (tmpfs_bytes, mode)
        ok = ok and libc.mount(b"tmpfs", place, b"tmpfs", MS_NOSUID | MS_NODEV, options) == 0
    try:
        os.chdir("/work")
    except OSError:
        ok = False
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    none = (ctypes.c_uint32 * 6)()
    ok = ok and SYS_CAPSET is not None and SYS_SECCOMP is not None
    ok = ok and libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0
    ok = ok and libc.syscall(SYS_CAPSET, header, none) == 0
    ok = ok and libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    if ok and FILTER:
        program = _Filter(len(FILTER) // 8, FILTER)
        ok = libc.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(program)) == 0
    if not ok:
        os._exit(125)  # the runner's EXIT_USAGE: the sandbox could not set the test up


PATH = sys.argv[1]
with open(PATH, "rb") as f:
    SOURCE = f.read()
CODE: types.CodeType | None
try:
    CODE = compile(SOURCE, PATH, "exec")  # once for every test
except (SyntaxError, ValueError):
    CODE = None  # each test reports the error, as a fresh interpreter would


# clone(CLONE_PARENT | SIGCHLD): a child whose parent is the zygote's, the runner, which waits for
# it and measures it. One fork per test instead of two (a fork and an orphaning intermediate): a
# fork costs about half a millisecond in the sandbox's memory cgroup.
CLONE_PARENT, SIGCHLD = 0x8000, 17
SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
_syscall = ctypes.PyDLL(None).syscall  # a PyDLL keeps the GIL across the call, as os.fork does
_syscall.restype = ctypes.c_long


def _fork_sibling() -> int:
    """As os.fork (the interpreter's fork hooks around it), the child a sibling of the zygote."""
    if SYS_CLONE is None:
        return _fork_orphan()
    ctypes.pythonapi.PyOS_BeforeFork()
    pid = _syscall(SYS_CLONE, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
    else:
        ctypes.pythonapi.PyOS_AfterFork_Parent()
    return -1 if pid < 0 else int(pid)


def _fork_orphan() -> int:
    """Where clone's number is not known: fork twice, the child orphaned to the runner (PID 1)."""
    pid_r, pid_w = os.pipe()
    intermediate = os.fork()
    if intermediate == 0:
        os.close(pid_r)
        try:
            child = os.fork()
        except OSError:
            os._exit(1)
        if child == 0:
            os.close(pid_w)
            return 0
        os.write(pid_w, str(child).encode())
        os._exit(0)
    os.close(pid_w)
    pid = os.read(pid_r, 32)
    os.close(pid_r)
    os.waitpid(intermediate, 0)  # by now the child is an orphan, adopted by the runner (PID 1)
    return int(pid or b"-1")


def _serve(control: socket.socket, libc: ctypes.CDLL) -> None:
    """Fork a child per request; return (in the child only) once its descriptors are in place and
    it is in the test's own namespaces."""
    while True:
        try:
            size, fds, _, _ = socket.recv_fds(control, 32, 3)
        except OSError:
            os._exit(0)
        if len(fds) != 3:
            os._exit(0)  # the runner closed its end: no more tests
        pid = _fork_sibling()
        if pid == 0:
            control.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            os.closerange(3, 1024)
            _enter_test(libc, int(size))
            return
        for fd in fds:
            os.close(fd)
        control.sendall(str(pid).encode() + b"\n")


def _exit_status(stop: SystemExit) -> int:
    """What the interpreter makes of SystemExit: None is 0, an int is itself, else printed and 1."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code & 0xFF
    print(stop.code, file=sys.stderr)
    return 1


def _finish(status: int) -> int:
    """The interpreter's exit, less the teardown of every module (milliseconds, and unobservable):
    non-daemon threads joined, atexit handlers run, the standard streams flushed."""
    import atexit

    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120  # as Python does when flushing stdout fails at exit
    return status


_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # before the first fork: no test may trace the zygote
_control = socket.socket(fileno=3)
_control.sendall(b"ready\n")
_serve(_control, _libc)
del _control

# The child: become the script, as `python3 -I -S /box/main.py` would have.
_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
del _libc
sys.argv = [PATH]
if CODE is None:
    try:
        CODE = compile(SOURCE, PATH, "exec")
    except (SyntaxError, ValueError) as error:
        sys.excepthook(type(error), error.with_traceback(None), None)  # as Python: no traceback
        os._exit(1)
main = types.ModuleType("__main__")
main.__file__ = PATH
main.__dict__["__builtins__"] = __builtins__
sys.modules["__main__"] = main
status = 0
try:
    exec(CODE, main.__dict__)
except SystemExit as stop:
    status = _exit_status(stop)
except BaseException as error:
    # As the interpreter would print it, without this file's frame.
    if error.__traceback__ is not None:
        error = error.with_traceback(error.__traceback__.tb_next)
    sys.excepthook(type(error), error, error.__traceback__)
    status = 1
os._exit(_finish(status))
