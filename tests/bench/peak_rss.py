"""peak_rss.py CMD... -- runs CMD and prints its peak resident memory in KiB (exit status kept)."""
import resource
import subprocess
import sys

r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
if r.returncode:
    sys.exit(r.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
