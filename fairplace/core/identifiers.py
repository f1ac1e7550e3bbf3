"""French business identifiers, validated with python-stdnum (La Poste's SIRET rule included)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siret as stdnum_siret


def clean_siret(value: str) -> str:
    """Return the 14 digits of a valid SIRET or raise ValidationError with a French message."""
    # People copy SIRETs with spaces, dots or dashes between the groups of digits.
    compact = re.sub(r"[\s.\-]", "", value or "")
    if not compact:
        raise ValidationError(_("Indiquez le numéro SIRET de votre entreprise (14 chiffres)."), code="required")
    if not compact.isdigit():
        raise ValidationError(
            _("Le SIRET ne contient que des chiffres (14 chiffres, espaces acceptés)."), code="format"
        )
    if len(compact) != 14:
        raise ValidationError(
            _("Le SIRET compte 14 chiffres ; vous en avez saisi %(count)d. Le SIREN (9 chiffres) ne suffit pas.")
            % {"count": len(compact)},
            code="length",
        )
    try:
        return stdnum_siret.validate(compact)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("Ce numéro SIRET n'est pas valide : vérifiez qu'aucun chiffre n'a été mal recopié."), code="checksum"
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(_("Ce numéro SIRET n'est pas valide."), code="invalid") from None


def siren_of(siret: str) -> str:
    return stdnum_siret.to_siren(siret)
