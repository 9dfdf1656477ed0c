/* The sandbox's PID 1: runs the program once per test case inside one sandbox, so the cost of
 * building namespaces is paid once per submission, not once per test.
 *
 *   runner REPORT_FD LIMITS TESTS -- PROGRAM [ARGS...]
 *   LIMITS = cpu_ms,wall_ms,address_space_bytes(0 = none),processes,file_bytes,stack_bytes
 *   TESTS  = in,out,err[,dir];...   (descriptors opened by the grader, one triple per test, and
 *            optionally a directory under /box to run that test in: a checker's per-test files)
 *
 * For each test: fork; the child takes its triple as 0/1/2, closes every other descriptor, sets
 * the rlimits and execs the program. The runner waits (wall clock bounded), then kills whatever
 * the program left behind (kill(-1) from PID 1 reaches every other process in the namespace) and
 * reports "status maxrss_kb cpu_us wall_us timed_out" per test on REPORT_FD — a descriptor the
 * program cannot reach (close-on-exec, closed in the child, and the runner is not dumpable, so its
 * /proc/1/fd is closed to the program). Measured here rather than from the grader because a
 * process forked from the grader would carry the grader's own memory peak in its accounting. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[4], "--") != 0) return 125;
    int report = atoi(argv[1]);
    long cpu_ms, wall_ms, nproc;
    unsigned long long as_bytes, file_bytes, stack_bytes;
    if (sscanf(argv[2], "%ld,%ld,%llu,%ld,%llu,%llu", &cpu_ms, &wall_ms, &as_bytes, &nproc, &file_bytes,
               &stack_bytes) != 6) return 125;
    prctl(PR_SET_DUMPABLE, 0);
    fcntl(report, F_SETFD, FD_CLOEXEC);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    char *tests = argv[3], *saveptr = NULL;
    for (char *test = strtok_r(tests, ";", &saveptr); test; test = strtok_r(NULL, ";", &saveptr)) {
        int in, out, err;
        char dir[64] = "";
        if (sscanf(test, "%d,%d,%d,%63[A-Za-z0-9_-]", &in, &out, &err, dir) < 3) return 125;
        long started = now_us();
        pid_t pid = fork();
        if (pid < 0) return 125;
        if (pid == 0) {
            sigprocmask(SIG_UNBLOCK, &chld, NULL);
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            syscall(SYS_close_range, 3, ~0U, 0);
            if (dir[0] && chdir(dir) != 0) _exit(126);
            limit(RLIMIT_CPU, (cpu_ms + 999) / 1000 + 1);
            if (as_bytes) limit(RLIMIT_AS, as_bytes);
            limit(RLIMIT_NPROC, nproc);
            limit(RLIMIT_FSIZE, file_bytes);
            limit(RLIMIT_STACK, stack_bytes);
            limit(RLIMIT_CORE, 0);
            limit(RLIMIT_NOFILE, 64);
            execvp(argv[5], argv + 5);
            _exit(127);
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
        reap_all();
        long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
        dprintf(report, "%d %ld %ld %ld %d\n", status, ru.ru_maxrss, cpu_us, wall, timed_out);
    }
    return 0;
}
