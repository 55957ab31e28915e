from django.urls import path

from stations.views import accounts, audit, opinions, ops, privacy, rosters, schedule, sites, staff, visits

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
    # Duty rosters: the public schedule, calendar feeds and the wall poster (stable: posters print them).
    path("schedule/", schedule.schedule, name="schedule"),
    path("sites/<slug:slug>/calendar.ics", schedule.site_calendar, name="site_calendar"),
    path("sites/<slug:slug>/poster/", schedule.site_poster, name="site_poster"),
    path("deputies/<slug:slug>/calendar.ics", schedule.deputy_calendar, name="deputy_calendar"),
    path("staff/rosters/", rosters.staff_rosters, name="staff_rosters"),
    path("staff/rosters/generate/", rosters.staff_roster_generate, name="staff_roster_generate"),
    path("staff/rosters/publish/", rosters.staff_roster_publish, name="staff_roster_publish"),
    path("staff/rosters/shifts/<int:pk>/", rosters.staff_shift, name="staff_shift"),
    path("staff/rosters/shifts/<int:pk>/assign/", rosters.staff_shift_assign, name="staff_shift_assign"),
    path("staff/rosters/shifts/<int:pk>/remove/", rosters.staff_shift_remove, name="staff_shift_remove"),
    path("staff/rosters/shifts/<int:pk>/swap/", rosters.staff_shift_swap, name="staff_shift_swap"),
    path("staff/rosters/shifts/<int:pk>/substitute/", rosters.staff_shift_substitute, name="staff_shift_substitute"),
    path("staff/rosters/shifts/<int:pk>/move/", rosters.staff_shift_move, name="staff_shift_move"),
    path("staff/rosters/duties/<int:pk>/attendance/", rosters.staff_duty_attendance, name="staff_duty_attendance"),
    path("accounts/two-factor/setup/", accounts.otp_setup, name="otp_setup"),
    path("accounts/two-factor/", accounts.otp_verify, name="otp_verify"),
    path("staff/audit/", audit.audit_log, name="audit_log"),
    path("staff/voters/", privacy.voter_lookup, name="voter_lookup"),
    path("staff/voters/export/", privacy.voter_export, name="voter_export"),
    path("staff/voters/anonymise/", privacy.voter_anonymise, name="voter_anonymise"),
]
