#!/usr/bin/python3
"""gevent pywsgi server of the HTTP/1.1 plaintext benchmark (one greenlet per connection).

    /usr/bin/python3 httpserver.py --port PORT [--host 127.0.0.1] [--backlog 4096] [--no-nodelay]

GET /plaintext and GET / answer 200 with "Content-Type: text/plain" and the 13-byte body
"Hello, World!"; other paths answer 404. pywsgi keeps HTTP/1.1 connections alive. Request
logging is off (log=None) so that it is not measured.

TCP_NODELAY is set on every accepted socket, as in echo.py (Go and Kestrel set it by default).
pywsgi sends the status line and headers with one sendall and the body with another; without
TCP_NODELAY, Nagle's algorithm holds the body until the client acknowledges the headers, and the
client delays that acknowledgement, so every request takes about 40 ms on Linux loopback.
--no-nodelay leaves the socket as pywsgi does, to see that.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402  (after monkey-patching, as gevent asks)
import socket  # noqa: E402
import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402

BODY = b"Hello, World!"
NOT_FOUND = b"Not Found"


def app(environ, start_response):
    if environ["PATH_INFO"] in ("/plaintext", "/"):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
        return [BODY]
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
    return [NOT_FOUND]


class NoDelayWSGIServer(WSGIServer):
    """WSGIServer that sets TCP_NODELAY on each accepted socket before pywsgi handles it."""

    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", "-port", type=int, required=True)
    ap.add_argument("--host", "-host", default="127.0.0.1")
    ap.add_argument("--backlog", "-backlog", type=int, default=4096)
    ap.add_argument("--no-nodelay", action="store_true", help="do not set TCP_NODELAY (pywsgi's default)")
    args = ap.parse_args()
    server_class = WSGIServer if args.no_nodelay else NoDelayWSGIServer
    server = server_class((args.host, args.port), app, log=None, backlog=args.backlog)
    print(f"gevent pywsgi listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
