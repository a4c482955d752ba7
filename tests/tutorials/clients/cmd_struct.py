# The remote-command client of the socket tutorials' struct fix: the command as bare text
# out; back comes struct.pack('i', N), then N bytes of output.
# Usage: python3 cmd_struct.py HOST:PORT   (one command per line of standard input)
import socket, time, struct
import sys

host, port = sys.argv[1].rsplit(':', 1)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
res = s.connect_ex((host, int(port)))

while True:
    try:
        msg = input('>>: ').strip()
    except EOFError:
        break
    if len(msg) == 0: continue
    if msg == 'quit': break

    s.send(msg.encode('utf-8'))

    l = s.recv(4)
    x = struct.unpack('i', l)[0]
    print(type(x), x)
    r_s = 0
    data = b''
    while r_s < x:
        r_d = s.recv(1024)
        data += r_d
        r_s += len(r_d)

    print(data.decode('utf-8'))
s.close()
