#!/usr/bin/python3
"""gevent StreamServer TCP echo server (one greenlet per connection).

    /usr/bin/python3 echo.py --port PORT [--host 127.0.0.1] [--backlog 4096]

Each connection reads up to 64 KiB at a time and sends back what was read.
"""
import argparse
import socket
import sys

from gevent.server import StreamServer


def handle(sock, _addr):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    recv, sendall = sock.recv, sock.sendall
    try:
        while True:
            data = recv(65536)
            if not data:
                break
            sendall(data)
    except OSError:
        pass
    finally:
        sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", "-port", type=int, required=True)
    ap.add_argument("--host", "-host", default="127.0.0.1")
    ap.add_argument("--backlog", "-backlog", type=int, default=4096)
    args = ap.parse_args()
    server = StreamServer((args.host, args.port), handle, backlog=args.backlog)
    print(f"gevent echo listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
