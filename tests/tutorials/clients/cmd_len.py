# The remote-command client of the socket tutorials' final fix: the command as bare text
# out; back comes struct.pack('i', len(h)) + h, h = {"filename": "cls.txt", "len": N},
# then N bytes of output.
# Usage: python3 cmd_len.py HOST:PORT   (one command per line of standard input)
import socket
import struct
import json
import sys

host, port = sys.argv[1].rsplit(':', 1)
client = socket.socket()
client.connect((host, int(port)))
while True:
    try:
        msg = input('>>>:').encode('utf-8')
    except EOFError:
        break
    if len(msg) == 0: continue
    client.send(msg)
    header = client.recv(4)
    head_len = struct.unpack('i', header)[0]
    head_dic = json.loads(client.recv(head_len).decode('utf-8'))
    print(head_dic)
    total_size = head_dic['len']
    recv_size = 0
    res = b''
    while recv_size < total_size:
        data = client.recv(1024)
        res += data
        recv_size += len(data)
    print(res.decode('utf-8'))
client.close()
