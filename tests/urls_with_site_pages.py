"""The portal's URLs plus a stand-in for the site page, which the network work provides.

Lets the poster test check that the QR code targets `/sites/<slug>/` whether or not that page has landed."""

from django.http import HttpResponse
from django.urls import include, path

from liaison.urls import urlpatterns as portal
from stations.urls import urlpatterns as station_urls


def _site_page(request, slug):
    return HttpResponse(slug)


urlpatterns = [
    path("", include(([*station_urls, path("sites/<slug:slug>/", _site_page, name="site_detail")], "stations"))),
    *(pattern for pattern in portal if getattr(pattern, "namespace", None) != "stations"),
]
