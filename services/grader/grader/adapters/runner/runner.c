/* The sandbox's PID 1: runs the program once per test case inside one sandbox, so the cost of
 * building namespaces is paid once per submission, not once per test.
 *
 *   runner SECCOMP_FD CPU_FD REPORT_FD LIMITS TESTS [--zygote] -- PROGRAM [ARGS...]
 *
 * The arguments, the report and the exit codes are defined once, in protocol.py (which passes the
 * exit codes as -D flags): TESTS holds the descriptors the grader opened for each test, and
 * optionally a directory under /box to run that test in (a checker's per-test files).
 *
 * For each test: fork; the child enters a mount and an IPC namespace of its own, mounts fresh
 * size-capped tmpfs on every place a test can write (/tmp, /dev/shm, /work), takes its triple as
 * 0/1/2, closes every other descriptor, sets the rlimits, drops every capability, loads the
 * seccomp filter (SECCOMP_FD: the runner itself holds CAP_SYS_ADMIN in the sandbox's user namespace
 * for exactly these mounts, and is not filtered) and execs the program. Nothing a test can write
 * lives outside its own namespaces, which die with its last process: the next test starts from
 * fresh mounts and a fresh IPC namespace whatever the program did to its own (permissions,
 * attributes, System V and POSIX IPC). The runner waits (wall clock bounded, and the CPU time of
 * the whole sandbox read from its cgroup on CPU_FD, so children the kernel reaps count too), then
 * kills whatever the program left behind (kill(-1) from PID 1 reaches every other process in the
 * namespace) and reports "status maxrss_kb cpu_us wall_us timed_out" per test on REPORT_FD — a
 * descriptor the program cannot reach (close-on-exec, closed in the child, and the runner is not
 * dumpable, so its /proc/1/fd is closed to the program). Measured here rather than from the grader
 * because a process forked from the grader would carry the grader's own memory peak in its
 * accounting.
 *
 * Started ahead of its job (`runner --serve FD`, the pool of ready sandboxes: sandbox_pool.py), the
 * runner (`runner SECCOMP_FD CPU_FD --serve FD`) waits on FD, a SOCK_SEQPACKET socket, for one
 * message: the rest of the command line above (from REPORT_FD),
 * NUL-separated, with the report's and the tests' descriptors attached; REPORT and TESTS then name
 * descriptors by their place among those attached (0, 1, ...). The namespaces were built while no
 * job was waiting; everything after the message is as above, and one sandbox still serves one job.
 *
 * With --zygote, PROGRAM is started once, with the limits, as a fork server (zygote.py: an
 * interpreter already started, holding no secret): per test the runner hands it the test's three
 * descriptors and the tmpfs size over a socket (fd 3 in the zygote; the seccomp filter on fd 4), it
 * forks a child that makes the same fresh namespaces, drops the same capabilities and loads the same
 * filter before it runs the code, and answers the child's pid. The child's parent is PID 1, the
 * runner, which waits for it, measures it and sweeps away everything but the zygote, exactly as
 * for an exec'd program. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <dirent.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
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

/* How often the sandbox's CPU time is read while a test runs: the most a test can spend past its
 * limit is this, times the CPUs the sandbox may use. */
#define CPU_POLL_US 10000L

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

/* Every place a test can write: a fresh tmpfs each, per test, in the test's own mount namespace. */
static const char *const WRITABLE[] = {"/tmp", "/dev/shm", "/work"};
static const char *const WRITABLE_MODE[] = {"1777", "1777", "755"};

/* What every test's child needs, set once per job: the seccomp filter (loaded into memory, so that
 * no descriptor of it reaches a program), the tmpfs size, the directory to start in, and the
 * sandbox's cgroup CPU counter (-1: none). */
static struct sock_filter *filter_code;
static unsigned short filter_len;
static unsigned long long tmpfs_bytes;
static char start_dir[256] = "/";
static int cpu_fd = -1;

static int load_filter(int fd) {
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
        st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) return -1;
    filter_code = malloc((size_t)st.st_size);
    if (!filter_code || pread(fd, filter_code, (size_t)st.st_size, 0) != st.st_size) return -1;
    filter_len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
    close(fd);
    return 0;
}

/* The sandbox's CPU time so far, in microseconds, from its cgroup (v1 cpuacct.usage: ns; v2
 * cpu.stat: usage_usec), or -1 without one. Every process of the sandbox counts, reaped or not. */
static long cgroup_cpu_us(void) {
    if (cpu_fd < 0) return -1;
    char text[512];
    ssize_t n = pread(cpu_fd, text, sizeof text - 1, 0);
    if (n <= 0) return -1;
    text[n] = 0;
    if (!strncmp(text, "usage_usec ", 11)) return atol(text + 11);
    return (long)(strtoull(text, NULL, 10) / 1000);
}

/* In the test's child, before it runs anything of the program's: its own mount and IPC namespaces
 * with fresh tmpfs, then no capability, no new privileges, and the seccomp filter. Any failure
 * ends the test before the program starts. */
static int enter_test(const char *dir) {
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0) return -1;
    char options[64];
    for (size_t i = 0; i < sizeof WRITABLE / sizeof *WRITABLE; i++) {
        snprintf(options, sizeof options, "size=%llu,mode=%s", tmpfs_bytes, WRITABLE_MODE[i]);
        if (mount("tmpfs", WRITABLE[i], "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) return -1;
    }
    if (chdir(start_dir) != 0) return -1;  /* by path again: the fresh /work, not the old one */
    if (dir[0] && (chdir("/box") != 0 || chdir(dir) != 0)) return -2;
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct none[2];
    memset(none, 0, sizeof none);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return -1;
    if (syscall(SYS_capset, &header, none) != 0) return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    if (filter_code) {
        struct sock_fprog program = {filter_len, filter_code};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) return -1;
    }
    return 0;
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
    /* The filter for its children, as a memory file on fd 4. */
    int filter = (int)syscall(SYS_memfd_create, "seccomp", 0);
    if (filter < 0 || (filter_code && write(filter, filter_code, filter_len * sizeof *filter_code) < 0) ||
        lseek(filter, 0, SEEK_SET) != 0 || dup2(filter, 4) < 0) _exit(EXIT_USAGE);
    syscall(SYS_close_range, 5, ~0U, 0);
    /* A test's CPU clock starts at its fork; the zygote's own limit bounds the zygote alone. */
    apply_limits(cpu_ms, as_bytes, nproc, file_bytes, stack_bytes);
    execvp(argv[0], argv);
    _exit(EXIT_EXEC);
}

/* Hand one test's descriptors (and the size of its tmpfs) to the zygote; returns the pid of the
 * child running it, or -1. */
static pid_t zygote_spawn(int sock, int in, int out, int err) {
    char size[32];
    int length = snprintf(size, sizeof size, "%llu", tmpfs_bytes);
    struct iovec iov = {size, (size_t)length};
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
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) != length) return -1;
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
    if (sscanf(argv[2], "%ld,%ld,%llu,%ld,%llu,%llu,%llu", &cpu_ms, &wall_ms, &as_bytes, &nproc, &file_bytes,
               &stack_bytes, &tmpfs_bytes) != 7) return EXIT_USAGE;
    if (!getcwd(start_dir, sizeof start_dir)) return EXIT_USAGE;
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
        long started = now_us(), cpu_before = cgroup_cpu_us();
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
            int entered = enter_test(dir);
            if (entered == -2) _exit(EXIT_CHDIR);
            if (entered != 0) _exit(EXIT_USAGE);
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
            /* The whole sandbox's CPU (children the kernel reaped included) past the limit, or
             * the wall clock past its own: the test is over. */
            long spent = cpu_before < 0 ? -1 : cgroup_cpu_us() - cpu_before;
            if (left <= 0 || spent > cpu_ms * 1000) {
                timed_out = 1;
                kill(pid, SIGKILL);
                wait4(pid, &status, 0, &ru);
                break;
            }
            if (cpu_before >= 0 && left > CPU_POLL_US) left = CPU_POLL_US;
            struct timespec ts = {left / 1000000, (left % 1000000) * 1000};
            sigtimedwait(&chld, NULL, &ts);  /* a child changed state, or time is up */
        }
        long wall = now_us() - started;
        if (zygote_mode) sweep_but(zygote);
        else reap_all();
        long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
        if (cpu_before >= 0) {
            long total = cgroup_cpu_us() - cpu_before;
            if (total > cpu_us) cpu_us = total;
        }
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
    if (argc < 4) return EXIT_USAGE;
    if (load_filter(atoi(argv[1])) != 0) return EXIT_USAGE;
    cpu_fd = atoi(argv[2]);
    if (cpu_fd >= 0) fcntl(cpu_fd, F_SETFD, FD_CLOEXEC);
    argv[2] = argv[0];
    argc -= 2, argv += 2;
    if (argc == 3 && strcmp(argv[1], "--serve") == 0) return serve(atoi(argv[2]), argv[0]);
    return run(argc, argv);
}
