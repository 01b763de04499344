"""What the org's data looks like and who may see it, with no database and no HTTP: the model the SOQL
compiler (:mod:`forcegate.soql`) and the data layer (:mod:`forcegate.data`) share.

:mod:`~forcegate.model.objects` (objects, fields, relationships and their storage columns),
:mod:`~forcegate.model.access` (the caller and their permissions, the seam to the permission model)
and :mod:`~forcegate.model.visible` (the one rule of what a caller's schema contains). It sits below
both: the compiler is tested on a hand-built model, and the data layer loads the model from the
database (:mod:`forcegate.data.metadata`).
"""
