"""Reads that several views share (schedule look-ups, statistics), one module per part of the domain."""
