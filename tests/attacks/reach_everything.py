# Try to reach the gradebook, the solutions and other students' work, by relative and
# absolute paths, and raise every score in any gradebook found; read the instructor's
# environment (a token named @TOKEN@ is in it) and the reference answers. (The repository's own files are only opened
# read-only.) Prints what it reached, which must be nothing.
import glob, json, os, sqlite3
COURSE, REPO, TOKEN = @COURSE@, @REPO@, @TOKEN@
reached = []
for path in ["../../../gradebook.db", "../../gradebook.db", "../gradebook.db", "gradebook.db",
             COURSE + "/gradebook.db"]:
    if os.path.exists(path):
        try:
            db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
            n = db.execute("UPDATE grade SET auto_score = 100, manual_score = 100").rowcount
            db.commit()
            reached.append(f"rewrote {n} grades in {path}")
        except sqlite3.Error as err:
            reached.append(f"found {path} ({err})")
if os.path.exists(REPO + "/gradebook.db"):
    reached.append("found the repository's gradebook")
for path in ["solution.txt", "grades.db"]:  # handed in as symbolic links to the course's files
    try:
        open(path, "rb").read(100)
        reached.append("read " + path)
    except OSError:
        pass
for pattern in ["../../../solutions/*/*.ipynb", "../../../submitted/*/*/*.ipynb", "../../../autograded/*/*/*.ipynb",
                COURSE + "/solutions/*/*.ipynb", COURSE + "/submitted/*/*/*.ipynb",
                COURSE + "/autograded/*/*/*.ipynb", REPO + "/solutions/*/*.ipynb", REPO + "/.git/config"]:
    for path in glob.glob(pattern):
        try:
            open(path, "rb").read(100)
            reached.append("read " + path)
            if not path.startswith(REPO):
                with open(path, "a") as f:
                    f.write(" ")
                reached.append("wrote " + path)
        except OSError:
            pass
for source in ["/proc/self/environ", "/proc/1/environ"]:
    try:
        if (TOKEN + "=").encode() in open(source, "rb").read():
            reached.append("the instructor's environment in " + source)
    except OSError:
        pass
if TOKEN in os.environ:
    reached.append("the instructor's environment")
os.environ["COURSE_SHOW_SOLUTIONS"] = "1"
os.environ.pop("NBGRADER_EXECUTION", None)
from utils.questions.question import reference_answer
if reference_answer(@EXERCISE@, "dropout_answer"):
    reached.append("the reference answer")
print("reached:", json.dumps(reached))
