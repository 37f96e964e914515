# nbgrader's configuration in every user's server, on both hubs: deploy/values.yaml mounts
# this text at /etc/jupyter/nbgrader_config.py (tests/tools/test_deploy.py checks that the
# two stay identical); deploy/jupyterhub_config.py puts this folder on JUPYTER_CONFIG_PATH.
#
# The exchange knows who submits from the hub login, never from --student-id:
# - single machine ($NBGRADER_EXCHANGE_ROOT set by deploy/jupyterhub_config.py): nbgrader's
#   shared folder, where each server runs as its hub user's own Unix user, so a submission's
#   file owner is the login; classroom_exchange.OwnerCollect files it under that owner.
# - Zero to JupyterHub (every pod is uid 1000, owners tell nothing): ngshare, a hub service
#   that attributes every request to the user of the server token that made it.
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "deep-rl-course"
if os.environ.get("NBGRADER_EXCHANGE_ROOT"):
    c.Exchange.root = os.environ["NBGRADER_EXCHANGE_ROOT"]
    c.ExchangeFactory.collect = "classroom_exchange.OwnerCollect"
else:
    from ngshare_exchange import configureExchange

    # ngshare-exchange finds http://proxy-public/services/ngshare itself on Kubernetes.
    configureExchange(c)
