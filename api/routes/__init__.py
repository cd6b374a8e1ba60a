"""API resources: every module here that defines ``router`` is included by :mod:`pileon.api.app`."""
