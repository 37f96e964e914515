"""nbgrader's shared-folder exchange for the single-machine hub: a submission is its owner's.

On this hub every student's server runs as their own Unix user (deploy/jupyterhub_config.py),
so the owner of a file in the exchange's ``inbound/`` folder is the hub user who wrote it.
nbgrader's own collect only warns when a submission's name claims another student
(``nbgrader submit --student-id=victim``) and then files it under the victim; this one files
it under its owner, the hub login, and says so in the log.
"""

import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect

__all__ = ["OwnerCollect"]


class OwnerCollect(ExchangeCollect):
    """``nbgrader collect`` that attributes each submission to the Unix user who owns it."""

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        uid = os.stat(path).st_uid
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = f"uid-{uid}"
        if owner != record["username"]:
            self.log.warning(
                "%s claims to be %s's submission, but %s submitted it: collected as %s's",
                record["filename"],
                record["username"],
                owner,
                owner,
            )
            record["username"] = owner
        return record
