# The remote-command client of the socket tutorials with a JSON header: the command as
# bare text out; back comes struct.pack('i', len(h)) + h, h = {"data_size": N}, then N
# bytes of output.
# Usage: python3 cmd.py HOST:PORT   (one command per line of standard input)
from socket import *
import struct, json
import sys

host, port = sys.argv[1].rsplit(':', 1)
ip_port = (host, int(port))
client = socket(AF_INET, SOCK_STREAM)
client.connect(ip_port)

while True:
    try:
        cmd = input('>>: ')
    except EOFError:
        break
    if not cmd: continue
    client.send(bytes(cmd, encoding='utf-8'))

    head = client.recv(4)
    head_json_len = struct.unpack('i', head)[0]
    head_json = json.loads(client.recv(head_json_len).decode('utf-8'))
    data_len = head_json['data_size']

    recv_size = 0
    recv_data = b''
    while recv_size < data_len:
        r_d = client.recv(1024)
        recv_data += r_d
        recv_size += len(r_d)  # the tutorial adds len(recv_data), the whole buffer: a slip

    print(recv_data.decode('utf-8'))
client.close()
