from django.urls import path

from stations.views import ops, public, rosters, schedule, staff

app_name = "stations"

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("staff/", staff.staff_home, name="staff_home"),
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
]
