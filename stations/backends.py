"""Permissions by role: a district administrator manages the whole network in the admin.

Django's admin asks for model permissions (`stations.change_site`, …). Granting them one by one to every
district administrator would drift from their role; the role is the single source of truth, so this
backend answers yes to every permission of the portal's own apps for an active district administrator.
Station staff and heads work in the staff pages, not the admin, and get nothing here.
"""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

from stations.policy import can_administer_network

# Apps a district administrator manages: the network, accounts and roles, lockouts, second-factor devices.
MANAGED_APPS = {"stations", "auth", "axes", "otp_totp"}


class DistrictAdminPermissionBackend(BaseBackend):
    def _by_role(self, user_obj) -> bool:
        return can_administer_network(user_obj)

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return self._by_role(user_obj) and perm.split(".", 1)[0] in MANAGED_APPS

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return self._by_role(user_obj) and app_label in MANAGED_APPS
