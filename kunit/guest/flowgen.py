#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Many concurrent TCP and UDP flows for the guest's chaos run.

  flowgen.py serve --port P --udp-flows N            echo server: TCP on P, UDP on P..P+N-1
  flowgen.py client --server A --port P --tcp N --udp M --stats FILE

The client keeps N TCP connections and M UDP flows (one socket, one source port each)
alive: every flow sends a message about once per --interval seconds and expects it
echoed back. A TCP connection that breaks is counted and opened again. The client
rewrites FILE (JSON) every second with its totals, so the chaos driver can check
that traffic still progresses. SIGTERM ends either side cleanly.
"""
import argparse
import json
import os
import random
import selectors
import signal
import socket
import time

stop = False


def on_term(signum, frame):
    global stop
    stop = True


# ---------------------------------------------------------------- server


def serve(args):
    sel = selectors.DefaultSelector()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("", args.port))
    lsock.listen(4096)
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, "accept")
    for i in range(args.udp_flows):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("", args.port + i))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, "udp")
    while not stop:
        for key, _ in sel.select(0.5):
            serve_event(sel, key)


def serve_event(sel, key):
    sock = key.fileobj
    try:
        if key.data == "accept":
            conn, _ = sock.accept()
            conn.setblocking(False)
            sel.register(conn, selectors.EVENT_READ, "tcp")
        elif key.data == "udp":
            data, addr = sock.recvfrom(65536)
            sock.sendto(data, addr)
        else:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError
            sock.send(data)
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        if key.data == "tcp":
            sel.unregister(sock)
            sock.close()


# ---------------------------------------------------------------- client


class Totals:
    def __init__(self):
        self.tcp_opened = self.tcp_broken = self.tcp_msgs = self.tcp_bytes = 0
        self.udp_sent = self.udp_echoed = 0
        self.tcp_live = 0

    def write(self, path):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(dict(self.__dict__, time=time.time()), f)
        os.replace(tmp, path)


class TcpFlow:
    def __init__(self, client):
        self.c = client
        self.sock = None
        self.connected = False
        self.want = 0
        self.due = 0.0

    def open(self, now):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.connect_ex((self.c.server, self.c.port))
        self.c.sel.register(self.sock, selectors.EVENT_WRITE, self)
        self.connected = False
        self.want = 0
        self.due = now + random.uniform(0, self.c.interval)

    def close(self, now, broken):
        if self.sock:
            self.c.sel.unregister(self.sock)
            self.sock.close()
        self.sock = None
        if self.connected:
            self.c.t.tcp_live -= 1
        self.connected = False
        if broken:
            self.c.t.tcp_broken += 1
        self.due = now + 1.0  # open again after a second

    def event(self, mask, now):
        try:
            if not self.connected:
                err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, "connect")
                self.connected = True
                self.c.t.tcp_opened += 1
                self.c.t.tcp_live += 1
                self.c.sel.modify(self.sock, selectors.EVENT_READ, self)
                return
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError
            self.want -= len(data)
            self.c.t.tcp_bytes += len(data)
            if self.want <= 0:
                self.c.t.tcp_msgs += 1
                self.want = 0
                self.due = now + random.uniform(0.5, 1.5) * self.c.interval
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.close(now, True)

    def tick(self, now):
        if self.sock is None:
            if now >= self.due and self.c.may_open():
                self.open(now)
            return
        if not self.connected or self.want or now < self.due:
            return
        n = random.randint(64, 1400)
        try:
            self.want = self.sock.send(os.urandom(n))
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.close(now, True)


class UdpFlow:
    def __init__(self, client, i):
        self.c = client
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.connect((client.server, client.port + i % client.udp_ports))
        client.sel.register(self.sock, selectors.EVENT_READ, self)
        self.due = time.time() + random.uniform(0, client.interval)

    def event(self, mask, now):
        try:
            while self.sock.recv(65536):
                self.c.t.udp_echoed += 1
        except OSError:
            pass

    def tick(self, now):
        if now < self.due:
            return
        self.due = now + random.uniform(0.5, 1.5) * self.c.interval
        try:
            self.sock.send(os.urandom(random.randint(32, 1200)))
            self.c.t.udp_sent += 1
        except OSError:
            pass  # ICMP errors while routes and devices churn: the next one may pass


class Client:
    def __init__(self, args):
        self.server, self.port, self.interval = args.server, args.port, args.interval
        self.udp_ports = args.udp_ports
        self.sel = selectors.DefaultSelector()
        self.t = Totals()
        self.opens_this_tick = 0
        self.tcp = [TcpFlow(self) for _ in range(args.tcp)]
        self.udp = [UdpFlow(self, i) for i in range(args.udp)]

    def may_open(self):
        # Spread connection setup: at most 50 new connections per tick.
        self.opens_this_tick += 1
        return self.opens_this_tick <= 50

    def run(self, stats):
        last = 0.0
        while not stop:
            for key, mask in self.sel.select(0.05):
                key.data.event(mask, time.time())
            now = time.time()
            self.opens_this_tick = 0
            for f in self.tcp:
                f.tick(now)
            for f in self.udp:
                f.tick(now)
            if now - last >= 1.0:
                self.t.write(stats)
                last = now
        self.t.write(stats)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["serve", "client"])
    p.add_argument("--server", default="10.0.2.2")
    p.add_argument("--port", type=int, default=5001)
    p.add_argument("--udp-flows", type=int, default=16)
    p.add_argument("--udp-ports", type=int, default=16)
    p.add_argument("--tcp", type=int, default=100)
    p.add_argument("--udp", type=int, default=100)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--stats", default="/tmp/flowgen.json")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    if args.mode == "serve":
        serve(args)
    else:
        Client(args).run(args.stats)


if __name__ == "__main__":
    main()
