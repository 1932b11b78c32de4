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
#include <string.h>
#include <unistd.h>

#include "epoll_loop.h"

#define BUF_SIZE (64 * 1024)

struct pending {
    char *data;
    size_t off, len;
};

static struct pending *pend;   /* indexed by fd */
static size_t pend_cap;
static char buf[BUF_SIZE];     /* the one read buffer */

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

static void on_readable(int fd)
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

static void on_open(int fd)
{
    pending_for(fd); /* make sure the slot exists */
}

int main(int argc, char **argv)
{
    return serve(argc, argv, "epoll echo", on_open, on_readable, on_writable);
}
