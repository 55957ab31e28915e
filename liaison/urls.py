from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve


def media(request, path: str):
    # MEDIA_ROOT is read on each request rather than bound when the URLconf is imported, so the directory in
    # use is always the one the settings name (tests point it at a temporary directory).
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    path("", include("stations.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Uploaded deputy photos. A small intranet portal has no separate file server; gunicorn serves them.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media, name="media"),
]

handler400 = "stations.views.errors.bad_request"
handler404 = "stations.views.errors.page_not_found"
handler500 = "stations.views.errors.server_error"
handler403 = "stations.views.errors.permission_denied"
