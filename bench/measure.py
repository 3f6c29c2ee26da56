"""Runs a command and prints, on the last line of stderr, the wall time and the peak RSS of its largest process.

Used by bench/speed.ts so that typebook and ansible-playbook are measured the same way.
"""
import json
import resource
import subprocess
import sys
import time

start = time.monotonic()
code = subprocess.run(sys.argv[1:]).returncode
wall = time.monotonic() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "wall": wall, "peak_kib": peak_kib}), file=sys.stderr)
