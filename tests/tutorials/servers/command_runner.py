# What the command servers share: run one command line, the way the tutorials do, but
# without a shell (the words are split with shlex and run directly).
import shlex
import subprocess


def run(cmd):
    """The command's output: stdout and stderr together (a missing program says so)."""
    try:
        res = subprocess.run(shlex.split(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=30)
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        return str(error).encode('utf-8')
    return res.stdout + res.stderr
