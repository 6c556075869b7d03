"""JupyterHub configuration of the local course hub (``make hub``; ``deploy/hub/server.py`` starts it).

Everything that changes from one hub to the next (ports, folders, accounts,
passwords) comes from the JSON file named by ``GC_HUB_SETTINGS``, which the
launcher writes (``deploy/hub/layout.py``); the rest is here.
"""

import hmac
import json
import os

from jupyterhub.auth import Authenticator
from traitlets import Dict

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file
with open(os.environ["GC_HUB_SETTINGS"]) as _file:
    settings = json.load(_file)
venv = settings["venv"]
runtime = settings["runtime"]


class DemoPasswordAuthenticator(Authenticator):
    """One random password per account, printed by ``make hub``.

    DEMO ONLY, AND ON 127.0.0.1 ONLY: the passwords travel over plain HTTP and
    sit in a root-only file.  This stands in for JupyterHub's DummyAuthenticator
    (whose single shared password, now SharedPasswordAuthenticator, would let any
    student log in as the instructor).  A real course uses its university's
    login (PAM, LDAP, OAuth) and HTTPS.
    """

    passwords = Dict(help="username -> password").tag(config=True)

    async def authenticate(self, handler, data):
        expected = self.passwords.get(data.get("username", ""))
        given = data.get("password", "")
        if expected and hmac.compare_digest(expected.encode(), given.encode()):
            return data["username"]
        return None


# Loopback only: the hub, its internal API and the proxy's API.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
# configurable-http-proxy from npm, installed into deploy/hub/node_modules (package.json pins it).
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(runtime, "proxy.pid")

c.JupyterHub.db_url = f"sqlite:///{os.path.join(runtime, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(runtime, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(runtime, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server

c.JupyterHub.authenticator_class = DemoPasswordAuthenticator
c.DemoPasswordAuthenticator.passwords = settings["passwords"]
c.Authenticator.allowed_users = {settings["instructor"], *settings["students"]}

# Each person's server runs as their own Unix user (JupyterHub runs as root to start it),
# from the hub's Python, in their home.  Nothing of root's environment is passed on.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(venv, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.env_keep = ["LANG", "LC_ALL", "TZ"]
c.Spawner.environment = {
    "PATH": os.pathsep.join([os.path.join(venv, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    # The course's nbgrader_config.py reads this: on the hub, grading (the formgrader's
    # buttons, `python -m grading.parallel` in a terminal) refuses to run student code
    # unsandboxed instead of falling back with a warning.
    "GC_GRADING_SANDBOX": "required",
}
c.Spawner.args = [
    # Offline: no news feed, no update check, no extension listing from PyPI.
    "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    # Terminals: bash, not a login shell, so that /etc/profile does not take the hub's
    # Python off PATH (`python -m grading.parallel ...` must find the hub's python).
    "--ServerApp.terminado_settings={'shell_command': ['/bin/bash']}",
]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
