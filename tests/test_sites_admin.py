"""The Django admin for the network: lists, filters, inlines, and the model's rules shown in Chinese."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.forms import CheckboxInput
from django.urls import reverse
from PIL import Image

from stations.models import Deputy, Membership, Site
from tests.conftest import make_deputy


def _form_data(response, **changes) -> dict:
    """The POST data the admin page in `response` would send unchanged, with `changes` applied: the main
    form's and every inline form's current values plus the management forms."""
    data: dict = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None and not isinstance(value, FieldFile):
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for form in formset.initial_forms:
            add(form)
    data.update(changes)
    return data


def _png(size=(40, 50)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- lists and filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "admin:stations_district_changelist",
        "admin:stations_site_changelist",
        "admin:stations_area_changelist",
        "admin:stations_deputy_changelist",
        "admin:stations_membership_changelist",
        "admin:auth_user_changelist",
    ],
)
def test_admin_lists_load(admin_client, point, deputies, alice, url):
    assert admin_client.get(reverse(url)).status_code == 200


def test_site_list_filters_by_kind_and_searches_villages(admin_client, point, other_room):
    url = reverse("admin:stations_site_changelist")
    rooms = admin_client.get(url, {"kind__exact": "room"}).context["cl"].result_list
    assert {site.slug for site in rooms} == {"yuxin-jinxing", "fengqiao-village"}
    found = admin_client.get(url, {"q": "长秦"}).context["cl"].result_list
    assert [site.slug for site in found] == ["yuxin-jinxing"]


def test_deputy_list_filters_by_level_through_mandates(admin_client, deputies):
    result = admin_client.get(reverse("admin:stations_deputy_changelist"), {"level": "city"}).context["cl"]
    assert [deputy.name for deputy in result.result_list] == ["李建国"]


def test_unassigned_filter_shows_active_deputies_without_a_site(admin_client, deputies, district):
    lonely = make_deputy(district, "孙无站", slug="sun-wuzhan")
    retired = make_deputy(district, "钱退休", slug="qian-tuixiu", is_active=False)
    response = admin_client.get(reverse("admin:stations_deputy_changelist"), {"assignment": "unassigned"})
    names = [deputy.name for deputy in response.context["cl"].result_list]
    assert names == [lonely.name]
    assert retired.name not in names


def test_deputy_list_warns_when_active_deputies_are_unassigned(admin_client, deputies, district):
    page = admin_client.get(reverse("admin:stations_deputy_changelist")).text
    assert "名在任代表尚未进站" not in page
    make_deputy(district, "孙无站", slug="sun-wuzhan")
    page = admin_client.get(reverse("admin:stations_deputy_changelist")).text
    assert "1 名在任代表尚未进站" in page
    assert "?assignment=unassigned" in page


def test_user_page_shows_the_membership_inline(admin_client, alice):
    page = admin_client.get(reverse("admin:auth_user_change", args=[alice.pk])).text
    assert "在联络站网络中的角色" in page
    assert "余新镇代表联络站" in page


# --- the hierarchy rules, in Chinese, nothing saved -------------------------------------------------------


def test_adding_a_room_under_a_room_is_refused_in_chinese(admin_client, room):
    url = reverse("admin:stations_site_add")
    page = admin_client.get(url)
    data = _form_data(
        page,
        district=room.district_id,
        kind="room",
        parent=room.pk,
        name="错误联络室",
        slug="wrong-room",
        town="余新镇",
        deputies_per_shift=2,
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "代表联络室必须隶属于代表联络站" in response.text
    assert not Site.objects.filter(slug="wrong-room").exists()


def test_a_site_in_another_district_than_its_parent_is_refused(admin_client, room):
    from stations.models import District

    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    url = reverse("admin:stations_site_add")
    data = _form_data(
        admin_client.get(url),
        district=other.pk,
        kind="point",
        parent=room.pk,
        name="跨区联络点",
        slug="cross",
        town="余新镇",
        deputies_per_shift=2,
    )
    response = admin_client.post(url, data)
    assert "站点必须与上级站点属于同一个区" in response.text
    assert not Site.objects.filter(slug="cross").exists()


def test_inline_station_under_a_station_is_refused_with_a_visible_message(admin_client, station):
    url = reverse("admin:stations_site_change", args=[station.pk])
    data = _form_data(
        admin_client.get(url),
        **{
            "children-TOTAL_FORMS": "1",
            "children-0-kind": "station",
            "children-0-name": "嵌套联络站",
            "children-0-slug": "nested",
            "children-0-town": "余新镇",
            "children-0-sector": "general",
            "children-0-is_active": "on",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "联络站是网络的最上级，不能设置上级站点" in response.text
    assert not Site.objects.filter(slug="nested").exists()


def test_inline_duplicate_sibling_name_is_refused_in_chinese(admin_client, room):
    station = room.parent
    url = reverse("admin:stations_site_change", args=[station.pk])
    page = admin_client.get(url)
    initial = int(page.context["inline_admin_formsets"][0].formset.management_form["INITIAL_FORMS"].value())
    row = f"children-{initial}"
    data = _form_data(
        page,
        **{
            "children-TOTAL_FORMS": str(initial + 1),
            f"{row}-kind": "room",
            f"{row}-name": room.name,
            f"{row}-slug": "duplicate",
            f"{row}-town": "余新镇",
            f"{row}-sector": "general",
            f"{row}-is_active": "on",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "同一上级站点下已有同名站点" in response.text
    assert not Site.objects.filter(slug="duplicate").exists()


def test_inline_room_is_created_under_the_station_in_its_district(admin_client, station):
    url = reverse("admin:stations_site_change", args=[station.pk])
    data = _form_data(
        admin_client.get(url),
        **{
            "children-TOTAL_FORMS": "1",
            "children-0-kind": "room",
            "children-0-name": "余北村代表联络室",
            "children-0-slug": "yuxin-yubei",
            "children-0-town": "余新镇",
            "children-0-sector": "general",
            "children-0-is_active": "on",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302
    created = Site.objects.get(slug="yuxin-yubei")
    assert created.parent == station and created.district == station.district


def test_history_is_shown_but_cannot_be_reverted(admin_client, room):
    room.name = "金星村联络室（新）"
    room.save()
    history = admin_client.get(reverse("admin:stations_site_history", args=[room.pk]))
    assert history.status_code == 200
    first = room.history.earliest()
    url = reverse("admin:stations_site_simple_history", args=[room.pk, first.history_id])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"name": "金星村代表联络室"}).status_code == 403
    room.refresh_from_db()
    assert room.name == "金星村联络室（新）"


def test_membership_for_staff_without_station_is_refused_in_chinese(admin_client, db):
    user = get_user_model().objects.create_user("newstaff", password="x-very-long-password")
    url = reverse("admin:stations_membership_add")
    response = admin_client.post(url, {"user": user.pk, "role": "staff"})
    assert response.status_code == 200
    assert "站长和联络员必须隶属于一个联络站" in response.text
    assert not Membership.objects.filter(user=user).exists()


# --- deputy photos ---------------------------------------------------------------------------------------


def _deputy_post(admin_client, deputy: Deputy, photo) -> object:
    url = reverse("admin:stations_deputy_change", args=[deputy.pk])
    data = _form_data(admin_client.get(url), photo=photo)
    return admin_client.post(url, data)


def test_admin_accepts_a_small_photo_and_stores_it_under_media_root(admin_client, deputies, settings):
    response = _deputy_post(admin_client, deputies[0], SimpleUploadedFile("gu.png", _png(), "image/png"))
    assert response.status_code == 302
    deputies[0].refresh_from_db()
    assert deputies[0].photo.name.startswith("deputies/")
    assert (settings.MEDIA_ROOT / deputies[0].photo.name).exists()


def test_admin_refuses_a_file_that_is_not_an_image(admin_client, deputies):
    fake = SimpleUploadedFile("gu.png", b"this is not a picture at all", "image/png")
    response = _deputy_post(admin_client, deputies[0], fake)
    assert response.status_code == 200
    assert "请上传一张有效的图片" in response.text
    deputies[0].refresh_from_db()
    assert not deputies[0].photo


# --- deputy photos: bounded pixels, stored at the size the pages show ------------------------------------


def _bomb(size=(12000, 12000)) -> bytes:
    """A PNG of some 40 KB that claims 144 megapixels: a browser showing it would decode about 576 MB."""
    buffer = io.BytesIO()
    Image.new("1", size, 1).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("size", [(12000, 12000), (7000, 7000)])
def test_admin_refuses_a_photo_with_too_many_pixels_next_to_the_field(admin_client, deputies, settings, size):
    # 12000 × 12000 is past Pillow's own bomb limit (twice MAX_IMAGE_PIXELS), 7000 × 7000 only past ours.
    response = _deputy_post(admin_client, deputies[0], SimpleUploadedFile("bomb.png", _bomb(size), "image/png"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["photo"] == [
        "图片像素过多（最多4000万像素，如5000×8000），请上传较小的图片。"
    ]
    deputies[0].refresh_from_db()
    assert not deputies[0].photo
    assert not (settings.MEDIA_ROOT / "deputies").exists()


def _jpeg_with_exif(size=(4000, 3000)) -> bytes:
    image = Image.new("RGB", size, (120, 160, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:11:20 09:30:00"  # DateTime
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 45.0, 0.0), 3: "E", 4: (120.0, 45.0, 0.0)})  # GPS
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, quality=80)
    return buffer.getvalue()


def test_admin_stores_a_large_photo_at_display_size_without_its_exif(admin_client, deputies, settings):
    upload = _jpeg_with_exif()
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif()  # the test photo does carry EXIF, GPS included
        assert original.getexif().get_ifd(0x8825)
    response = _deputy_post(admin_client, deputies[0], SimpleUploadedFile("gu.jpg", upload, "image/jpeg"))
    assert response.status_code == 302
    deputies[0].refresh_from_db()
    stored = settings.MEDIA_ROOT / deputies[0].photo.name
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert image.size == (600, 450)  # fits 600 × 800, proportions kept
        assert not image.getexif()
        assert "exif" not in image.info
    assert stored.stat().st_size < len(upload)


def test_admin_stores_a_transparent_png_as_a_jpeg_on_white(admin_client, deputies, settings):
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 400), (0, 0, 0, 0)).save(buffer, format="PNG")
    response = _deputy_post(admin_client, deputies[0], SimpleUploadedFile("gu.png", buffer.getvalue(), "image/png"))
    assert response.status_code == 302
    deputies[0].refresh_from_db()
    assert deputies[0].photo.name.endswith(".jpg")
    with Image.open(settings.MEDIA_ROOT / deputies[0].photo.name) as image:
        assert image.size == (300, 400)  # a small photo keeps its size
        assert image.getpixel((10, 10)) == (255, 255, 255)
