"""The Django admin for handling bodies and opinions."""

import re

from django.urls import reverse

from stations.models import HandlingBody
from tests.factories_opinions import make_opinion


def test_the_opinion_list_in_the_admin_masks_phones(admin_client, room):
    opinion = make_opinion(room, submitter_name="王小明", submitter_phone="13812345678", consent=True)

    response = admin_client.get(reverse("admin:stations_opinion_changelist"))

    assert response.status_code == 200
    assert opinion.reference in response.text
    assert "138****5678" in response.text
    assert not re.search(r"\d{11}", response.text)


def test_opinions_are_not_added_in_the_admin_but_their_page_opens(admin_client, room):
    opinion = make_opinion(room)
    assert admin_client.get(reverse("admin:stations_opinion_add")).status_code == 403
    assert admin_client.get(reverse("admin:stations_opinion_change", args=[opinion.pk])).status_code == 200


def test_handling_bodies_are_managed_in_the_admin(admin_client, db):
    response = admin_client.post(
        reverse("admin:stations_handlingbody_add"), {"name": "区生态环境分局", "email": "", "is_active": "on"}
    )
    assert response.status_code == 302
    assert HandlingBody.objects.filter(name="区生态环境分局", is_active=True).exists()
