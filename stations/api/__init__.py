"""The public API, /api/v1/ (django-ninja): the network and its deputies (Popolo), reception days, figures, and
opinions as Open311 GeoReport v2. Read-only and public, except filing an opinion, which needs an API key."""
