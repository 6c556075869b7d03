"""Running the course somewhere real: ``deploy/hub`` puts it on a local JupyterHub
(``make hub``), ``deploy/slurm`` grades it on a Slurm cluster."""
