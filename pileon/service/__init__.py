"""The service layer: what reads and writes stores around the pure detectors.

The CLI (:mod:`pileon.cli`), the HTTP API (:mod:`pileon.api`) and the public
Python API (:mod:`pileon`) call these functions; the detectors
(:mod:`pileon.detectors`) stay pure functions over a projection.

========================  ====================================================
module                    holds
========================  ====================================================
:mod:`.stages`            progress lines and error context for long jobs
:mod:`.analysis`          ``analyze`` (project, detect, score, grade, save) and
                          the accounts' history in other events
:mod:`.training`          ``train`` the risk model; labels; where the model lives
:mod:`.alerts`            early-warning alerts from a store
:mod:`.evidence`          the evidence pack from a store
:mod:`.coactivity`        the co-repost edge list of an event or the whole store
:mod:`.exports`           an event's account graph for Gephi
:mod:`.neighborhood`      a node's neighbourhood, for the graph view
:mod:`.incident_graph`    an event's summarised graph, for the investigator page
========================  ====================================================
"""
