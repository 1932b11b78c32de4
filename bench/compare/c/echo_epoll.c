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
    pending_clear(pending_for(fd));
    close(fd); /* also removes it from the epoll set */
}

static void on_readable(int fd)
{
    for (;;) {
        ssize_t r = read(fd, buf, BUF_SIZE);
        if (r > 0) {
            if (write_or_keep(fd, pending_for(fd), buf, (size_t)r) < 0) {
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
    if (flush_pending(fd, pending_for(fd)) < 0)
        close_conn(fd);
}

static void on_open(int fd)
{
    pending_for(fd); /* make sure the slot exists */
}

int main(int argc, char **argv)
{
    return serve(argc, argv, "epoll echo", on_open, on_readable, on_writable);
}
