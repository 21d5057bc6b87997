"""Load-and-authorise helpers: another clinic's product, lot or formulation is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from follicle.formulations import selectors
from follicle.formulations.models import Formulation, Lot, Product


def get_product(request: HttpRequest, uuid) -> Product:
    try:
        return selectors.product_get(clinic=request.clinic, uuid=uuid)
    except (Product.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def get_formulation(request: HttpRequest, uuid) -> Formulation:
    try:
        return selectors.formulation_get(clinic=request.clinic, uuid=uuid)
    except (Formulation.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def get_lot(request: HttpRequest, uuid) -> Lot:
    try:
        return selectors.lot_get(clinic=request.clinic, uuid=uuid)
    except (Lot.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
