# The upper-casing TCP client of the socket tutorials: bare text out, the server sends
# it back upper-cased.
# Usage: python3 echo_upper.py HOST:PORT   (one message per line of standard input)
from socket import *
import sys

host, port = sys.argv[1].rsplit(':', 1)
phone = socket(AF_INET, SOCK_STREAM)
phone.connect((host, int(port)))
while True:
    try:
        msg = input('>>: ')
    except EOFError:
        break
    if not msg:
        continue
    phone.send(msg.encode('utf-8'))
    print('Client message has been sent')
    data = phone.recv(1024)
    print('from server msg is', data.decode('utf-8'))
phone.close()
