#!/usr/bin/env python3
"""A crowd at `scrape serve`: IDLE connections held open with nothing
sent, one client trickling a request header a line a second, and CLIENTS
clients making REQUESTS requests each to PATH.  Prints one line:

    answered N failed M p50 MS p99 MS idle-closed K

where idle-closed is how many of the idle connections the server had
closed when the clients were done.  Every wait is bounded: 3 s a
request (less than the server's 5 s first-request timeout, so a request
that could only get in once an idle connection was closed fails), 60 s
in all.

    crowd.py PORT IDLE CLIENTS REQUESTS PATH
"""
import http.client
import socket
import sys
import threading
import time

port, idle_n, clients, requests = (int(a) for a in sys.argv[1:5])
path = sys.argv[5]
deadline = time.time() + 60

idle = []
for _ in range(idle_n):
    try:
        idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        pass


def slowloris():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\n")
        while time.time() < deadline:
            time.sleep(1)
            s.sendall(b"X-Slow: 1\r\n")
    except OSError:
        pass


threading.Thread(target=slowloris, daemon=True).start()
lock = threading.Lock()
ok, failed, lat = [0], [0], []


def client():
    for _ in range(requests):
        if time.time() > deadline:
            break
        t = time.time()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            c.close()
            good = r.status == 200
        except (OSError, http.client.HTTPException):
            good = False
        with lock:
            lat.append(time.time() - t)
            if good:
                ok[0] += 1
            else:
                failed[0] += 1


threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
closed = 0
for s in idle:
    s.setblocking(False)
    try:
        closed += s.recv(1) == b""
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
lat.sort()
p = (lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] * 1000) if lat else (
    lambda q: 0)
print(f"answered {ok[0]} failed {failed[0]} p50 {p(0.5):.1f}"
      f" p99 {p(0.99):.1f} idle-closed {closed}")
