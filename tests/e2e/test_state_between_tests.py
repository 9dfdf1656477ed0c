"""Through the gateway's API, hidden tests first: a program that tries every way it knows to keep
state from one test to the next inside its sandbox — locking its writable roots against the clean-up
(chmod 0), POSIX message queues, System V message queues, extended attributes and timestamps of the
tmpfs roots themselves, a daemon that outlives the test — finds nothing of an earlier test, in
Python and in C, and no hidden input reaches the student."""

import json

import httpx
import pytest

from tests.support.api import classroom
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e

HIDDEN = ["HIDDEN-ALPHA", "HIDDEN-BETA"]
VISIBLE = ["VISIBLE-GAMMA", "VISIBLE-DELTA"]
TESTS = [
    {"stdin": f"{s}\n", "expected_stdout": "FOUND:\n", "weight": 1, "hidden": s in HIDDEN}
    for s in HIDDEN + VISIBLE
]

PYTHON = r"""
import ctypes, os, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
secret = sys.stdin.readline().strip()
found = []
# 1. files in the writable roots, which the previous test locked (chmod 0)
for root in ("/tmp", "/dev/shm", "/work"):
    try:
        found.append(open(root + "/leak").read())
    except OSError:
        pass
# 2. a POSIX message queue
libc.mq_open.restype = ctypes.c_int
q = libc.mq_open(b"/leak", os.O_RDONLY | os.O_NONBLOCK)
if q >= 0:
    buf = ctypes.create_string_buffer(8192)
    n = libc.mq_receive(q, buf, 8192, None)
    if n > 0:
        found.append(buf.raw[:n].decode())
# 3. a System V message queue
mid = libc.msgget(0x1eaf, 0)
if mid >= 0:
    buf = ctypes.create_string_buffer(8 + 256)
    n = libc.msgrcv(mid, buf, 256, 0, 0o4000)
    if n > 0:
        found.append(buf.raw[8 : 8 + n].decode())
# 4. an extended attribute of a root
for root in ("/tmp", "/dev/shm", "/work"):
    try:
        found.append(os.getxattr(root, "user.leak").decode())
    except OSError:
        pass
# 5. a root's timestamps (the secret's first four bytes as seconds past 10**11)
mtime = os.stat("/tmp").st_mtime_ns // 10**9
if mtime > 10**11:
    found.append((mtime - 10**11).to_bytes(4, "big").decode(errors="replace"))
# 6. a daemon of the previous test, listening on an abstract socket
import socket
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(0.2)
    s.connect("\0leak")
    found.append(s.recv(100).decode())
except OSError:
    pass
print("FOUND:" + "|".join(found))
sys.stdout.flush()
# Now save this test's input everywhere.
for root in ("/tmp", "/dev/shm", "/work"):
    try:
        open(root + "/leak", "w").write(secret)
    except OSError:
        pass
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
q = libc.mq_open(b"/leak", os.O_WRONLY | os.O_CREAT, 0o600, None)
if q >= 0:
    libc.mq_send(q, secret.encode(), len(secret), 0)
mid = libc.msgget(0x1eaf, 0o1000 | 0o600)
if mid >= 0:
    msg = struct.pack("l", 1) + secret.encode()
    libc.msgsnd(mid, msg, len(secret), 0)
for root in ("/tmp", "/dev/shm", "/work"):
    try:
        os.setxattr(root, "user.leak", secret.encode())
    except OSError:
        pass
try:
    t = 10**11 + int.from_bytes(secret.encode()[:4], "big")
    os.utime("/tmp", (t, t))
except OSError:
    pass
for root in ("/tmp", "/dev/shm", "/work"):
    try:
        os.chmod(root, 0)
    except OSError:
        pass
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            srv.bind("\0leak")
            srv.listen(4)
            while True:
                c, _ = srv.accept()
                c.sendall(secret.encode())
                c.close()
        except OSError:
            pass
    os._exit(0)
"""

C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
static const char *roots[] = {"/tmp", "/dev/shm", "/work"};
struct leakmsg { long type; char text[128]; };
int main(void) {
    char secret[128] = {0}, buf[8192], path[64];
    if (!fgets(secret, sizeof secret, stdin)) return 1;
    secret[strcspn(secret, "\n")] = 0;
    printf("FOUND:");
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/leak", roots[i]);
        FILE *f = fopen(path, "r");
        if (f) { if (fgets(buf, sizeof buf, f)) printf("%s|", buf); fclose(f); }
        ssize_t n = getxattr(roots[i], "user.leak", buf, sizeof buf - 1);
        if (n > 0) { buf[n] = 0; printf("%s|", buf); }
    }
    mqd_t q = mq_open("/leak", O_RDONLY | O_NONBLOCK);
    if (q != (mqd_t)-1) { ssize_t n = mq_receive(q, buf, sizeof buf, NULL); if (n > 0) { buf[n] = 0; printf("%s|", buf); } }
    int mid = msgget(0x1eaf, 0);
    struct leakmsg m;
    if (mid >= 0) { ssize_t n = msgrcv(mid, &m, sizeof m.text - 1, 0, IPC_NOWAIT); if (n > 0) { m.text[n] = 0; printf("%s|", m.text); } }
    struct stat st;
    if (stat("/tmp", &st) == 0 && st.st_mtime > 100000000000L) printf("mtime:%ld|", (long)st.st_mtime);
    printf("\n");
    fflush(stdout);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/leak", roots[i]);
        FILE *f = fopen(path, "w");
        if (f) { fputs(secret, f); fclose(f); }
        setxattr(roots[i], "user.leak", secret, strlen(secret), 0);
    }
    struct mq_attr attr = {0, 4, 128, 0};
    q = mq_open("/leak", O_WRONLY | O_CREAT, 0600, &attr);
    if (q != (mqd_t)-1) mq_send(q, secret, strlen(secret), 0);
    mid = msgget(0x1eaf, IPC_CREAT | 0600);
    if (mid >= 0) { m.type = 1; strcpy(m.text, secret); msgsnd(mid, &m, strlen(secret), 0); }
    struct timespec times[2] = {{100000000000L + (long)secret[0], 0}, {100000000000L + (long)secret[0], 0}};
    utimensat(AT_FDCWD, "/tmp", times, 0);
    for (int i = 0; i < 3; i++) chmod(roots[i], 0);
    return 0;
}
"""


@pytest.mark.parametrize("language", ["python", "c"])
async def test_no_state_survives_from_one_test_to_the_next(gateway: httpx.AsyncClient, language: str) -> None:
    room = await classroom(gateway, students=1, tests=TESTS)
    _, student = room.students[0]
    source = PYTHON if language == "python" else C
    body = {"assignment_id": room.assignment_id, "language": language, "source": source}
    r = await gateway.post("/v1/submissions", json=body, headers=student)
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    student_view = (await wait_graded(gateway, {sid: student}, timeout=120))[sid]
    teacher_view = (await gateway.get(f"/v1/submissions/{sid}", headers=room.teacher)).json()
    outputs = [t["stdout"] for t in teacher_view["tests"]]
    assert outputs == ["FOUND:\n"] * 4, outputs
    assert (student_view["verdict"], student_view["score"]) == ("accepted", 4)
    assert not any(secret in json.dumps(student_view) for secret in HIDDEN)
