/* Runs inside the sandbox as the program's parent: starts it, waits for it, and reports its exit
 * status, peak memory and CPU time on a descriptor the program cannot reach (close-on-exec).
 * Measured here rather than from the grader because a process forked from the grader would carry
 * the grader's own memory peak in its accounting. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) return 125;
    int report = atoi(argv[1]);
    if (fcntl(report, F_SETFD, FD_CLOEXEC) != 0) return 125;
    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return 125;
    long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    dprintf(report, "%d %ld %ld\n", status, ru.ru_maxrss, cpu_us);
    return 0;
}
