/* script_server.h: a scripted HTTP server for the client's tests
 * (test_http_conn.c): a thread on a loopback port that answers each
 * request, in order over all its connections, with the next answer of its
 * script, written in timed pieces, closing the connection after it if the
 * script says so; once the script is spent it reads and answers nothing.
 * It counts the connections it accepted and the requests it read. */
#ifndef AGL_SCRIPT_SERVER_H
#define AGL_SCRIPT_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct answer {
    const char *text;              /* '|' marks a 20 ms pause between writes */
    bool close_after;
};

struct srv {
    int lfd, port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int accepts, requests;
    const struct answer *script;
    int n;
};

/* Listens on 127.0.0.1 (AF_INET) or ::1 (AF_INET6) on a free port and
 * starts serving; -1 if that family is not there. */
int srv_start(struct srv *s, int family, const struct answer *script, int n);
/* Stops the thread (within ~20 ms) and closes the port. */
void srv_stop(struct srv *s);

#endif
