# Started by iamkit-emulator: runs the moto server on 127.0.0.1.
# usage: launch.py PORT [--until-stdin-closes]
# With --until-stdin-closes the server stops when its parent closes our stdin (or dies), so a
# test binary never leaves an emulator behind.
import signal
import sys
import threading

from moto.server import ThreadedMotoServer

port = int(sys.argv[1])
watch_stdin = "--until-stdin-closes" in sys.argv[2:]

server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=True)
server.start()
print(f"iamkit: moto listening on http://127.0.0.1:{port}", flush=True)

done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
signal.signal(signal.SIGINT, lambda *_: done.set())
if watch_stdin:
    def wait_for_eof():
        sys.stdin.buffer.read()
        done.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
done.wait()
server.stop()
