"""Persistence (SQLAlchemy and Alembic): evidence, ratings and work groups arrive with the evidence issue."""
