# The UDP server of the tutorials (dialect `udp-upper`): each datagram comes back upper-cased.
# Usage: python3 udp_upper_server.py PORT   (0: any free port; the port is printed when ready)
import socket
import sys

BUFSIZE = 1024
udp_server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_server.bind(('127.0.0.1', int(sys.argv[1])))
print(udp_server.getsockname()[1], flush=True)
while True:
    msg, addr = udp_server.recvfrom(BUFSIZE)
    udp_server.sendto(msg.upper(), addr)
