"""nbgrader settings for the "Validate" button in JupyterLab's notebook toolbar.

Validate runs your whole notebook in a fresh kernel and lists the checks that do not
pass yet. A training cell can take longer than nbgrader's default limit of 30 s per
cell on a laptop, so the limit here is 10 minutes. (`make check` is the quicker way:
see README.md.)
"""

c = get_config()  # noqa: F821 (provided when nbgrader reads this file)
c.Execute.timeout = 600
