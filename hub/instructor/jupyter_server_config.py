"""The instructor's single-user server on the hub (this folder is on their JUPYTER_CONFIG_PATH).

JupyterHub's single-user servers forbid every page to be framed (Content-Security-Policy
``frame-ancestors 'none'``), which leaves JupyterLab's Nbgrader > Formgrader panel, an
iframe of the server's own /formgrader page, blank ("refused to connect"). The instructor's
server allows its own origin to frame it. On a hub where all servers share one origin that
includes other people's servers, so a page a student serves could frame the formgrader
(click-jacking); give the hub one subdomain per user (``c.JupyterHub.subdomain_host``) to
rule that out, or delete this file and open /user/<instructor>/formgrader in its own tab.
"""

c = get_config()  # noqa: F821 (provided by traitlets when Jupyter Server loads this file)

c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
