"""Storage: SQLAlchemy Core tables, Alembic migrations and the repository layer.

SQLite (WAL) by default, PostgreSQL for scale-out. Every row carries its org ID, so one deployment
can serve many orgs. Times are integer epoch milliseconds: exact, and compared the same way on every
backend.
"""
