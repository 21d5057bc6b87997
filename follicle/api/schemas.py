"""Shared API shapes: list envelopes and pagination parameters."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from ninja import Schema
from pydantic import AfterValidator, Field

T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class Detail(Schema):
    detail: str | dict | list


def paginate(queryset, params: PageParams) -> dict:
    count = queryset.count()
    items = list(queryset[params.offset : params.offset + params.limit])
    return {"items": items, "count": count}


def _check_email(value: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = value.strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError("Enter a valid e-mail address.") from exc
    return value


# E-mail addresses are checked with Django's validator, as the forms check them.
Email = Annotated[str, AfterValidator(_check_email)]
