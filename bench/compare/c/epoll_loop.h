/*
 * epoll_loop.h: the part the two C reference servers (echo_epoll.c, http_epoll.c) share: a
 * loopback listener, a single-threaded level-triggered epoll loop that accepts connections
 * (TCP_NODELAY, non-blocking) and dispatches their events, and the handling of a write that does
 * not fit in the socket's send buffer (keep the tail, wait for EPOLLOUT, stop reading meanwhile).
 */
#ifndef EPOLL_LOOP_H
#define EPOLL_LOOP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 1024

static int ep;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void set_events(int fd, unsigned events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0)
        die("epoll_ctl MOD");
}

/* Bytes of a connection's response that did not fit in its socket yet (data NULL: none). */
struct pending {
    char *data;
    size_t off, len;
};

static void pending_clear(struct pending *p)
{
    free(p->data);
    p->data = NULL;
    p->off = p->len = 0;
}

/*
 * Writes buf[0..len) to fd; what does not fit goes to p, and the connection waits for EPOLLOUT
 * instead of EPOLLIN. Returns -1 on an error (the caller closes the connection), else 0.
 */
static int write_or_keep(int fd, struct pending *p, const char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w > 0) {
            done += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!(p->data = malloc(len - done)))
                die("malloc");
            memcpy(p->data, buf + done, len - done);
            p->off = 0;
            p->len = len - done;
            set_events(fd, EPOLLOUT);
            return 0;
        } else {
            return -1;
        }
    }
    return 0;
}

/*
 * On EPOLLOUT: writes what p keeps. Returns 1 when all is written (the connection waits for
 * EPOLLIN again), 0 while some is left, -1 on an error (the caller closes the connection).
 */
static int flush_pending(int fd, struct pending *p)
{
    while (p->off < p->len) {
        ssize_t w = write(fd, p->data + p->off, p->len - p->off);
        if (w > 0)
            p->off += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        else
            return -1;
    }
    pending_clear(p);
    set_events(fd, EPOLLIN);
    return 1;
}

/*
 * Listens on 127.0.0.1:argv[1] (backlog 4096) and runs the loop forever: on_open(fd) after each
 * accept, on_writable(fd) on EPOLLOUT, else on_readable(fd). Returns 2 on a usage error.
 */
static int serve(int argc, char **argv, const char *name,
                 void (*on_open)(int), void (*on_readable)(int), void (*on_writable)(int))
{
    int port = argc == 2 ? atoi(argv[1]) : 0;
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("bind");
    if (listen(lfd, 4096) < 0)
        die("listen");
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
        die("epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
        die("epoll_ctl ADD listener");
    fprintf(stderr, "%s listening on 127.0.0.1:%d\n", name, port);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) {
                        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
                            && errno != ECONNABORTED)
                            perror("accept4");
                        break;
                    }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    on_open(c);
                    struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0)
                        die("epoll_ctl ADD conn");
                }
                continue;
            }
            unsigned e = events[i].events;
            if (e & EPOLLOUT)
                on_writable(fd);
            else if (e & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(fd);
        }
    }
}

#endif
