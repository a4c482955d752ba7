# The movie upload client of the socket tutorials: choose a file of a folder by number;
# struct.pack('i', len(h)) + h, h = {"size", "filename"}, then the file, several on one
# connection, no reply.
# Usage: python3 movie.py HOST:PORT FOLDER   (numbers on standard input)
import os
import socket
import json
import struct
import sys

host, port = sys.argv[1].rsplit(':', 1)
client = socket.socket()
client.connect((host, int(port)))
while True:
    data_path = sys.argv[2]
    movie_list = sorted(os.listdir(data_path))
    for i, j in enumerate(movie_list, 1):
        print(i, j)
    try:
        choice = input('Please enter the number>>>: ')
    except EOFError:
        break
    if choice == 0:
        continue
    if choice.isdigit():
        choice = int(choice)
        if choice in range(1, len(movie_list) + 1):
            movie_name = movie_list[choice - 1]
            movie_path = os.path.join(data_path, movie_name)
            data_dict = {
                'size': os.path.getsize(movie_path),
                'filename': movie_name
            }
            data_josn = json.dumps(data_dict)
            data_head = struct.pack('i', len(data_josn))
            client.send(data_head)
            client.send(data_josn.encode('utf8'))
            with open(movie_path, 'rb') as f:
                for line in f:
                    client.sendall(line)
client.close()
