/*
 * http_epoll: minimal single-threaded, level-triggered epoll HTTP/1.1 plaintext server, the C
 * reference of bench/compare/http.sh (as echo_epoll is for echo.sh).
 *
 *   ./http_epoll PORT        (listens on 127.0.0.1:PORT)
 *
 * Keep-alive connections; a request ends at the first empty line (no request bodies: wrk's GETs
 * have none). "GET /plaintext" and "GET /" answer 200 with Date, Content-Type: text/plain,
 * Content-Length: 13 and "Hello, World!" (the headers Go's net/http sends); anything else 404.
 * Every complete request in what was read is answered (pipelining), with one write per read.
 * It parses no headers: it does the least an HTTP server can do, which is the point of a reference.
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "epoll_loop.h"

#define IN_SIZE 8192
#define OUT_SIZE 65536

struct conn {
    char in[IN_SIZE];
    size_t in_len;
    struct pending out; /* unsent response bytes */
};

static struct conn **conns; /* indexed by fd */
static size_t conns_cap;
static char ok_resp[256], not_found_resp[256];
static size_t ok_len, not_found_len;
static time_t resp_time;

static void build_responses(void)
{
    time_t now = time(NULL);
    if (now == resp_time)
        return;
    resp_time = now;
    char date[64];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    ok_len = (size_t)snprintf(ok_resp, sizeof ok_resp,
        "HTTP/1.1 200 OK\r\nDate: %s\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!", date);
    not_found_len = (size_t)snprintf(not_found_resp, sizeof not_found_resp,
        "HTTP/1.1 404 Not Found\r\nDate: %s\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found", date);
}

static struct conn *conn_for(int fd)
{
    if ((size_t)fd >= conns_cap) {
        size_t cap = conns_cap ? conns_cap : 1024;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct conn **p = realloc(conns, cap * sizeof *p);
        if (!p)
            die("realloc");
        memset(p + conns_cap, 0, (cap - conns_cap) * sizeof *p);
        conns = p;
        conns_cap = cap;
    }
    if (!conns[fd] && !(conns[fd] = calloc(1, sizeof **conns)))
        die("calloc");
    return conns[fd];
}

static void close_conn(int fd)
{
    struct conn *c = conns[fd];
    if (c) {
        pending_clear(&c->out);
        free(c);
        conns[fd] = NULL;
    }
    close(fd); /* also removes it from the epoll set */
}

/* Answers every complete request in c->in, one write for all; stops while a write is pending. */
static void process(int fd, struct conn *c)
{
    static char out[OUT_SIZE];
    size_t out_len = 0, start = 0;
    build_responses();
    while (!c->out.data) {
        char *end = memmem(c->in + start, c->in_len - start, "\r\n\r\n", 4);
        const char *req = c->in + start;
        int ok = end && ((end - req >= 15 && memcmp(req, "GET /plaintext ", 15) == 0)
                      || (end - req >= 6 && memcmp(req, "GET / ", 6) == 0));
        size_t len = ok ? ok_len : not_found_len;
        if (out_len > 0 && (!end || out_len + len > OUT_SIZE)) {
            if (write_or_keep(fd, &c->out, out, out_len) < 0) {
                close_conn(fd);
                return;
            }
            out_len = 0;
            continue;
        }
        if (!end)
            break;
        memcpy(out + out_len, ok ? ok_resp : not_found_resp, len);
        out_len += len;
        start = (size_t)(end - c->in) + 4;
    }
    if (start > 0) {
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
    } else if (c->in_len == IN_SIZE) { /* a request head larger than the buffer */
        close_conn(fd);
    }
}

static void on_readable(int fd)
{
    struct conn *c = conn_for(fd);
    ssize_t r = read(fd, c->in + c->in_len, IN_SIZE - c->in_len);
    if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
        close_conn(fd);
        return;
    }
    if (r > 0) {
        c->in_len += (size_t)r;
        process(fd, c);
    }
}

static void on_writable(int fd)
{
    struct conn *c = conns[fd];
    int r = flush_pending(fd, &c->out);
    if (r < 0)
        close_conn(fd);
    else if (r > 0)
        process(fd, c); /* requests that arrived while the write was pending */
}

static void on_open(int fd)
{
    conn_for(fd);
}

int main(int argc, char **argv)
{
    return serve(argc, argv, "http_epoll", on_open, on_readable, on_writable);
}
