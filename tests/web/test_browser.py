"""Browser walk (Playwright, Debian's chromium) as an inhabitant then as staff.

Each step takes a screenshot (kept under the test's tmp folder) that is checked: size of
the viewport, not blank (share of non-white pixels, number of colours), and the expected
text visible on the page. The console must stay free of errors (a CSP violation or a
JavaScript error fails the walk).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="chromium absent (apt install chromium)"
    ),
]


def _painted(palette: tuple[int, int, int], colours: set[tuple[int, int, int]]) -> bool:
    """Whether a map fill of ``palette`` at 75 % opacity over the #f6f6f6 background shows."""
    expected = [0.75 * c + 0.25 * 0xF6 for c in palette]
    return any(
        max(abs(a - b) for a, b in zip(colour, expected, strict=True)) <= 3 for colour in colours
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def loaded(study_folder: Path) -> None:
    from maillage.web.loading import load_study

    load_study(study_folder)


class Walk:
    """A page with console watching and checked screenshots."""

    def __init__(
        self, page: Any, base: str, shots: Path, viewport: dict[str, int] | None = None
    ) -> None:
        self.page = page
        self.base = base
        self.shots = shots
        self.viewport = viewport or VIEWPORT
        self.errors: list[str] = []
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and "favicon.ico" not in str(m.location.get("url", ""))
                and self.errors.append(m.text)
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and not r.url.endswith("/favicon.ico")
                and self.errors.append(f"{r.status} {r.url}")
            ),
        )

    def go(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, path

    def shot(self, name: str, *texts: str) -> Path:
        expect = playwright_api.expect
        for text in texts:
            expect(self.page.get_by_text(text).first).to_be_visible()
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        image = Image.open(path).convert("RGB")
        assert image.size == (self.viewport["width"], self.viewport["height"]), name
        histogram = image.resize((320, 225)).convert("L").histogram()
        non_white = sum(histogram[:235]) / sum(histogram)
        colours = image.getcolors(maxcolors=1 << 20) or []
        assert non_white > 0.03, f"{name}: page presque blanche"
        assert len(colours) > 20, f"{name}: trop peu de couleurs"
        assert not self.errors, self.errors
        return path


@pytest.fixture
def walk(browser: Any, live_server: Any, loaded: None, tmp_path: Path) -> Iterator[Walk]:
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    yield Walk(context.new_page(), live_server.url, tmp_path)
    context.close()


def test_inhabitant_then_staff(walk: Walk) -> None:
    from django.contrib.auth.models import Group, User

    page = walk.page
    expect = playwright_api.expect
    # Dashboard with the map drawn from the app's own Leaflet.
    walk.go("/")
    expect(page.locator("#carte[data-chargee=oui]")).to_be_attached()
    assert page.locator("#carte path.leaflet-interactive").count() == 53
    walk.shot("01-diagnostic", "Diagnostic de l'accès aux services", "Temps estimés à vol d'oiseau")
    map_shot = walk.shots / "01-carte.png"
    page.locator("#carte").screenshot(path=str(map_shot))
    drawn = {colour for _, colour in Image.open(map_shot).convert("RGB").getcolors(1 << 20)}
    palette = {(0x1A, 0x98, 0x50), (0x91, 0xCF, 0x60), (0xFE, 0xE0, 0x8B), (0xFC, 0x8D, 0x59)}
    assert sum(_painted(colour, drawn) for colour in palette) >= 3
    # Directory: services from my commune, sorted by time.
    walk.go("/services/")
    page.get_by_label("Ma commune").select_option(label="Bessans")
    page.get_by_label("Famille de services").select_option(label="Accès aux soins")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#carte-services[data-chargee=oui]")).to_be_attached()
    walk.shot("02-annuaire", "Temps depuis", "Temps (vol d'oiseau)")
    # Survey, keyboard-reachable labels.
    walk.go("/enquete/")
    page.get_by_label("Votre commune de résidence").select_option(label="Bessans")
    page.get_by_role("radio", name="60 à 74 ans").check()
    soins = page.locator("#famille-soins")
    soins.get_by_role("radio", name="Tous les mois").check()
    soins.get_by_role("radio", name="Plutôt pas satisfait").check()
    soins.get_by_role("radio", name="Trop loin").check()
    soins.get_by_label("Des besoins non couverts ? (facultatif)").fill("Un médecin à Bessans")
    walk.shot("03-enquete", "Enquête de satisfaction sur les services")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    walk.shot("04-enquete-merci", "Vos réponses à l'enquête ont bien été enregistrées")
    # Contribution with consent.
    walk.go("/contribuer/")
    page.get_by_role("radio", name="Une initiative innovante à signaler").check()
    page.get_by_label("Titre").fill("Navette solidaire du Haut")
    page.get_by_label("Votre message").fill("Des bénévoles conduisent les aînés à Modane.")
    page.get_by_label("Votre courriel (facultatif)").fill("claire@example.org")
    page.get_by_label("J'accepte que mes coordonnées").check()
    page.get_by_role("button", name="Envoyer ma contribution").click()
    walk.shot("05-contribution-merci", "Votre contribution a bien été reçue")

    # Staff: an editor signs in through the admin's login page.
    editor = User.objects.create_user("claude", password="Un-mot-de-passe-solide-7", is_staff=True)
    editor.groups.add(Group.objects.get(name="Éditeur"))
    page.goto(walk.base + "/equipe/")
    page.locator("#id_username").fill("claude")
    page.locator("#id_password").fill("Un-mot-de-passe-solide-7")
    page.locator("input[type=submit]").click()
    walk.shot("06-equipe", "Espace équipe", "Contributions en attente de modération : 1")
    # Moderate the contribution.
    page.get_by_role("link", name="Contributions", exact=True).click()
    page.get_by_role("link", name="Navette solidaire du Haut").click()
    page.get_by_label("Décision").select_option(label="Publier")
    walk.shot("07-moderation", "Des bénévoles conduisent les aînés à Modane.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Publiée.")).to_be_visible()
    # Survey results crossed with measured times.
    page.goto(walk.base + "/equipe/enquete/?famille=soins")
    walk.shot("08-resultats", "plus de 30 min", "Communauté de communes Haute Maurienne Vanoise")
    # Create an action.
    page.goto(walk.base + "/equipe/programme/nouvelle/")
    page.get_by_label("Intitulé").fill("Maison de santé pluriprofessionnelle")
    page.get_by_label("Famille de services").select_option(label="Accès aux soins")
    page.get_by_role("checkbox", name="Mobilité et transport à la demande").check()
    page.get_by_label("Échelle").select_option(label="Intercommunal")
    page.get_by_label("Priorité").select_option(label="Priorité 1 (forte)")
    page.get_by_label("Porteur").fill("CC Haute Maurienne Vanoise")
    page.get_by_label("Partenaires").fill("ARS, Département de la Savoie")
    page.get_by_label("Budget (€)").fill("350000")
    page.get_by_label("Première année").select_option("2027")
    page.get_by_label("Dernière année").select_option("2029")
    page.get_by_label("Mutualisation").check()
    page.get_by_label("Visible dans le programme public").check()
    page.get_by_role("button", name="Enregistrer l'action").click()
    expect(
        page.get_by_text("Action « Maison de santé pluriprofessionnelle » créée.")
    ).to_be_visible()
    # Link it to an indicator of the diagnostic.
    page.get_by_label("Niveau").select_option(label="EPCI")
    page.get_by_role("button", name="Proposer ces indicateurs").click()
    page.locator("#id_indicator").select_option(
        label="Population à plus de 30 min — Accès aux soins — EPCI Communauté de communes "
        "Haute Maurienne Vanoise (été)"
    )
    page.get_by_label("Valeur visée (facultatif)").fill("0")
    page.get_by_role("button", name="Lier l'indicateur").click()
    walk.shot("09-action-equipe", "Indicateur lié", "pas encore remesuré")
    # The public programme shows it, with the baseline.
    context = page.context.browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    public = Walk(context.new_page(), walk.base, walk.shots)
    public.go("/programme/")
    public.page.get_by_role("link", name="Maison de santé pluriprofessionnelle").click()
    public.shot(
        "10-programme-public",
        "Maison de santé pluriprofessionnelle",
        "Population à plus de 30 min — Accès aux soins",
        "350 000",
    )
    public.go("/initiatives/")
    public.shot("11-initiatives", "Navette solidaire du Haut")
    assert "claire@example.org" not in public.page.content()
    context.close()
    assert sorted(p.name for p in walk.shots.glob("*.png"))[1] == "01-diagnostic.png"
    assert len(list(walk.shots.glob("*.png"))) == 12


def test_keyboard_skip_link_and_focus(walk: Walk) -> None:
    page = walk.page
    walk.go("/contribuer/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Aller au contenu"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    tag = page.evaluate("document.activeElement.tagName + ':' + document.activeElement.type")
    assert tag in {"INPUT:radio", "A:undefined"}
    walk.shot("clavier", "Contribuer au schéma de services")


PHONE = {"width": 375, "height": 812}
PUBLIC_PAGES = [
    "/",
    "/services/",
    "/services/?commune=73040&family=soins",
    "/enquete/",
    "/contribuer/",
    "/initiatives/",
    "/programme/",
    "/communes/73248/",
    "/donnees-personnelles/",
    "/accessibilite/",
]
STAFF_PAGES = [
    "/equipe/",
    "/equipe/contributions/",
    "/equipe/enquete/",
    "/equipe/enquete/import/",
    "/equipe/programme/",
    "/equipe/programme/nouvelle/",
    "/equipe/donnees-personnelles/",
]
#: Form pages whose labels must sit above their fields on a desktop screen.
FORM_PAGES = ["/contribuer/", "/enquete/", "/equipe/programme/nouvelle/"]

OVERFLOW_JS = "document.documentElement.scrollWidth - window.innerWidth"
#: For each label tied to a text field, select or text area: label bottom minus field top
#: (<= 0: the label is above its field) and horizontal offset of their left edges.
LABELS_JS = """() => [...document.querySelectorAll('main label[for]')].flatMap(label => {
  const field = document.getElementById(label.htmlFor);
  if (!field || !['SELECT', 'TEXTAREA'].includes(field.tagName) &&
      !(field.tagName === 'INPUT' && ['text', 'email', 'tel', 'number', 'password']
        .includes(field.type))) return [];
  const a = label.getBoundingClientRect(), b = field.getBoundingClientRect();
  return [[label.textContent.trim(), a.bottom - b.top, Math.abs(a.left - b.left)]];
})"""


def _sign_in_admin(page: Any, base: str) -> None:
    from django.contrib.auth.models import Group, User

    if not User.objects.filter(username="mise-en-page").exists():
        user = User.objects.create_user("mise-en-page", password="Mise-en-page-9", is_staff=True)
        user.groups.add(Group.objects.get(name="Administrateur"))
    page.goto(base + "/admin/login/?next=/equipe/")
    page.locator("#id_username").fill("mise-en-page")
    page.locator("#id_password").fill("Mise-en-page-9")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/equipe/")


def test_no_horizontal_scroll_on_a_phone_and_labels_above_fields(
    browser: Any, live_server: Any, loaded: None, tmp_path: Path
) -> None:
    phone = browser.new_context(viewport=PHONE, locale="fr-FR")
    walk = Walk(phone.new_page(), live_server.url, tmp_path, PHONE)
    _sign_in_admin(walk.page, walk.base)
    too_wide = {}
    for path in PUBLIC_PAGES + STAFF_PAGES:
        walk.go(path)
        overflow = walk.page.evaluate(OVERFLOW_JS)
        if overflow > 0:
            too_wide[path] = overflow
    walk.go("/")
    walk.shot("375-accueil", "Diagnostic de l'accès aux services")
    walk.go("/programme/")
    walk.shot("375-programme", "Programme d'actions")
    phone.close()
    assert not too_wide, f"pages plus larges que 375 px (px de trop) : {too_wide}"
    desktop = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    wide = Walk(desktop.new_page(), live_server.url, tmp_path)
    _sign_in_admin(wide.page, wide.base)
    for path in FORM_PAGES:
        wide.go(path)
        placements = wide.page.evaluate(LABELS_JS)
        assert placements, path
        misplaced = [p for p in placements if p[1] > 1 or p[2] > 2]
        assert not misplaced, (path, misplaced)
    wide.go("/contribuer/")
    assert wide.page.locator("input[type=radio]:checked").count() == 0
    wide.shot("1280-contribuer", "Contribuer au schéma de services")
    desktop.close()


def _no_page_scroll(walk: Walk) -> None:
    overflow = walk.page.evaluate(OVERFLOW_JS)
    assert overflow <= 0, f"{walk.page.url} : {overflow} px de trop"


def _labels_above(walk: Walk) -> None:
    misplaced = [p for p in walk.page.evaluate(LABELS_JS) if p[1] > 1 or p[2] > 2]
    assert not misplaced, (walk.page.url, misplaced)


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1280", "375"])
def test_participation_accountability_results_and_workshop(
    browser: Any, live_server: Any, loaded: None, tmp_path: Path, viewport: dict[str, int]
) -> None:
    from maillage.web.models import Action, Contribution, SurveyAnswer, SurveyResponse

    expect = playwright_api.expect
    width = viewport["width"]
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    walk = Walk(context.new_page(), live_server.url, tmp_path, viewport)
    page = walk.page
    # An inhabitant contributes.
    walk.go("/contribuer/")
    page.get_by_role("radio", name="Une initiative innovante à signaler").check()
    page.get_by_label("Titre").fill("Covoiturage vers l'hôpital")
    page.get_by_label("Votre message").fill("Un groupe de voisins s'organise à Bessans.")
    page.get_by_label("Commune concernée (facultatif)").select_option(label="Bessans")
    page.get_by_role("button", name="Envoyer ma contribution").click()
    expect(page.get_by_text("Votre contribution a bien été reçue")).to_be_visible()
    item = Contribution.objects.get(title="Covoiturage vers l'hôpital")
    item.status = "publiee"  # moderation is walked in test_inhabitant_then_staff
    item.save()
    # Another visitor supports and comments it, from the map page.
    walk.go("/initiatives/")
    expect(page.locator("#carte-contributions[data-chargee=oui]")).to_be_attached()
    _no_page_scroll(walk)
    page.get_by_role("link", name="Covoiturage vers l'hôpital").click()
    page.get_by_role("button", name="Je soutiens cette contribution").click()
    expect(page.get_by_text("votre soutien est compté")).to_be_visible()
    page.get_by_label("Votre commentaire").fill("Bonne idée, je peux conduire le mardi.")
    page.get_by_role("button", name="Publier mon commentaire").click()
    walk.shot(f"{width}-20-contribution-soutenue", "1 soutien", "Bonne idée")
    _no_page_scroll(walk)
    if width > 400:
        _labels_above(walk)
    # The team answers and links the action it became.
    action = Action.objects.create(
        title="Covoiturage solidaire",
        family="soins",
        level="intercommunal",
        porteur="CC Haute Maurienne Vanoise",
        year_start=2026,
        year_end=2028,
        public=True,
        progress_percent=35,
        status="en_cours",
    )
    action.milestones.create(title="Lancement", due_on="2026-03-01", done_on="2026-03-15")
    action.milestones.create(title="Bilan", due_on="2027-06-30")
    action.fundings.create(funder="Département", year=2026, amount_eur=20000)
    action.fundings.create(funder="CC Haute Maurienne Vanoise", year=2027, amount_eur=15000)
    staff = browser.new_context(viewport=viewport, locale="fr-FR")
    team = Walk(staff.new_page(), live_server.url, tmp_path, viewport)
    _sign_in_admin(team.page, team.base)
    team.go(f"/equipe/contributions/{item.pk}/")
    team.page.get_by_label("Réponse officielle (publiée sous la contribution)").fill(
        "Retenue : le covoiturage solidaire entre au programme."
    )
    team.page.get_by_label("Devenue l'action (facultatif)").select_option(
        label="Covoiturage solidaire"
    )
    team.page.get_by_role("button", name="Enregistrer la réponse").click()
    expect(team.page.get_by_text("Réponse officielle et action liée enregistrées")).to_be_visible()
    walk.go(f"/initiatives/{item.pk}/")
    walk.shot(f"{width}-21-reponse-officielle", "Retenue : le covoiturage", "Covoiturage solidaire")
    # Accountability: the public action page and the open data.
    page.get_by_role("link", name="« Covoiturage solidaire »").click()
    walk.shot(f"{width}-22-suivi-action", "Jalons", "Plan de financement", "Lancement")
    _no_page_scroll(walk)
    assert page.locator("progress.avancement").get_attribute("value") == "35"
    # Survey results (weighted, small cells suppressed).
    for index in range(7):
        response = SurveyResponse.objects.create(
            commune_id="73248", age_band=["20-39", "40-59", "60-74", "75+"][index % 4]
        )
        SurveyAnswer.objects.create(
            response=response, family="soins", satisfaction=2 + index % 2, distance_felt="loin"
        )
    walk.go("/enquete/resultats/?famille=soins")
    walk.shot(f"{width}-23-resultats-enquete", "par intercommunalité", "par bassin de vie")
    _no_page_scroll(walk)
    # The workshop: a closure then an opening, before/after within the page.
    team.go("/equipe/atelier/?famille=soins")
    expect(team.page.locator("#carte-apres[data-chargee=oui]")).to_be_attached()
    # The built-in study is straight-line: closing a pass is shown disabled, and says why.
    expect(team.page.locator("#fermer-route button")).to_be_disabled()
    expect(team.page.locator("#col-indisponible")).to_contain_text(
        "nécessite une étude calculée sur le réseau routier"
    )
    team.page.locator("#services-atelier button.danger").first.click()
    expect(team.page.locator("#changements li")).to_have_count(1)
    expect(team.page.locator("#dernier-calcul")).to_contain_text("ms")
    team.page.get_by_label("Commune").select_option(label="Bessans")
    team.page.get_by_label("Nom du nouveau service").fill("Maison de santé de Bessans")
    team.page.get_by_role("button", name="Ouvrir ici").click()
    expect(team.page.locator("#changements li")).to_have_count(2)
    expect(team.page.locator("#communes-changees")).to_contain_text("Bessans")
    expect(team.page.locator("#carte-apres[data-chargee=oui]")).to_be_attached()
    team.shot(f"{width}-24-atelier", "Avant / après", "Communes qui changent de classe")
    _no_page_scroll(team)
    if width > 400:
        _labels_above(team)
    staff.close()
    context.close()
