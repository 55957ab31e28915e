from django.urls import path

from stations.views import ops, sites, staff

app_name = "stations"

urlpatterns = [
    path("", sites.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("sites/", sites.site_list, name="site_list"),
    path("sites/<slug:slug>/", sites.site_detail, name="site_detail"),
    path("deputies/", sites.deputy_list, name="deputy_list"),
    path("deputies/<slug:slug>/", sites.deputy_detail, name="deputy_detail"),
    path("staff/", staff.staff_home, name="staff_home"),
]
