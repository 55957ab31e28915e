"""Writes that touch several models or have side effects, one module per part of the domain.

Each service is a typed, keyword-only function named `<thing>_<action>`, runs inside
`transaction.atomic` and calls `full_clean()` before saving.
"""
