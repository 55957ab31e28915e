"""The Django admin for every model, one module per part of the domain."""

from stations.admin import (  # noqa: F401  (registers the models)
    accounts,
    api,
    audit,
    deputies,
    opinions,
    records,
    rosters,
    sites,
    visits,
)

# The site admin lives with the network part; the roster part adds its "generate next year" action to it.
rosters.attach_site_actions()
