# SIGSTOP to the parent and to every process in sight (one by one, and kill(-1)), itself
# last. It acts only where it sees no more than a sandbox's few processes: should the
# sandbox ever lose its PID namespace, it would otherwise stop every process of the
# grading user on the machine (the test then fails on what it printed instead).
import os, signal, sys, time
pids = sorted((int(p) for p in os.listdir("/proc") if p.isdigit()), key=lambda p: p == os.getpid())
print("parent", os.getppid(), "sees", pids)
if len(pids) > 5:
    print("NOT ISOLATED: attack withheld")
else:
    sys.stdout.flush()
    time.sleep(1)  # let the kernel send what it printed before it stops
    for target in [os.getppid(), -1, *pids]:
        try:
            os.kill(target, signal.SIGSTOP)
        except OSError:
            pass
