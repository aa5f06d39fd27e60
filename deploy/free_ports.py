#!/usr/bin/env python3
"""Prints the first of N free loopback ports in a row: free_ports.py N.

Used by the scripts that start several nodes, so that every node can name
all the others at start.
"""
import random
import socket
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
while True:
    base = random.randint(20000, 60000 - n)
    socks = []
    try:
        for i in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", base + i))
        print(base)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
