# The remote-command server of the tutorials with a JSON header (dialect `cmd`):
# the reply is struct.pack('i', len(header)) + {"data_size": N} + N bytes of output.
# Usage: python3 cmd_server.py PORT   (0: any free port; the port is printed when ready)
import json
import socketserver
import struct
import sys

from command_runner import run


class CmdHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        while True:
            try:
                cmd = conn.recv(1024)  # a command is whatever one recv(1024) returns
            except ConnectionResetError:
                break
            if not cmd:
                break
            back_msg = run(cmd.decode('utf-8'))
            headers = {'data_size': len(back_msg)}
            head_json_bytes = bytes(json.dumps(headers), encoding='utf-8')
            conn.sendall(struct.pack('i', len(head_json_bytes)))  # first the header's length
            conn.sendall(head_json_bytes)  # then the header
            conn.sendall(back_msg)  # then the output


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), CmdHandler)
print(server.server_address[1], flush=True)
server.serve_forever()
