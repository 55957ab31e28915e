"""Builders for opinions in any state of the workflow, through the real services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from stations.audit import Actor
from stations.models import Category, HandlingBody, Opinion, Satisfaction, Site, Source, State
from stations.services import opinions as services

# The shortest way from registration to each state, as (service, arguments) steps.
PATHS: dict[str, list[str]] = {
    State.REGISTERED: [],
    State.ACCEPTED: ["accept"],
    State.NOT_ACCEPTED: ["not_accept"],
    State.REFERRED: ["accept", "refer"],
    State.REPLIED: ["accept", "refer", "reply"],
    State.RESOLVED: ["accept", "refer", "reply", "resolve"],
    State.EXPLAINED: ["accept", "refer", "reply", "explain"],
    State.CLOSED: ["accept", "refer", "reply", "resolve", "close"],
}


def make_body(name: str = "区住房和城乡建设局", **fields) -> HandlingBody:
    return HandlingBody.objects.get_or_create(name=name, defaults=fields)[0]


def make_opinion(
    site: Site,
    state: str = State.REGISTERED,
    *,
    actor=None,
    satisfaction: str = Satisfaction.UNSATISFIED,
    source: str = Source.ONLINE,
    **fields,
) -> Opinion:
    """An opinion at `site` brought to `state` by the services, as staff would do it."""
    opinion = services.opinion_register(
        site=site,
        category=fields.pop("category", Category.ENVIRONMENT),
        content=fields.pop("content", "村口河道有垃圾漂浮，希望尽快清理。"),
        source=source,
        actor=Actor(user=actor),
        **fields,
    )
    body = make_body()
    for step in PATHS[state]:
        if step == "accept":
            opinion = services.opinion_accept(opinion=opinion, actor=Actor(user=actor), note="属实，予以受理")
        elif step == "not_accept":
            opinion = services.opinion_not_accept(
                opinion=opinion, actor=Actor(user=actor), reason="不属于本级人大职责范围"
            )
        elif step == "refer":
            opinion = services.opinion_refer(opinion=opinion, actor=Actor(user=actor), body=body)
        elif step == "reply":
            opinion = services.opinion_reply(opinion=opinion, actor=Actor(user=actor), reply="已安排保洁公司清理河道。")
        elif step == "resolve":
            opinion = services.opinion_resolve(opinion=opinion, actor=Actor(user=actor))
        elif step == "explain":
            opinion = services.opinion_explain(opinion=opinion, actor=Actor(user=actor), explanation="需列入明年预算。")
        elif step == "close":
            opinion = services.opinion_close(opinion=opinion, actor=Actor(user=actor), satisfaction=satisfaction)
    return opinion


def bulk_opinions(site: Site, count: int, *, body: HandlingBody | None = None, overdue_every: int = 3) -> None:
    """Many referred opinions in one query (for query-count bounds); every `overdue_every`-th one is overdue."""
    today = timezone.localdate()
    now = timezone.now()
    Opinion.objects.bulk_create(
        Opinion(
            reference=f"BULK-{site.pk}-{i:05d}",
            tracking_code=services.new_tracking_code(),
            site=site,
            source=Source.ONLINE,
            category=Category.TRANSPORT,
            content=f"第{i}条意见",
            submitter_name="王小明",
            submitter_phone="13812345678",
            state=State.REFERRED,
            handling_body=body,
            deadline=today - dt.timedelta(days=1) if i % overdue_every == 0 else today + dt.timedelta(days=10),
            registered_at=now - dt.timedelta(minutes=i),
        )
        for i in range(count)
    )
