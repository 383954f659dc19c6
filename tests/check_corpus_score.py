#!/usr/bin/env python3
"""Runs the external corpus scorer (../shared/corpus/score.py) against our filter tester and fails
below the accepted score. Usage: check_corpus_score.py PORTCULLIS_BINARY CORPUS_DIR MIN_SCORE"""
import subprocess
import sys

tool, corpus, minimum = sys.argv[1], sys.argv[2], float(sys.argv[3])
p = subprocess.run([sys.executable, corpus + "/score.py", tool, "--corpus", corpus],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
out = p.stdout.decode(errors="replace")
print(out)
score = None
for line in out.splitlines():
    if line.startswith("score:"):
        score = float(line.split()[1])
if score is None:
    sys.exit("no score line in the scorer's output")
if score < minimum:
    sys.exit("corpus score %.3f is below %.3f" % (score, minimum))
print("corpus score %.3f >= %.3f" % (score, minimum))
