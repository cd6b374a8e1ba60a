"""An independent incident generator for acceptance checks (see :mod:`tests.altgen.generator`).

Written without reading ``pileon.ingest.sample``: it plants the roles of SPEC §1 in its
own style (other platforms, ID shapes, vocabulary, timing) and returns the truth.
"""

from tests.altgen.generator import SIZES, Incident, generate, write_incident

__all__ = ["SIZES", "Incident", "generate", "write_incident"]
