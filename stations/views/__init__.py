"""Views, one module per part of the portal (public pages, staff pages, operations)."""
