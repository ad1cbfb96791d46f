import io
import random

import pytest

from families.tests.factories import StaffFactory, parent_with_family
from messaging import demo as messaging_demo
from messaging.models import Message, Thread
from news import demo as news_demo
from news.models import NewsPost, PublishedDocument

pytestmark = pytest.mark.django_db


def test_demo_populates_messaging_and_news():
    StaffFactory()
    for _ in range(2):
        _user, family = parent_with_family(children=1)
        family.is_demo = True
        family.save()
    out = io.StringIO()
    rng = random.Random(1)
    messaging_demo.populate(stdout=out, rng=rng)
    news_demo.populate(stdout=out, rng=rng)
    assert Thread.objects.count() >= 4
    assert Message.objects.filter(from_staff=True, read_at__isnull=True).exists()
    assert NewsPost.objects.count() == 4
    doc = PublishedDocument.objects.get(category="menus")
    with doc.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"
