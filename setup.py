"""Packages: everything under src/, plus the Alembic environment in migrations/ shipped as
`facerec.migrations` (pyproject.toml maps the folder), so a wheel migrates without the checkout."""

from setuptools import find_packages, setup

setup(packages=[*find_packages("src"), "facerec.migrations"])
