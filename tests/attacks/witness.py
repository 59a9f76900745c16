# Inserted last by the student (not graded): what the kernel itself says of each answer,
# through the visible check and then the hidden test's fresh import. Shows that an
# attack did fool the student's own kernel, whatever the grader then decides.
import json, sys
_said = {}
for _name, _qid in @QUESTIONS@:
    try:
        getattr(checks, _name).check()
        for _m in [m for m in sys.modules if m == "utils" or m.startswith("utils.")]:
            del sys.modules[_m]
        from utils.questions.hidden import regrade
        regrade(_qid)
        _said[_name] = "correct"
    except BaseException as _err:
        _said[_name] = type(_err).__name__
print("WITNESS", json.dumps(_said, sort_keys=True))
