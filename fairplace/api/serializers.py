"""What the API publishes, field by field: the publishable fields only, nulls kept as null.

Figures are the rows of ``barometer.opendata`` (the same columns as the CSV, the JSON and the
Parquet files, described in the data dictionary), so the API cannot publish more than the files."""

from django.urls import reverse
from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fairplace.barometer import opendata


def _absolute(request, name: str, **kwargs) -> str:
    with translation.override("fr"):  # the canonical (French) address of a page or a file
        url = reverse(name, kwargs=kwargs)
    return request.build_absolute_uri(url) if request is not None else url


def _field(column: opendata.Column) -> serializers.Field:
    required = column.name in {
        "edition",
        "period_start",
        "period_end",
        "marketplace",
        "marketplace_name",
        "indicator",
        "indicator_label",
        "status",
        "unit",
    }
    options = {
        "help_text": f"{column.description} — {column.description_en}",
        "read_only": True,
        "allow_null": not required,
    }
    if column.allowed:
        return serializers.ChoiceField(choices=list(column.allowed), **options)
    if column.type == "integer":
        return serializers.IntegerField(**options)
    if column.type == "number":
        return serializers.FloatField(**options)
    if column.type == "date":
        return serializers.DateField(**options)
    if column.type == "datetime":
        return serializers.DateTimeField(**options)
    return serializers.CharField(**options)


# One field per column of the data dictionary, in its order.
FigureSerializer = type(
    "FigureSerializer",
    (serializers.Serializer,),
    {
        **{column.name: _field(column) for column in opendata.COLUMNS},
        "__doc__": "Un chiffre publié d'une édition (une ligne des données ouvertes). — One published figure.",
        "__module__": __name__,
    },
)


class ThresholdsSerializer(serializers.Serializer):
    MIN_SAMPLE_RANK = serializers.IntegerField(help_text="Cas nécessaires pour être classé. — Cases needed to rank.")
    MIN_SAMPLE_PUBLISH = serializers.IntegerField(
        help_text="Cas nécessaires pour publier un taux ou un délai. — Cases needed to publish a rate or a time."
    )
    SUPPRESS_BELOW = serializers.IntegerField(
        help_text='Un nombre de cas inférieur est publié « moins de … ». — Fewer cases are published as "fewer than …".'
    )
    PREVIEW_DAYS = serializers.IntegerField(
        help_text="Jours de relecture par les plateformes. — Days of review by the platforms."
    )


class EditionLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    figures = serializers.URLField()
    pdf = serializers.URLField()
    csv = serializers.URLField()
    json = serializers.URLField()
    parquet = serializers.URLField()


class EditionSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="Trimestre couvert, par exemple 2026-T3. — Quarter.")
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    publication_date = serializers.DateField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True)
    methodology_version = serializers.CharField(read_only=True)
    thresholds = serializers.SerializerMethodField(
        help_text="Règles de publication appliquées à l'édition. — Publication rules applied to the edition."
    )
    links = serializers.SerializerMethodField()

    @extend_schema_field(ThresholdsSerializer)
    def get_thresholds(self, edition) -> dict:
        return opendata.thresholds(edition)

    @extend_schema_field(EditionLinksSerializer)
    def get_links(self, edition) -> dict:
        request = self.context.get("request")
        code = edition.code
        links = {
            "self": _absolute(request, "api:edition", code=code),
            "figures": _absolute(request, "api:edition_figures", code=code),
            "pdf": _absolute(request, "barometer:edition_pdf", code=code),
        }
        for fmt in opendata.FORMATS:
            links[fmt] = _absolute(request, "barometer:edition_data", code=code, fmt=fmt)
        return links


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=["count", "rate", "per_thousand", "distribution", "breakdown"])
    label = serializers.CharField()
    label_en = serializers.CharField()
    definition = serializers.CharField()
    definition_en = serializers.CharField()
    formula = serializers.CharField()
    unit = serializers.CharField(help_text="Unité affichée. — Displayed unit.")
    unit_en = serializers.CharField()
    higher_is_better = serializers.BooleanField(
        allow_null=True,
        help_text="Sens du classement (null : pas de classement). — Ranking direction (null: not ranked).",
    )
    basis = serializers.CharField(help_text="Fondement (charte, règlement). — Basis (charter, regulation).")


class CharterStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["signed", "refused", "withdrawn", "not_signatory"])
    label = serializers.CharField()
    label_en = serializers.CharField()
    charter = serializers.CharField(allow_null=True, help_text="Code de la charte. — Charter code.")
    date = serializers.DateField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class MarketplaceSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    operator = serializers.CharField(allow_blank=True)
    website = serializers.URLField(allow_blank=True)
    country = serializers.CharField(allow_blank=True)
    group = serializers.CharField(allow_blank=True)
    charter_status = serializers.SerializerMethodField()

    @extend_schema_field(CharterStatusSerializer)
    def get_charter_status(self, marketplace) -> dict:
        status = self.context.get("charter_statuses", {}).get(marketplace.pk)
        if status is None:
            status = {
                "status": "not_signatory",
                "label": "Non signataire",
                "label_en": "Not a signatory",
                "charter": None,
                "date": None,
                "note": "",
            }
        return CharterStatusSerializer(status).data


class SourceSerializer(serializers.Serializer):
    label = serializers.CharField(required=False, allow_blank=True)
    url = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    reliability = serializers.CharField(required=False, allow_null=True)
    date = serializers.CharField(required=False, allow_null=True)


class CommitmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    number = serializers.IntegerField()
    axis_number = serializers.IntegerField(allow_null=True)
    axis_title = serializers.CharField(allow_null=True)
    axis_title_en = serializers.CharField(allow_null=True)
    text = serializers.CharField()
    text_en = serializers.CharField(allow_null=True)
    indicator_codes = serializers.ListField(child=serializers.CharField())
    sources = SourceSerializer(many=True)


class SignatureSerializer(serializers.Serializer):
    signatory_name = serializers.CharField()
    marketplace = serializers.CharField(allow_null=True, help_text="Identifiant de la place de marché. — Slug.")
    status = serializers.ChoiceField(choices=["signed", "refused", "withdrawn"])
    date = serializers.DateField(allow_null=True)
    note = serializers.CharField(allow_null=True)
    sources = SourceSerializer(many=True)


class CharterSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    title_en = serializers.CharField(allow_null=True)
    adopted_on = serializers.DateField()
    previous = serializers.CharField(allow_null=True, help_text="Version précédente. — Previous version.")
    summary = serializers.CharField(allow_null=True)
    summary_en = serializers.CharField(allow_null=True)
    sources = SourceSerializer(many=True)
    commitments = CommitmentSerializer(many=True)
    signatures = SignatureSerializer(many=True)


class IndexSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    schema = serializers.URLField()
    licence = serializers.DictField()
    endpoints = serializers.DictField(child=serializers.URLField())
