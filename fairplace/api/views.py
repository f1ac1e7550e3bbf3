"""The public, read-only API v1: published editions and their figures, the indicator registry,
the marketplaces with their charter status, the charters. No account; throttled per IP.

Only GET, HEAD and OPTIONS are served: the views define no other handler, so anything else is
a 405 (no permission class runs before that answer for unsafe methods)."""

from django.http import Http404
from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from fairplace.barometer import charters, opendata
from fairplace.barometer.indicators import all_indicators, registry
from fairplace.platforms.queries import active_marketplaces

from . import serializers
from .pagination import Pagination
from .throttling import PublicAnonThrottle, PublicUserThrottle


class PublicMixin:
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicAnonThrottle, PublicUserThrottle]
    http_method_names = ["get", "head", "options"]


class PublicListView(PublicMixin, generics.ListAPIView):
    pagination_class = Pagination


@extend_schema(exclude=True)
class IndexView(PublicMixin, APIView):
    """/api/: where to start."""

    def get(self, request):
        def url(name, **kwargs):
            with translation.override("fr"):
                return request.build_absolute_uri(reverse(name, kwargs=kwargs))

        return Response(
            {
                "name": "Fairplace — API du baromètre des places de marché (marketplace barometer API)",
                "version": "v1",
                "schema": url("api:schema"),
                "licence": opendata.LICENCE,
                "endpoints": {
                    "editions": url("api:editions"),
                    "indicators": url("api:indicators"),
                    "marketplaces": url("api:marketplaces"),
                    "charters": url("api:charters"),
                    "open_data": url("barometer:open_data"),
                    "dictionary": url("barometer:dictionary", fmt="json"),
                },
            }
        )


@extend_schema(
    tags=["editions"],
    summary="Éditions publiées — Published editions",
    description="Les éditions trimestrielles publiées, la plus récente d'abord, avec les seuils de publication "
    "appliqués et les liens vers leurs fichiers.\n\nPublished quarterly editions, newest first, with "
    "the publication thresholds applied and links to their files.",
)
class EditionListView(PublicListView):
    serializer_class = serializers.EditionSerializer

    def get_queryset(self):
        return opendata.published_editions()


@extend_schema(
    tags=["editions"],
    summary="Une édition publiée — One published edition",
    description="Une édition publiée, par son code (par exemple 2026-T3). Une édition en relecture ou retirée "
    "n'existe pas pour l'API (404).\n\nOne published edition, by code (e.g. 2026-T3). An edition under "
    "review or withdrawn does not exist for the API (404).",
)
class EditionDetailView(PublicMixin, generics.RetrieveAPIView):
    serializer_class = serializers.EditionSerializer
    lookup_field = "code"

    def get_queryset(self):
        return opendata.published_editions()


@extend_schema(
    tags=["editions"],
    summary="Chiffres d'une édition — Figures of an edition",
    description="Les chiffres publiés d'une édition, une entrée par place de marché, indicateur et famille de "
    "problèmes : les colonnes du dictionnaire des données. Une valeur non publiée (moins de 5 cas, "
    "échantillon insuffisant…) vaut null, jamais 0 ; le champ status dit pourquoi.\n\n"
    "Published figures of an edition, one per marketplace, indicator and problem family: the columns "
    "of the data dictionary. A value not published (fewer than 5 cases, sample too small…) is null, "
    "never 0; the status field says why.",
    parameters=[
        OpenApiParameter(
            "marketplace",
            OpenApiTypes.STR,
            description="Identifiant de la place de marché (par exemple cdiscount). — Marketplace slug.",
        ),
        OpenApiParameter(
            "indicator", OpenApiTypes.STR, enum=list(registry()), description="Code de l'indicateur. — Indicator code."
        ),
    ],
)
class EditionFiguresView(PublicListView):
    serializer_class = serializers.FigureSerializer

    def get_queryset(self):
        edition = opendata.published_edition(self.kwargs["code"])
        if edition is None:
            raise Http404
        indicator = self.request.query_params.get("indicator") or None
        if indicator is not None and indicator not in registry():
            raise ValidationError(
                {
                    "indicator": [
                        f"Indicateur inconnu : « {indicator} ». Codes possibles : " + ", ".join(registry()) + "."
                    ]
                }
            )
        marketplace = self.request.query_params.get("marketplace") or None
        return opendata.edition_rows(edition, marketplace=marketplace, indicator=indicator)


@extend_schema(
    tags=["reference"],
    summary="Indicateurs — Indicators",
    description="Le registre des indicateurs : définition, calcul, unité, sens du classement.\n\n"
    "The indicator registry: definition, formula, unit, ranking direction.",
)
class IndicatorListView(PublicListView):
    serializer_class = serializers.IndicatorSerializer

    def get_queryset(self):
        return all_indicators()


@extend_schema(
    tags=["reference"],
    summary="Places de marché — Marketplaces",
    description="Les places de marché suivies par le baromètre et leur situation au regard des chartes "
    "(dernier événement : signataire, refus, retrait).\n\nThe marketplaces the barometer follows and "
    "their charter status (latest event: signed, refused, withdrew).",
)
class MarketplaceListView(PublicListView):
    serializer_class = serializers.MarketplaceSerializer

    def get_queryset(self):
        return active_marketplaces()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "charter_statuses": charters.charter_statuses()}


@extend_schema(
    tags=["reference"],
    summary="Chartes — Charters",
    description="Les chartes de bonnes pratiques, leurs engagements (avec les indicateurs qui en donnent la "
    "preuve) et leurs signataires, avec leurs sources.\n\nThe charters of good practice, their "
    "commitments (with the indicators that give evidence on them) and their signatories, with sources.",
)
class CharterListView(PublicListView):
    serializer_class = serializers.CharterSerializer

    def get_queryset(self):
        return opendata.charter_registry()
