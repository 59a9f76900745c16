# A background process, in its own session, that outlives this cell and keeps writing
# over whatever the grader might read: every file of the sandbox's home (the kernel's
# connection file among them), the working folder, and the descriptors of the
# sandbox's first process. @MARKER@ in its arguments lets the test find it later.
import os, subprocess, sys, textwrap
daemon = textwrap.dedent('''
    import glob, os, time
    for _ in range(3000):
        for path in glob.glob(os.environ["HOME"] + "/**", recursive=True) + glob.glob("*") + glob.glob("/proc/1/fd/*"):
            try:
                with open(path, "w") as f:
                    f.write('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
            except OSError:
                pass
        time.sleep(0.05)
''')
_daemon = subprocess.Popen([sys.executable, "-c", daemon, @MARKER@], start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
