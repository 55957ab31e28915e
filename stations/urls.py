from django.urls import path

from stations.views import opinions, ops, public, staff

app_name = "stations"

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("opinions/new/", opinions.opinion_create, name="opinion_create"),
    path("opinions/submitted/", opinions.opinion_submitted, name="opinion_submitted"),
    path("track/", opinions.track, name="track"),
    path("track/<str:code>/", opinions.track_detail, name="track_detail"),
    path("staff/opinions/", opinions.staff_opinion_list, name="staff_opinion_list"),
    path("staff/opinions/<int:pk>/", opinions.staff_opinion_detail, name="staff_opinion_detail"),
]
