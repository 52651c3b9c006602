import pytest

pytestmark = pytest.mark.django_db


def test_land_page_lists_kreise(client):
    response = client.get("/gebiete/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thüringen" in html and "Eichsfeld" in html and "Erfurt" in html
    assert response.context["counts"]["gemeinden"] == 624


def test_kreis_page_groups_gemeinden_by_verband(client):
    response = client.get("/gebiete/kreis/16061/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hanstein-Rusteberg" in html and "Arenshausen" in html
    assert "Landratsamt Eichsfeld" in html


def test_gemeinde_page_shows_verband_kreis_plz_and_authorities(client):
    response = client.get("/gebiete/gemeinde/16061001/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Arenshausen",
        "Hanstein-Rusteberg",
        "Eichsfeld",
        "37318",
        "Verwaltungsgemeinschaft Hanstein-Rusteberg",
        "Landratsamt Eichsfeld",
    ):
        assert text in html


def test_gemeinde_page_draws_the_boundary_when_loaded(client, shared_data):
    html = client.get("/gebiete/gemeinde/16051000/").content.decode()
    assert '<svg class="verbund-map"' in html and 'd="M' in html


@pytest.mark.parametrize(
    "url",
    [
        "/gebiete/gemeinde/16099999/",
        "/gebiete/gemeinde/xyz/",
        "/gebiete/kreis/99999/",
        "/behoerden/gibt-es-nicht/",
    ],
)
def test_unknown_units_are_404_pages(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()
