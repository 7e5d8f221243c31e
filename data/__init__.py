"""Persistence and reference data: the one package every other package may import."""
