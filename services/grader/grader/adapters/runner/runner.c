/* The sandbox's PID 1: runs the program once per test case inside one sandbox, so the cost of
 * building namespaces is paid once per submission, not once per test.
 *
 *   runner REPORT_FD LIMITS TESTS [--zygote] -- PROGRAM [ARGS...]
 *
 * The arguments, the report and the exit codes are defined once, in protocol.py (which passes the
 * exit codes as -D flags): TESTS holds the descriptors the grader opened for each test, and
 * optionally a directory under /box to run that test in (a checker's per-test files).
 *
 * For each test: fork; the child takes its triple as 0/1/2, closes every other descriptor, sets
 * the rlimits and execs the program. The runner waits (wall clock bounded), then kills whatever
 * the program left behind (kill(-1) from PID 1 reaches every other process in the namespace),
 * empties every place a test can write (/tmp, /dev/shm, /work) and removes the namespace's System V
 * IPC objects, so that the next test starts from the same state, and reports "status maxrss_kb cpu_us wall_us timed_out" per test on REPORT_FD — a descriptor the
 * program cannot reach (close-on-exec, closed in the child, and the runner is not dumpable, so its
 * /proc/1/fd is closed to the program). Measured here rather than from the grader because a
 * process forked from the grader would carry the grader's own memory peak in its accounting.
 *
 * Started ahead of its job (`runner --serve FD`, the pool of ready sandboxes: sandbox_pool.py), the
 * runner waits on FD, a SOCK_SEQPACKET socket, for one message: the rest of the command line above,
 * NUL-separated, with the report's and the tests' descriptors attached; REPORT and TESTS then name
 * descriptors by their place among those attached (0, 1, ...). The namespaces were built while no
 * job was waiting; everything after the message is as above, and one sandbox still serves one job.
 *
 * With --zygote, PROGRAM is started once, with the limits, as a fork server (zygote.py: an
 * interpreter already started, holding no secret): per test the runner hands it the test's three
 * descriptors over a socket (fd 3 in the zygote), it double-forks a child that runs the code, and
 * answers the child's pid. The child is thereby orphaned to PID 1, the runner, which waits for it,
 * measures it and sweeps away everything but the zygote, exactly as for an exec'd program. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <dirent.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !defined(EXIT_USAGE) || !defined(EXIT_CHDIR) || !defined(EXIT_EXEC)
#error "compile with the flags of protocol.compile_flags()"
#endif

/* Descriptors received with a job (--serve), which REPORT and TESTS name by index; without one,
 * (nserved < 0), they name descriptors by number. */
#define MAX_SERVED 253  /* SCM_MAX_FD: the kernel's bound on descriptors in one message */
static int served[MAX_SERVED];
static int nserved = -1;

static int fd_of(int n) {
    if (nserved < 0) return n;
    return n >= 0 && n < nserved ? served[n] : -1;
}

static long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void limit(int resource, rlim_t value) {
    struct rlimit rl = {value, value};
    if (resource == RLIMIT_CPU) rl.rlim_max = value + 1;
    setrlimit(resource, &rl);
}

static void reap_all(void) {
    kill(-1, SIGKILL);  /* every process of the namespace but PID 1 */
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
}

/* Kill every process of the namespace but PID 1 and `keep`; returns how many were seen. */
static int kill_others(pid_t keep) {
    DIR *proc = opendir("/proc");
    if (!proc) return 0;
    int seen = 0;
    for (struct dirent *e; (e = readdir(proc));) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid > 1 && pid != keep) {
            kill(pid, SIGKILL);
            seen++;
        }
    }
    closedir(proc);
    return seen;
}

/* After a test in zygote mode: nothing of it may remain, and the zygote must stay. */
static void sweep_but(pid_t keep) {
    long deadline = now_us() + 2000000;
    for (;;) {
        int seen = kill_others(keep);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        if (!seen || now_us() > deadline) return;
        usleep(500);
    }
}

/* Every place a test can write, emptied after each test: the next one starts from the same state
 * (a hidden test's input saved to /tmp is gone before a visible test runs). */
static const char *const WRITABLE[] = {"/tmp", "/dev/shm", "/work"};

static void empty_dir(int dirfd) {
    DIR *dir = fdopendir(dirfd);
    if (!dir) { close(dirfd); return; }
    for (struct dirent *e; (e = readdir(dir));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            fchmodat(dirfd, e->d_name, 0700, 0);  /* a test may have locked its own folder */
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) empty_dir(sub);
            unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
        } else {
            unlinkat(dirfd, e->d_name, 0);
        }
    }
    closedir(dir);
}

/* System V IPC objects outlive their processes: remove every one in the sandbox's namespace. */
static void remove_ipc(void) {
    struct shm_info shm;
    int top = shmctl(0, SHM_INFO, (struct shmid_ds *)&shm);
    for (int i = 0; i <= top; i++) {
        struct shmid_ds ds;
        int id = shmctl(i, SHM_STAT, &ds);
        if (id >= 0) shmctl(id, IPC_RMID, NULL);
    }
    struct seminfo sem;
    top = semctl(0, 0, SEM_INFO, (void *)&sem);
    for (int i = 0; i <= top; i++) {
        struct semid_ds ds;
        int id = semctl(i, 0, SEM_STAT, &ds);
        if (id >= 0) semctl(id, 0, IPC_RMID);
    }
    struct msginfo msg;
    top = msgctl(0, MSG_INFO, (struct msqid_ds *)&msg);
    for (int i = 0; i <= top; i++) {
        struct msqid_ds ds;
        int id = msgctl(i, MSG_STAT, &ds);
        if (id >= 0) msgctl(id, IPC_RMID, NULL);
    }
}

static void reset_writable(void) {
    for (size_t i = 0; i < sizeof WRITABLE / sizeof *WRITABLE; i++) {
        int fd = open(WRITABLE[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) empty_dir(fd);
    }
    remove_ipc();
}

static void apply_limits(long cpu_ms, unsigned long long as_bytes, long nproc, unsigned long long file_bytes,
                         unsigned long long stack_bytes) {
    limit(RLIMIT_CPU, (cpu_ms + 999) / 1000 + 1);
    if (as_bytes) limit(RLIMIT_AS, as_bytes);
    limit(RLIMIT_NPROC, nproc);
    limit(RLIMIT_FSIZE, file_bytes);
    limit(RLIMIT_STACK, stack_bytes);
    limit(RLIMIT_CORE, 0);
    limit(RLIMIT_NOFILE, 64);
}

/* Start the zygote: its end of the socket as fd 3, stdin from /dev/null, the limits set. */
static pid_t start_zygote(char **argv, int sock, unsigned long long as_bytes, long nproc, long cpu_ms,
                          unsigned long long file_bytes, unsigned long long stack_bytes, sigset_t *chld) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    sigprocmask(SIG_UNBLOCK, chld, NULL);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(sock, 3);
    syscall(SYS_close_range, 4, ~0U, 0);
    /* A test's CPU clock starts at its fork; the zygote's own limit bounds the zygote alone. */
    apply_limits(cpu_ms, as_bytes, nproc, file_bytes, stack_bytes);
    execvp(argv[0], argv);
    _exit(EXIT_EXEC);
}

/* Hand one test's descriptors to the zygote; returns the pid of the child running it, or -1. */
static pid_t zygote_spawn(int sock, int in, int out, int err) {
    char byte = 't';
    struct iovec iov = {&byte, 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(3 * sizeof(int))]; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(3 * sizeof(int));
    int fds[3] = {in, out, err};
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) return -1;
    char answer[32] = {0};
    ssize_t n = read(sock, answer, sizeof answer - 1);
    return n > 0 ? (pid_t)atoi(answer) : -1;
}

static int run(int argc, char **argv) {
    int zygote_mode = argc > 6 && strcmp(argv[4], "--zygote") == 0;
    int program = zygote_mode ? 6 : 5;
    if (argc <= program || strcmp(argv[program - 1], "--") != 0) return EXIT_USAGE;
    int report = fd_of(atoi(argv[1]));
    if (report < 0) return EXIT_USAGE;
    long cpu_ms, wall_ms, nproc;
    unsigned long long as_bytes, file_bytes, stack_bytes;
    if (sscanf(argv[2], "%ld,%ld,%llu,%ld,%llu,%llu", &cpu_ms, &wall_ms, &as_bytes, &nproc, &file_bytes,
               &stack_bytes) != 6) return EXIT_USAGE;
    prctl(PR_SET_DUMPABLE, 0);
    fcntl(report, F_SETFD, FD_CLOEXEC);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    int socks[2] = {-1, -1};
    pid_t zygote = -1;
    if (zygote_mode) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socks) != 0) return EXIT_USAGE;
        /* The runner and the zygote count against the process limit too: two more. */
        zygote = start_zygote(argv + program, socks[1], as_bytes, nproc + 2, cpu_ms, file_bytes,
                              stack_bytes, &chld);
        close(socks[1]);
        if (zygote < 0) return EXIT_USAGE;
        char ready[8];  /* wait for its start-up, which no test's clock should count */
        if (read(socks[0], ready, sizeof ready) <= 0) {}  /* it failed: every test then says so */
    }

    char *tests = argv[3], *saveptr = NULL;
    for (char *test = strtok_r(tests, ";", &saveptr); test; test = strtok_r(NULL, ";", &saveptr)) {
        int in, out, err;
        char dir[64] = "";
        if (sscanf(test, "%d,%d,%d,%63[A-Za-z0-9_-]", &in, &out, &err, dir) < 3) return EXIT_USAGE;
        in = fd_of(in), out = fd_of(out), err = fd_of(err);
        if (in < 0 || out < 0 || err < 0) return EXIT_USAGE;
        long started = now_us();
        pid_t pid;
        if (zygote_mode) {
            pid = zygote_spawn(socks[0], in, out, err);
            if (pid <= 0) {  /* the zygote is gone (the program may have killed it) */
                dprintf(report, "%d 0 0 %ld 0\n", EXIT_USAGE << 8, now_us() - started);
                continue;
            }
        } else {
            pid = fork();
            if (pid < 0) return EXIT_USAGE;
        }
        if (pid == 0) {
            sigprocmask(SIG_UNBLOCK, &chld, NULL);
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            syscall(SYS_close_range, 3, ~0U, 0);
            if (dir[0] && (chdir("/box") != 0 || chdir(dir) != 0)) _exit(EXIT_CHDIR);
            apply_limits(cpu_ms, as_bytes, nproc, file_bytes, stack_bytes);
            execvp(argv[program], argv + program);
            _exit(EXIT_EXEC);
        }
        int status = 0, timed_out = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        for (;;) {
            pid_t done = wait4(pid, &status, WNOHANG, &ru);
            if (done == pid) break;
            long left = wall_ms * 1000 - (now_us() - started);
            if (left <= 0) {
                timed_out = 1;
                kill(pid, SIGKILL);
                wait4(pid, &status, 0, &ru);
                break;
            }
            struct timespec ts = {left / 1000000, (left % 1000000) * 1000};
            sigtimedwait(&chld, NULL, &ts);  /* a child changed state, or time is up */
        }
        long wall = now_us() - started;
        if (zygote_mode) sweep_but(zygote);
        else reap_all();
        reset_writable();
        long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
        dprintf(report, "%d %ld %ld %ld %d\n", status, ru.ru_maxrss, cpu_us, wall, timed_out);
    }
    if (zygote_mode) reap_all();
    return 0;
}

/* Wait for one job on `sock` (see the top of this file), then run it. */
static int serve(int sock, char *self) {
    static char text[65536];
    union { struct cmsghdr h; char buf[CMSG_SPACE(MAX_SERVED * sizeof(int))]; } ctl;
    struct iovec iov = {text, sizeof text - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof ctl.buf};
    ssize_t n;
    do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n <= 0) return 0;  /* the grader closed its end: let go unused */
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) return EXIT_USAGE;
    close(sock);
    text[n] = 0;
    nserved = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        if (nserved + count > MAX_SERVED) return EXIT_USAGE;
        memcpy(served + nserved, CMSG_DATA(c), (size_t)count * sizeof(int));
        nserved += count;
    }
    static char *args[1024];
    int argc = 0;
    args[argc++] = self;
    for (char *p = text; p < text + n; p += strlen(p) + 1) {
        if (argc == sizeof args / sizeof *args - 1) return EXIT_USAGE;
        args[argc++] = p;
    }
    args[argc] = NULL;
    return run(argc, args);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--serve") == 0) return serve(atoi(argv[2]), argv[0]);
    return run(argc, argv);
}
