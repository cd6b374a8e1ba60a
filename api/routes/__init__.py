"""API resources: every module here that defines ``router`` is included by :mod:`pileon.api.app`.

Path parameters holding IDs use the ``{name:id}`` converter of :mod:`pileon.api.paths`
(registered on import here), so that any ID, ``/`` included, is reachable.
"""

import pileon.api.paths  # noqa: F401 - registers the {name:id} path converter
