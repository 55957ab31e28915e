from django.urls import path

from stations.views import accounts, audit, ops, privacy, public, staff

app_name = "stations"

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("accounts/two-factor/setup/", accounts.otp_setup, name="otp_setup"),
    path("accounts/two-factor/", accounts.otp_verify, name="otp_verify"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/audit/", audit.audit_log, name="audit_log"),
    path("staff/voters/", privacy.voter_lookup, name="voter_lookup"),
    path("staff/voters/export/", privacy.voter_export, name="voter_export"),
    path("staff/voters/anonymise/", privacy.voter_anonymise, name="voter_anonymise"),
]
