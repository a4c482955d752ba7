# The remote-command server of the tutorials with a struct header (dialect `cmd-struct`):
# the reply is struct.pack('i', N) + N bytes of output.
# Usage: python3 cmd_struct_server.py PORT   (0: any free port; the port is printed when ready)
import socketserver
import struct
import sys

from command_runner import run


class CmdHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        while True:
            try:
                cmd = conn.recv(1024)
            except ConnectionResetError:
                break
            if not cmd:
                break
            back_msg = run(cmd.decode('utf-8'))
            conn.sendall(struct.pack('i', len(back_msg)))
            conn.sendall(back_msg)


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), CmdHandler)
print(server.server_address[1], flush=True)
server.serve_forever()
