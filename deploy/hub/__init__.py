"""The course on a local JupyterHub with real Unix users (``make hub``); see ``server.py``."""
