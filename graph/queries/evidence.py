"""The record of issued evidence packs: ``(:EvidenceIssue)`` nodes, created and never changed.

Each holds what identifies the pack handed out (its manifest's ``sha256`` and ``seal``,
the SHA-256 of its page), for whom, when and by whom (see ``Store.evidence_issues``).
"""

ADD = """
CREATE (i:EvidenceIssue)
SET i = $props
"""

_RETURN = """
RETURN i.seq AS seq, i.issued_at AS issued_at, i.issued_by AS issued_by,
       i.target_id AS target_id, i.event_id AS event_id, i.generated_at AS generated_at,
       i.items AS items, i.sha256 AS sha256, i.seal AS seal, i.html_sha256 AS html_sha256
ORDER BY i.seq
"""

ALL = "MATCH (i:EvidenceIssue)" + _RETURN

OF_SEAL = "MATCH (i:EvidenceIssue {seal: $seal})" + _RETURN
