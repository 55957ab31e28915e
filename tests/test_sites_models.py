"""The network's rules: the site hierarchy, sibling names, districts, deputies' levels and photos."""

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from stations.models import Area, Deputy, District, Site, SiteKind
from tests.conftest import make_deputy


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _new_site(district, **fields) -> Site:
    defaults = {"district": district, "town": "余新镇", "name": "新站点", "slug": "new-site"}
    return Site(**{**defaults, **fields})


def _refused(site: Site, message: str) -> None:
    """full_clean() refuses the site with the Chinese message, and nothing reaches the database."""
    before = list(Site.objects.order_by("pk").values_list("pk", "kind", "parent_id", "name", "district_id"))
    with pytest.raises(ValidationError) as refused:
        site.full_clean()
    assert message in _messages(refused.value)
    after = list(Site.objects.order_by("pk").values_list("pk", "kind", "parent_id", "name", "district_id"))
    assert after == before


# --- the hierarchy: the good cases ----------------------------------------------------------------------


def test_station_room_and_point_under_a_room_are_valid(point):
    for site in (point.parent.parent, point.parent, point):
        site.full_clean()
    assert point.station == point.parent.parent


def test_point_directly_under_a_station_is_valid(station):
    _new_site(station.district, kind=SiteKind.POINT, parent=station).full_clean()


def test_a_new_room_takes_its_parents_district(station):
    room = Site(kind=SiteKind.ROOM, parent=station, town="余新镇", name="余北村代表联络室", slug="yubei")
    room.full_clean()
    assert room.district == station.district


# --- the hierarchy: every bad case is refused, with a Chinese message, nothing saved ---------------------


def test_room_under_a_room_is_refused(room):
    _refused(_new_site(room.district, kind=SiteKind.ROOM, parent=room), "代表联络室必须隶属于代表联络站。")


def test_point_under_a_point_is_refused(point):
    _refused(_new_site(point.district, kind=SiteKind.POINT, parent=point), "代表联络点必须隶属于联络站或联络室。")


def test_station_with_a_parent_is_refused(station):
    _refused(
        _new_site(station.district, kind=SiteKind.STATION, parent=station),
        "联络站是网络的最上级，不能设置上级站点。",
    )


def test_room_without_a_parent_is_refused(district):
    _refused(_new_site(district, kind=SiteKind.ROOM), "联络室或联络点必须隶属于联络站或联络室。")


def test_moving_a_room_under_itself_is_refused(room):
    room.parent = room
    _refused(room, "代表联络室必须隶属于代表联络站。")


def test_a_cycle_is_refused(room):
    """A station turned into a point under its own room would make the station its own ancestor."""
    station = room.parent
    station.kind = SiteKind.POINT
    station.parent = room
    _refused(station, "站点不能隶属于自身或其下级站点。")


def test_a_site_with_children_cannot_become_a_point(point):
    room = point.parent
    room.kind = SiteKind.POINT
    _refused(room, "下设联络室或联络点的站点不能改为联络点。")


def test_duplicate_sibling_name_is_refused(room):
    twin = _new_site(room.district, kind=SiteKind.ROOM, parent=room.parent, name=room.name, slug="twin")
    _refused(twin, "同一上级站点下已有同名站点。")


def test_same_name_under_different_parents_is_allowed(room, other_station):
    _new_site(room.district, kind=SiteKind.ROOM, parent=other_station, name=room.name, slug="twin").full_clean()


def test_duplicate_station_name_in_the_district_is_refused(station):
    twin = _new_site(station.district, kind=SiteKind.STATION, name=station.name, slug="twin")
    _refused(twin, "本区已有同名联络站。")


def test_district_differing_from_the_parents_is_refused(room):
    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    _refused(_new_site(other, kind=SiteKind.POINT, parent=room), "站点必须与上级站点属于同一个区。")


def test_duplicate_slug_is_refused(room):
    clash = _new_site(room.district, kind=SiteKind.ROOM, parent=room.parent, name="别的联络室", slug=room.slug)
    with pytest.raises(ValidationError) as refused:
        clash.full_clean()
    assert "slug" in refused.value.message_dict


# --- searching the network ------------------------------------------------------------------------------


def test_search_finds_sites_by_the_villages_they_serve_once_each(room, other_room):
    other_room.areas.add(Area.objects.create(district=other_room.district, town="凤桥镇", name="金星新村"))
    found = list(Site.objects.search("金星"))
    assert sorted(site.slug for site in found) == ["fengqiao-village", "yuxin-jinxing"]
    assert list(Site.objects.search("长秦")) == [room]


# --- deputies -------------------------------------------------------------------------------------------


def test_deputy_levels_are_listed_highest_first_once_each(district, room):
    import datetime as dt

    deputy = make_deputy(district, "沈建华", level="town", sites=[room], slug="shen-jianhua")
    deputy.mandates.create(level="district", term_start=dt.date(2021, 12, 1))
    deputy.mandates.create(level="town", term_start=dt.date(2016, 12, 1), term_end=dt.date(2021, 12, 1))
    assert deputy.levels == ["district", "town"]
    assert [str(title) for title in deputy.titles] == ["区人大代表", "镇人大代表"]


def test_unassigned_lists_active_deputies_without_a_site(district, room):
    make_deputy(district, "有站", sites=[room], slug="a")
    lonely = make_deputy(district, "无站", slug="b")
    make_deputy(district, "离任", slug="c", is_active=False)
    assert list(Deputy.objects.unassigned()) == [lonely]


def _image(fmt: str, size: tuple[int, int], *, noise: bool = False) -> bytes:
    """A real image made by Pillow; with noise it does not compress, so its size in bytes is predictable."""
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (30, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_small_photo_is_accepted(district):
    deputy = Deputy(district=district, name="沈建华", slug="shen", gender="m")
    deputy.photo = SimpleUploadedFile("shen.jpg", _image("JPEG", (150, 200)), "image/jpeg")
    deputy.full_clean()


def test_a_photo_over_2_mb_is_refused(district):
    data = _image("PNG", (1000, 1000), noise=True)
    assert len(data) > 2 * 1024 * 1024
    deputy = Deputy(district=district, name="沈建华", slug="shen", gender="m")
    deputy.photo = SimpleUploadedFile("big.png", data, "image/png")
    with pytest.raises(ValidationError) as refused:
        deputy.full_clean()
    assert refused.value.message_dict["photo"] == ["照片超过2MB，请上传较小的图片。"]
    assert not Deputy.objects.exists()


def test_a_photo_of_another_file_type_is_refused(district):
    deputy = Deputy(district=district, name="沈建华", slug="shen", gender="m")
    deputy.photo = SimpleUploadedFile("cv.pdf", b"%PDF-1.4 not a photo", "application/pdf")
    with pytest.raises(ValidationError) as refused:
        deputy.full_clean()
    assert "photo" in refused.value.message_dict


def test_a_file_named_like_a_photo_but_not_an_image_is_refused(district):
    deputy = Deputy(district=district, name="沈建华", slug="shen", gender="m")
    deputy.photo = SimpleUploadedFile("photo.png", b"this is not a picture at all", "image/png")
    with pytest.raises(ValidationError) as refused:
        deputy.full_clean()
    assert refused.value.message_dict["photo"] == ["无法识别该文件为图片，请上传JPEG、PNG或WebP格式的照片。"]


def test_sites_in_network_order_put_the_station_before_its_rooms_before_its_points(station, room, point):
    names = list(Site.objects.under_station(station).in_network_order().values_list("kind", flat=True))
    assert names == ["station", "room", "point"]


def test_a_photo_claiming_too_many_pixels_is_refused_from_its_header(district):
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000), 1).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 100 * 1024  # small on disk, 144 megapixels once decoded
    deputy = Deputy(district=district, name="沈建华", slug="shen", gender="m")
    deputy.photo = SimpleUploadedFile("bomb.png", buffer.getvalue(), "image/png")
    with pytest.raises(ValidationError) as refused:
        deputy.full_clean()
    assert refused.value.message_dict["photo"] == ["图片像素过多（最多4000万像素，如5000×8000），请上传较小的图片。"]


def test_full_clean_keeps_a_new_photo_at_display_size_upright_and_without_metadata(district):
    image = Image.new("RGB", (3000, 4000), (200, 100, 50))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; shown rotated by 90°
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    deputy = Deputy(district=district, name="沈建华", slug="shen", gender="m")
    deputy.photo = SimpleUploadedFile("shen.jpeg", buffer.getvalue(), "image/jpeg")
    deputy.full_clean()
    deputy.save()
    deputy.refresh_from_db()
    assert deputy.photo.name.startswith("deputies/shen") and deputy.photo.name.endswith(".jpg")
    with Image.open(deputy.photo.path) as stored:
        assert stored.size == (600, 450)  # turned upright, then fitted into 600 × 800
        assert not stored.getexif()


def test_saving_a_deputy_again_leaves_the_stored_photo_alone(district):
    deputy = Deputy(district=district, name="沈建华", slug="shen", gender="m")
    deputy.photo = SimpleUploadedFile("shen.jpg", _image("JPEG", (150, 200)), "image/jpeg")
    deputy.full_clean()
    deputy.save()
    name = deputy.photo.name
    deputy.occupation = "教师"
    deputy.full_clean()
    deputy.save()
    deputy.refresh_from_db()
    assert deputy.photo.name == name


def test_normalise_photos_brings_photos_stored_before_the_rules_to_them(district, settings):
    folder = settings.MEDIA_ROOT / "deputies"
    folder.mkdir(parents=True)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (4000, 3000), (10, 20, 30)).save(folder / "big.jpg", format="JPEG", exif=exif)
    Image.new("1", (12000, 12000), 1).save(folder / "bomb.png", format="PNG")
    Image.new("RGB", (150, 200), (10, 20, 30)).save(folder / "fine.jpg", format="JPEG")
    big = make_deputy(district, "大图", slug="big", photo="deputies/big.jpg")
    bomb = make_deputy(district, "炸弹", slug="bomb", photo="deputies/bomb.png")
    fine = make_deputy(district, "正常", slug="fine", photo="deputies/fine.jpg")

    call_command("normalise_photos", stdout=io.StringIO())

    big.refresh_from_db()
    with Image.open(big.photo.path) as image:
        assert image.size == (600, 450)
        assert not image.getexif()
    assert not (folder / "big.jpg").exists()
    bomb.refresh_from_db()
    assert not bomb.photo
    assert not (folder / "bomb.png").exists()  # no longer served at /media/ either
    fine.refresh_from_db()
    assert fine.photo.name == "deputies/fine.jpg"

    stored = sorted(path.name for path in folder.iterdir())
    call_command("normalise_photos", stdout=io.StringIO())
    assert sorted(path.name for path in folder.iterdir()) == stored


def test_sites_listed_without_an_order_of_their_own_read_station_room_point(station, room, point, other_room):
    from stations.models import Roster, Site

    # The admin, model choice fields and the policy's querysets list sites in the default order.
    # 余新镇 sorts before 凤桥镇 (by code point, as the database compares them).
    assert list(Site.objects.filter(district=station.district)) == [station, room, point, other_room.parent, other_room]
    # Ordering another model by its site uses the same order (and works: Django prefixes it).
    for site in (point, room, station):
        Roster.objects.create(site=site, year=2027)
    assert [r.site for r in Roster.objects.order_by("site")] == [station, room, point]


# --- Site.station: the top of the parent chain, kept by save() and bulk_create (issue 15) ----------------------


def _chain_top(site: Site) -> int:
    while site.parent is not None:
        site = site.parent
    return site.pk


def _every_station_is_its_chains_top() -> None:
    for site in Site.objects.select_related("parent__parent"):
        assert site.station_id == _chain_top(site), site.name


def test_every_site_knows_its_station_as_the_top_of_its_parent_chain(station, room, point, other_room):
    assert station.station_id == station.pk
    assert Site.objects.get(pk=point.pk).station_id == station.pk
    _every_station_is_its_chains_top()
    assert set(Site.objects.under_station(station)) == {station, room, point}


def test_moving_a_room_to_another_station_takes_its_points_along(station, room, point, other_station):
    room.parent = other_station
    room.full_clean()
    room.save()
    assert Site.objects.get(pk=point.pk).station_id == other_station.pk
    assert point not in Site.objects.under_station(station)
    assert point in Site.objects.under_station(other_station)
    _every_station_is_its_chains_top()


def test_bulk_created_sites_know_their_station_like_saved_ones(district):
    [top] = Site.objects.bulk_create([_new_site(district, kind=SiteKind.STATION, slug="bulk-top", name="批量站")])
    [room] = Site.objects.bulk_create([_new_site(district, kind=SiteKind.ROOM, parent=top, slug="bulk-room")])
    # A parent given by its id only, as a generator writing rows would.
    [point] = Site.objects.bulk_create([_new_site(district, kind=SiteKind.POINT, parent_id=room.pk, slug="bulk-pt")])
    assert (top.station_id, room.station_id, point.station_id) == (top.pk, top.pk, top.pk)
    _every_station_is_its_chains_top()


def test_the_database_refuses_a_room_that_is_its_own_station(room):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.filter(pk=room.pk).update(station=room.pk)


def test_a_station_without_rooms_can_still_be_deleted_and_one_with_rooms_cannot(station, room, other_station):
    from django.db.models import ProtectedError

    other_station.delete()  # its reference to itself does not hold it
    assert not Site.objects.filter(pk=other_station.pk).exists()
    with pytest.raises(ProtectedError):
        station.delete()
