"""The org's data: objects and fields as data (describe), records, and SOQL over them.

Entry points: :mod:`forcegate.data.api` (what the REST resources call), :mod:`forcegate.data.access`
(the permission seam), :mod:`forcegate.data.metadata` (custom objects and fields, standard objects).
"""
