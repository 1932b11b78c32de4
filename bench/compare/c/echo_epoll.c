/*
 * echo_epoll: minimal single-threaded, level-triggered epoll TCP echo server.
 *
 *   ./echo_epoll PORT        (listens on 127.0.0.1:PORT)
 *
 * One shared 64 KiB read buffer. Whatever is read is written straight back;
 * if the socket send buffer is full, the unsent tail is kept for that
 * connection, reading from it stops (EPOLLIN off) and EPOLLOUT is awaited.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MAX_EVENTS 1024

struct pending {
    char *data;
    size_t off, len;
};

static struct pending *pend;   /* indexed by fd */
static size_t pend_cap;
static int ep;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static struct pending *pending_for(int fd)
{
    if ((size_t)fd >= pend_cap) {
        size_t cap = pend_cap ? pend_cap : 1024;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct pending *p = realloc(pend, cap * sizeof *p);
        if (!p)
            die("realloc");
        memset(p + pend_cap, 0, (cap - pend_cap) * sizeof *p);
        pend = p;
        pend_cap = cap;
    }
    return &pend[fd];
}

static void close_conn(int fd)
{
    struct pending *p = pending_for(fd);
    free(p->data);
    p->data = NULL;
    p->off = p->len = 0;
    close(fd); /* also removes it from the epoll set */
}

static void set_events(int fd, unsigned events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0)
        die("epoll_ctl MOD");
}

/* Write buf[0..len) to fd; keep what does not fit. Returns -1 on error. */
static int send_or_keep(int fd, const char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w > 0) {
            done += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pending *p = pending_for(fd);
            p->data = malloc(len - done);
            if (!p->data)
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

static void on_readable(int fd, char *buf)
{
    for (;;) {
        ssize_t r = read(fd, buf, BUF_SIZE);
        if (r > 0) {
            if (send_or_keep(fd, buf, (size_t)r) < 0) {
                close_conn(fd);
                return;
            }
            if (pending_for(fd)->data) /* waiting for EPOLLOUT */
                return;
            if (r < BUF_SIZE) /* drained; level-triggered will call again */
                return;
        } else if (r == 0) {
            close_conn(fd);
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            close_conn(fd);
            return;
        }
    }
}

static void on_writable(int fd)
{
    struct pending *p = pending_for(fd);
    while (p->off < p->len) {
        ssize_t w = write(fd, p->data + p->off, p->len - p->off);
        if (w > 0) {
            p->off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            close_conn(fd);
            return;
        }
    }
    free(p->data);
    p->data = NULL;
    p->off = p->len = 0;
    set_events(fd, EPOLLIN);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "bad port: %s\n", argv[1]);
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
    if (listen(lfd, SOMAXCONN) < 0)
        die("listen");

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
        die("epoll_ctl ADD listener");
    fprintf(stderr, "epoll echo listening on 127.0.0.1:%d\n", port);

    char *buf = malloc(BUF_SIZE);
    if (!buf)
        die("malloc");
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
                    pending_for(c); /* make sure the slot exists */
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
                on_readable(fd, buf);
        }
    }
}
