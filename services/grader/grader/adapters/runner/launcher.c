/* The grader's launcher, on the host: starts bubblewrap in the sandbox's cgroup as the slot's
 * unprivileged user. Done here rather than in Python between fork and exec: a Python callback in
 * the child of a large process costs milliseconds and rules out vfork; this costs microseconds.
 *
 *   launcher UID NOFILE [CGROUP_PROCS_FILE ...] -- COMMAND [ARGS...]
 *
 * Joins each cgroup (while still privileged to), bounds open files and core dumps, drops to UID
 * (when run as root: else the user namespace isolates it), then execs COMMAND. Errors go to
 * stderr prefixed "launcher:", with the protocol's exit codes (protocol.py, as -D flags). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if !defined(EXIT_USAGE) || !defined(EXIT_EXEC)
#error "compile with the flags of protocol.compile_flags()"
#endif

int main(int argc, char **argv) {
    if (argc < 5) return EXIT_USAGE;
    uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
    rlim_t nofile = (rlim_t)strtoul(argv[2], NULL, 10);
    int i = 3;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || dprintf(fd, "%d", (int)getpid()) < 0) {
            fprintf(stderr, "launcher: cannot join %s: %m\n", argv[i]);
            return EXIT_USAGE;
        }
        close(fd);
    }
    if (i + 1 >= argc) return EXIT_USAGE;
    struct rlimit files = {nofile, nofile}, core = {0, 0};
    if (setrlimit(RLIMIT_NOFILE, &files) != 0 || setrlimit(RLIMIT_CORE, &core) != 0) {
        fprintf(stderr, "launcher: cannot set its limits: %m\n");
        return EXIT_USAGE;
    }
    if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0)) {
        fprintf(stderr, "launcher: cannot become uid %u: %m\n", (unsigned)uid);
        return EXIT_USAGE;
    }
    execv(argv[i + 1], argv + i + 1);
    fprintf(stderr, "launcher: cannot start %s: %m\n", argv[i + 1]);
    return EXIT_EXEC;
}
