from django.urls import path

from stations.views import opinions, ops, sites, staff, visits

app_name = "stations"

urlpatterns = [
    path("", sites.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("sites/", sites.site_list, name="site_list"),
    path("sites/<slug:slug>/", sites.site_detail, name="site_detail"),
    path("deputies/", sites.deputy_list, name="deputy_list"),
    path("deputies/<slug:slug>/", sites.deputy_detail, name="deputy_detail"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/visits/", visits.visit_list, name="visit_list"),
    path("staff/visits/new/", visits.visit_create, name="visit_create"),
    path("staff/visits/export.<str:fmt>", visits.visit_export, name="visit_export"),
    path("staff/visits/<int:pk>/", visits.visit_detail, name="visit_detail"),
    path("staff/visits/<int:pk>/edit/", visits.visit_update, name="visit_update"),
    path("staff/visits/<int:pk>/archive/", visits.visit_archive, name="visit_archive"),
    path("staff/visits/<int:pk>/restore/", visits.visit_restore, name="visit_restore"),
    path("opinions/new/", opinions.opinion_create, name="opinion_create"),
    path("opinions/submitted/", opinions.opinion_submitted, name="opinion_submitted"),
    path("track/", opinions.track, name="track"),
    path("track/<str:code>/", opinions.track_detail, name="track_detail"),
    path("staff/opinions/", opinions.staff_opinion_list, name="staff_opinion_list"),
    path("staff/opinions/<int:pk>/", opinions.staff_opinion_detail, name="staff_opinion_detail"),
]
