from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from stations.api.main import api
from stations.forms.accounts import SignInForm
from stations.views.accounts import AuditedPasswordChangeView


def media(request, path: str):
    # MEDIA_ROOT is read on each request rather than bound when the URLconf is imported, so the directory in
    # use is always the one the settings name (tests point it at a temporary directory).
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    path("", include("stations.urls")),
    # Only these of django.contrib.auth.urls: no self-service password reset. Its link would travel by e-mail
    # (with the default backend, into the server log) and let whoever reads it take over a station account,
    # which has no second factor. A district administrator sets a new password in the admin (audited).
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", AuditedPasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    # Uploaded deputy photos. A small intranet portal has no separate file server; gunicorn serves them.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media, name="media"),
]

handler400 = "stations.views.errors.bad_request"
handler404 = "stations.views.errors.page_not_found"
handler500 = "stations.views.errors.server_error"
handler403 = "stations.views.errors.permission_denied"
