/*
 * The pod sandbox's init process: holds the pod's namespaces open, sleeps until SIGTERM or SIGINT (then
 * exits 0) and reaps any child that is reparented to it (it is PID 1 of a shared PID namespace).
 * Built by scripts/runtime.sh with `gcc -static -O2`; it becomes 127.0.0.1:5000/library/pause:3.10.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_stop(int sig) {
    (void)sig;
    stopping = 1;
}

static void on_child(int sig) {
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static int handle(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = sig == SIGCHLD ? SA_NOCLDSTOP | SA_RESTART : 0;
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, NULL);
}

int main(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        puts("pause (kubesharp) 3.10");
        return 0;
    }
    if (getpid() != 1) {
        fprintf(stderr, "pause: warning: not PID 1\n");
    }
    if (handle(SIGTERM, on_stop) < 0 || handle(SIGINT, on_stop) < 0 || handle(SIGCHLD, on_child) < 0) {
        perror("pause: sigaction");
        return 1;
    }
    /* SIGTERM and SIGINT are blocked except inside sigsuspend, so one that arrives between the test of
     * `stopping` and the wait is not lost (pause() would then sleep until another signal). */
    sigset_t stop, previous;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, &previous);
    while (!stopping) {
        sigsuspend(&previous);
    }
    return 0;
}
