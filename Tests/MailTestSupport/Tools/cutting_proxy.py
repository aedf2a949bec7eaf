#!/usr/bin/env python3
"""A TCP proxy on loopback that cuts its first connection after the server has sent --cut-after bytes (the
connection dropping in the middle of a response); later connections pass untouched.

  cutting_proxy.py --target-port P --cut-after N     prints "PORT <n>", runs until killed
"""
import argparse, socket, threading


def pump(source, sink, limit, on_cut):
    sent = 0
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) >= limit:
                sink.sendall(data[: max(0, limit - sent)])
                on_cut()
                return
            sink.sendall(data)
            sent += len(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target-port", type=int, required=True)
    p.add_argument("--cut-after", type=int, required=True)
    a = p.parse_args()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print("PORT %d" % listener.getsockname()[1], flush=True)
    first = True
    while True:
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", a.target_port))
        limit = a.cut_after if first else None
        first = False
        def cut(c=client, s=server):
            for x in (c, s):
                try:
                    x.shutdown(socket.SHUT_RDWR)  # close() alone waits for the other thread's recv
                    x.close()
                except OSError:
                    pass
        threading.Thread(target=pump, args=(server, client, limit, cut), daemon=True).start()
        threading.Thread(target=pump, args=(client, server, None, lambda: None), daemon=True).start()


if __name__ == "__main__":
    main()
