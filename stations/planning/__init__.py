"""Pure planners: plain data in, decisions out. No database, no clock, no request; the services load the data,
call a planner and write what it decided. Tested without a database (tests/test_planning.py)."""
