from django.urls import path

from stations.views import ops, public, staff

app_name = "stations"

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("staff/", staff.staff_home, name="staff_home"),
]
