from django.urls import path

from stations.views import ops, public, staff, stats

app_name = "stations"

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("stats/", stats.public_stats, name="public_stats"),
    path("staff/stats/", stats.staff_stats, name="staff_stats"),
    path("staff/deputies/", stats.deputy_attendance, name="deputy_attendance"),
    path("staff/deputies/<slug:slug>/record/", stats.deputy_record, name="deputy_record"),
]
