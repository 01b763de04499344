"""The org's data: objects and fields as data (describe), records, and SOQL over them.

Entry points: :mod:`forcegate.data.api` (what the REST resources call) and :mod:`forcegate.data.metadata`
(loading the org's schema; custom objects and fields, standard objects). The schema's shape, the
caller's permissions and the visibility rule are :mod:`forcegate.model`, which SOQL shares.
"""
