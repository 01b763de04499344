"""SOQL: ``grammar.lark`` → :mod:`~forcegate.soql.parser` → :mod:`~forcegate.soql.ast`, compiled by
:mod:`~forcegate.soql.translate` against :mod:`forcegate.model` (a schema and a caller) into one
parameterised SQLAlchemy ``SELECT``. It never imports the data layer, which runs what it compiles."""
