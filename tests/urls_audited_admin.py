"""A URLconf with an admin site of the portal's kind on which Deputy is registered: the deputies' admin is
another part's work, and these tests check that any model registered on such a site is audited."""

from django.urls import include, path

from stations.admin_site import LiaisonAdminSite
from stations.models import Deputy

site = LiaisonAdminSite(name="admin")
site.register(Deputy)

urlpatterns = [
    path("", include("stations.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", site.urls),
]
