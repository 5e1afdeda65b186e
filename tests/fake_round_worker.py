"""A round worker that dies while it answers (tests/test_round_split.py): it reads the
settings and one request, writes half an answer and exits 3."""

import sys

sys.stdin.readline()
sys.stdin.readline()
sys.stdout.write('{"transferred": {"1": [')
sys.stdout.flush()
sys.exit(3)
