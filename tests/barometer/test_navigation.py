"""The header leads each role to its barometer pages."""

import pytest
from django.urls import reverse

from ..conftest import login_as

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "persona, shown, hidden",
    [
        ("platform_a", "barometer_platform:editions", "barometer_backoffice:overview"),
        ("supervisor", "barometer_backoffice:overview", "barometer_platform:editions"),
        ("agent", None, "barometer_backoffice:overview"),
    ],
)
def test_header_links_to_the_barometer_pages_of_ones_role(client, personas, persona, shown, hidden):
    login_as(client, personas, persona)
    page = client.get(reverse("core:account")).content.decode()
    assert reverse("barometer:compare") in page
    if shown:
        assert f'href="{reverse(shown)}"' in page
    assert f'href="{reverse(hidden)}"' not in page
