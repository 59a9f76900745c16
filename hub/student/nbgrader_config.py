"""nbgrader on the hub, for a student (this folder is on their JUPYTER_CONFIG_PATH).

Students have no course directory: the Assignments list fetches into their home folder
(``<assignment>/`` beside their other files), submits from there, and fetches feedback
into ``<assignment>/feedback/<timestamp>/``. Only the exchange and the course id are set.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "dropout-batchnorm")
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
