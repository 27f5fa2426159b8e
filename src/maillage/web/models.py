# ruff: noqa: RUF012 -- Django declares options as mutable class attributes (Meta, admin).
"""Data model of the web app: the loaded diagnostic, the survey, contributions, actions.

Diagnostic (loaded from a study folder by ``manage charger_etude``):
:class:`Study` (one per load: the first is the baseline, later ones re-measures),
:class:`Commune`, :class:`Service`, :class:`CommuneTime`, :class:`Indicator` and its
:class:`Measurement` per study.

Concertation: :class:`SurveyResponse` with one :class:`SurveyAnswer` per family (anonymous:
no name, no address, no IP), :class:`Contribution` (the only personal data: name, e-mail,
telephone, kept with the contributor's consent, exportable and erasable).

Follow-up: :class:`Action` of the 6-year programme, linked to the :class:`Indicator` it
should move through :class:`ActionIndicator` (baseline and latest measure).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from maillage.services.typology import FAMILIES

#: French labels of the five families (typologie.toml), in the order of the report.
FAMILY_LABELS = {
    "social_emploi": "Services publics sociaux et de l'emploi",
    "soins": "Accès aux soins",
    "domicile": "Services à domicile",
    "jeunesse_parents": "Jeunesse et aide aux parents",
    "petite_enfance": "Petite enfance, famille",
}
FAMILY_CHOICES = [(code, FAMILY_LABELS[code]) for code in FAMILIES]

AGE_BANDS = [
    ("0-19", "Moins de 20 ans"),
    ("20-39", "20 à 39 ans"),
    ("40-59", "40 à 59 ans"),
    ("60-74", "60 à 74 ans"),
    ("75+", "75 ans et plus"),
]
USE_CHOICES = [
    ("jamais", "Jamais"),
    ("rarement", "Moins d'une fois par mois"),
    ("mois", "Tous les mois"),
    ("semaine", "Toutes les semaines"),
]
SATISFACTION_CHOICES = [
    (1, "Pas du tout satisfait"),
    (2, "Plutôt pas satisfait"),
    (3, "Plutôt satisfait"),
    (4, "Très satisfait"),
]
DISTANCE_CHOICES = [
    ("proche", "Proche"),
    ("acceptable", "Acceptable"),
    ("loin", "Un peu loin"),
    ("trop_loin", "Trop loin"),
]
FAR_DISTANCES = ("loin", "trop_loin")


class Study(models.Model):
    """One load of a study folder: the diagnostic's measure at a date."""

    path = models.CharField("dossier d'étude", max_length=500)
    territory = models.CharField("territoire", max_length=200)
    method = models.CharField("méthode des temps", max_length=50)
    population = models.PositiveIntegerField("population", default=0)
    summary = models.JSONField("résumé", default=dict)
    fingerprint = models.CharField("empreinte", max_length=64, default="")
    loaded_at = models.DateTimeField("chargée le", auto_now_add=True)

    class Meta:
        verbose_name = "mesure du diagnostic"
        verbose_name_plural = "mesures du diagnostic"
        ordering = ["loaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.territory} — {self.loaded_at:%d/%m/%Y %H:%M}"


class Commune(models.Model):
    """A commune of the territory (or of its buffer ring, for the services directory)."""

    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=200)
    epci = models.CharField("EPCI (SIREN)", max_length=9, blank=True, db_index=True)
    epci_name = models.CharField("intercommunalité", max_length=200, blank=True)
    bassin = models.CharField("bassin de vie (code)", max_length=9, blank=True, db_index=True)
    bassin_name = models.CharField("bassin de vie", max_length=200, blank=True)
    in_territory = models.BooleanField("dans le territoire", default=True)
    population = models.PositiveIntegerField("population", default=0)
    x_m = models.FloatField("X Lambert-93 (m)")
    y_m = models.FloatField("Y Lambert-93 (m)")
    lon = models.FloatField("longitude")
    lat = models.FloatField("latitude")
    outline = models.JSONField("contour (GeoJSON)", null=True, blank=True)
    enjeu_rank = models.PositiveIntegerField("rang d'enjeu", null=True, blank=True)
    enjeu_class = models.CharField("classe d'enjeu", max_length=30, blank=True)
    enjeu_reasons = models.CharField("raisons", max_length=500, blank=True)

    class Meta:
        verbose_name = "commune"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A service point of the directory (territory and buffer ring)."""

    service_id = models.CharField("identifiant", max_length=100, unique=True)
    name = models.CharField("nom", max_length=300)
    type = models.CharField("type (BPE)", max_length=10)
    type_label = models.CharField("type", max_length=200)
    family = models.CharField("famille", max_length=30, choices=FAMILY_CHOICES, db_index=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, verbose_name="commune")
    address = models.CharField("adresse", max_length=300, blank=True)
    opening_hours = models.CharField("horaires (OSM)", max_length=500, blank=True)
    hours_per_week = models.FloatField("heures d'ouverture par semaine", null=True, blank=True)
    open_saturday = models.BooleanField("ouvert le samedi", null=True, blank=True)
    source = models.CharField("source", max_length=50)
    x_m = models.FloatField("X Lambert-93 (m)")
    y_m = models.FloatField("Y Lambert-93 (m)")
    lon = models.FloatField("longitude")
    lat = models.FloatField("latitude")

    class Meta:
        verbose_name = "service"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CommuneTime(models.Model):
    """Time from a commune to the nearest service of a family, as measured by a study."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE)
    family = models.CharField(max_length=30, choices=FAMILY_CHOICES)
    season = models.CharField(max_length=10)
    minutes = models.FloatField(null=True)

    class Meta:
        verbose_name = "temps d'accès d'une commune"
        constraints = [
            models.UniqueConstraint(
                fields=["study", "commune", "family", "season"], name="unique_commune_time"
            )
        ]


class Indicator(models.Model):
    """An indicator of the diagnostic that actions can aim at (stable across re-measures).

    ``code`` is ``niveau:zone:family:season:measure``, e.g.
    ``epci:200070340:soins:ete:population_beyond_30min``.
    """

    code = models.CharField("code", max_length=200, unique=True)
    level = models.CharField("niveau", max_length=20)
    zone = models.CharField("zone", max_length=50)
    zone_label = models.CharField("zone (libellé)", max_length=200)
    family = models.CharField("famille", max_length=30, choices=FAMILY_CHOICES)
    season = models.CharField("saison", max_length=10)
    measure = models.CharField("mesure", max_length=60)
    label = models.CharField("libellé", max_length=300)
    unit = models.CharField("unité", max_length=30)

    class Meta:
        verbose_name = "indicateur"
        ordering = ["family", "level", "zone", "measure"]

    def __str__(self) -> str:
        return self.label

    def baseline(self) -> Measurement | None:
        """The first measure (diagnostic de départ)."""
        return self.measurements.select_related("study").order_by("study__loaded_at").first()

    def latest(self) -> Measurement | None:
        """The latest re-measure."""
        return self.measurements.select_related("study").order_by("-study__loaded_at").first()


class Measurement(models.Model):
    """The value of an indicator in one study."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="measurements")
    value = models.FloatField("valeur", null=True)

    class Meta:
        verbose_name = "mesure d'un indicateur"
        constraints = [
            models.UniqueConstraint(fields=["indicator", "study"], name="unique_measurement")
        ]


class SurveyFamilySetting(models.Model):
    """What the survey asks about one family: asked or not, and a question of the team's own."""

    family = models.CharField("famille", max_length=30, choices=FAMILY_CHOICES, unique=True)
    enabled = models.BooleanField("posée dans l'enquête", default=True)
    extra_question = models.CharField(
        "question propre (facultatif)",
        max_length=300,
        blank=True,
        help_text="Une question ouverte de plus pour cette famille, ex. « Utiliseriez-vous "
        "une téléconsultation en pharmacie ? »",
    )

    class Meta:
        verbose_name = "questions d'une famille"
        verbose_name_plural = "questions par famille"
        ordering = ["family"]

    def __str__(self) -> str:
        return FAMILY_LABELS.get(self.family, self.family)


class SurveyImport(models.Model):
    """One imported CSV file of answers: a file (by its SHA-256) is imported once."""

    sha256 = models.CharField("empreinte SHA-256", max_length=64, unique=True)
    filename = models.CharField("fichier", max_length=255)
    source = models.CharField("origine", max_length=20)
    rows_read = models.PositiveIntegerField("lignes lues", default=0)
    accepted = models.PositiveIntegerField("réponses acceptées", default=0)
    blank_lines = models.PositiveIntegerField("lignes vides", default=0)
    imported_at = models.DateTimeField("importé le", auto_now_add=True)

    class Meta:
        verbose_name = "import de réponses"
        verbose_name_plural = "imports de réponses"
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.accepted} réponses)"


class SurveyResponse(models.Model):
    """One anonymous answer to the satisfaction survey (web, paper or LimeSurvey)."""

    SOURCES = [("web", "En ligne"), ("papier", "Papier"), ("limesurvey", "LimeSurvey")]
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, verbose_name="commune"
    )
    age_band = models.CharField("tranche d'âge", max_length=10, choices=AGE_BANDS)
    source = models.CharField("origine", max_length=20, choices=SOURCES, default="web")
    imported_from = models.ForeignKey(
        SurveyImport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name="import",
    )
    created_at = models.DateTimeField("reçue le", auto_now_add=True)

    class Meta:
        verbose_name = "réponse à l'enquête"
        verbose_name_plural = "réponses à l'enquête"
        ordering = ["-created_at"]
        permissions = [("import_surveyresponse", "Importer des réponses (CSV)")]

    def __str__(self) -> str:
        return f"Réponse n° {self.pk}"


class SurveyAnswer(models.Model):
    """The answers of one response about one family of services."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    family = models.CharField("famille", max_length=30, choices=FAMILY_CHOICES)
    use = models.CharField("fréquentation", max_length=20, choices=USE_CHOICES, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        "satisfaction", choices=SATISFACTION_CHOICES, null=True, blank=True
    )
    distance_felt = models.CharField(
        "distance ressentie", max_length=20, choices=DISTANCE_CHOICES, blank=True
    )
    unmet_needs = models.TextField("besoins non couverts", max_length=1000, blank=True)
    extra_answer = models.TextField("réponse à la question propre", max_length=1000, blank=True)

    class Meta:
        verbose_name = "réponse par famille"
        constraints = [
            models.UniqueConstraint(fields=["response", "family"], name="unique_answer_family")
        ]


class Contribution(models.Model):
    """A contribution of an inhabitant: an initiative, a resource person, a wish to take part.

    Name, e-mail and telephone are personal data: never shown on public pages, kept only
    with ``consent``, exported and erased on request (staff page "Données personnelles").
    """

    KINDS = [
        ("initiative", "Une initiative innovante à signaler"),
        ("personne", "Une personne ressource"),
        ("participer", "Envie de participer"),
    ]
    STATUSES = [
        ("attente", "En attente de modération"),
        ("publiee", "Publiée"),
        ("rejetee", "Rejetée"),
    ]
    kind = models.CharField("nature", max_length=20, choices=KINDS)
    title = models.CharField("titre", max_length=200)
    message = models.TextField("message", max_length=4000)
    commune = models.ForeignKey(
        Commune, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="commune"
    )
    family = models.CharField(
        "famille de services", max_length=30, choices=FAMILY_CHOICES, blank=True
    )
    name = models.CharField("nom", max_length=200, blank=True)
    email = models.EmailField("courriel", blank=True, db_index=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    consent = models.BooleanField("consentement", default=False)
    status = models.CharField("statut", max_length=20, choices=STATUSES, default="attente")
    moderation_note = models.CharField("note de modération", max_length=500, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modérée par",
    )
    moderated_at = models.DateTimeField("modérée le", null=True, blank=True)
    official_answer = models.TextField("réponse officielle", max_length=4000, blank=True)
    answered_at = models.DateTimeField("répondue le", null=True, blank=True)
    action = models.ForeignKey(
        "Action",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name="devenue l'action",
    )
    created_at = models.DateTimeField("reçue le", auto_now_add=True)

    class Meta:
        verbose_name = "contribution"
        ordering = ["-created_at"]
        permissions = [
            ("moderate_contribution", "Modérer les contributions"),
            ("manage_personal_data", "Exporter et effacer les données personnelles"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_personal_data(self) -> bool:
        """Whether a name, an e-mail or a telephone is kept."""
        return bool(self.name or self.email or self.phone)


class ContributionSupport(models.Model):
    """One visitor's support of a published contribution (one per browser, anonymous).

    ``voter`` is a hash of a random identifier kept in the visitor's session: no account,
    no address kept.
    """

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="supports"
    )
    voter = models.CharField("soutien (empreinte)", max_length=64)
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "soutien"
        constraints = [
            models.UniqueConstraint(fields=["contribution", "voter"], name="unique_support")
        ]


class ContributionComment(models.Model):
    """A public comment on a published contribution (editors may hide it)."""

    STATUSES = [("publie", "Publié"), ("masque", "Masqué par la modération")]
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.CharField("signature (facultatif)", max_length=80, blank=True)
    message = models.TextField("commentaire", max_length=2000)
    status = models.CharField("statut", max_length=10, choices=STATUSES, default="publie")
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "commentaire"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.message[:60]


class Theme(models.Model):
    """A transversal theme of the programme (mobility, digital inclusion...)."""

    name = models.CharField("thème", max_length=100, unique=True)

    class Meta:
        verbose_name = "thème transversal"
        verbose_name_plural = "thèmes transversaux"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _programme_years() -> tuple[int, int]:
    start = int(settings.MAILLAGE_PROGRAMME_START)
    return start, start + 5


class Action(models.Model):
    """An action of the 6-year programme."""

    LEVELS = [
        ("communal", "Communal"),
        ("intercommunal", "Intercommunal"),
        ("supra", "Supra-intercommunal"),
    ]
    PRIORITIES = [(1, "Priorité 1 (forte)"), (2, "Priorité 2"), (3, "Priorité 3")]
    STATUSES = [
        ("prevue", "Prévue"),
        ("en_cours", "En cours"),
        ("realisee", "Réalisée"),
        ("abandonnee", "Abandonnée"),
    ]
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", max_length=5000, blank=True)
    family = models.CharField("famille de services", max_length=30, choices=FAMILY_CHOICES)
    themes = models.ManyToManyField(Theme, blank=True, verbose_name="thèmes transversaux")
    level = models.CharField("échelle", max_length=20, choices=LEVELS)
    objectives = models.TextField("objectifs", max_length=3000, blank=True)
    priority = models.PositiveSmallIntegerField("priorité", choices=PRIORITIES, default=2)
    porteur = models.CharField("porteur", max_length=200)
    partners = models.CharField("partenaires", max_length=500, blank=True)
    budget_eur = models.DecimalField(
        "budget (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    year_start = models.PositiveSmallIntegerField("première année")
    year_end = models.PositiveSmallIntegerField("dernière année")
    mutualisation = models.BooleanField("mutualisation", default=False)
    status = models.CharField("état", max_length=20, choices=STATUSES, default="prevue")
    progress_percent = models.PositiveSmallIntegerField(
        "avancement (%)", default=0, validators=[MaxValueValidator(100)]
    )
    public = models.BooleanField(
        "visible dans le programme public",
        default=False,
        help_text="Cochez pour publier l'action ; sinon elle reste en projet, réservée à l'équipe.",
    )
    indicators = models.ManyToManyField(
        Indicator, through="ActionIndicator", blank=True, verbose_name="indicateurs"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "action"
        ordering = ["priority", "year_start", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Years within the 6-year programme, first before last."""
        first, last = _programme_years()
        errors: dict[str, str] = {}
        for field in ("year_start", "year_end"):
            year = getattr(self, field)
            if year is not None and not first <= year <= last:
                errors[field] = f"Choisissez une année du programme, de {first} à {last}."
        if (
            not errors
            and self.year_start is not None
            and self.year_end is not None
            and self.year_end < self.year_start
        ):
            errors["year_end"] = "La dernière année précède la première : corrigez l'une des deux."
        if errors:
            raise ValidationError(errors)


class ActionIndicator(models.Model):
    """The link of an action to an indicator it should move, with an optional target."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="links")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="links")
    target = models.FloatField(
        "valeur visée", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    note = models.CharField("commentaire", max_length=300, blank=True)

    class Meta:
        verbose_name = "indicateur suivi"
        verbose_name_plural = "indicateurs suivis"
        constraints = [
            models.UniqueConstraint(fields=["action", "indicator"], name="unique_action_indicator")
        ]


class ActionMilestone(models.Model):
    """A milestone of an action: planned date, and the date it was reached."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField("jalon", max_length=200)
    due_on = models.DateField("date prévue")
    done_on = models.DateField("atteint le", null=True, blank=True)

    class Meta:
        verbose_name = "jalon"
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class ActionFunding(models.Model):
    """One line of an action's financing plan: a funder's amount in a year."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="fundings")
    funder = models.CharField("financeur", max_length=200)
    year = models.PositiveSmallIntegerField("année")
    amount_eur = models.DecimalField(
        "montant (€)", max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = "ligne du plan de financement"
        verbose_name_plural = "plan de financement"
        ordering = ["year", "funder"]

    def __str__(self) -> str:
        return f"{self.funder} {self.year}"


class ActionChange(models.Model):
    """One saved change of an action (who, when, which fields from what to what)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField("le", auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
    )
    summary = models.TextField("modifications")

    class Meta:
        verbose_name = "modification d'une action"
        verbose_name_plural = "historique des actions"
        ordering = ["-at", "-pk"]


class WorkshopScenario(models.Model):
    """A variant tried in the workshop (services closed, opened, moved), saved to be
    discussed again or attached to the action it supports."""

    name = models.CharField("nom du scénario", max_length=200)
    family = models.CharField("famille", max_length=30, choices=FAMILY_CHOICES)
    operations = models.JSONField("changements", default=list)
    summary = models.JSONField("effet", default=dict)
    action = models.ForeignKey(
        Action,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name="action",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
    )
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "scénario de l'atelier"
        verbose_name_plural = "scénarios de l'atelier"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


__all__ = [
    "AGE_BANDS",
    "FAMILY_CHOICES",
    "Action",
    "ActionChange",
    "ActionFunding",
    "ActionIndicator",
    "ActionMilestone",
    "Commune",
    "CommuneTime",
    "Contribution",
    "ContributionComment",
    "ContributionSupport",
    "Indicator",
    "Measurement",
    "Service",
    "Study",
    "SurveyAnswer",
    "SurveyFamilySetting",
    "SurveyImport",
    "SurveyResponse",
    "Theme",
    "WorkshopScenario",
]
