"""Private file storage: patient images live outside any public URL.

Files are written under MEDIA_ROOT/private (or FOLLICLE_PRIVATE_MEDIA_ROOT) and have no URL: Follicle
serves no media URL at all, and these files are sent only by views that check the viewer's
permission first. At scale the same storage is a bucket without public access (DESIGN.md).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


@deconstructible(path="follicle.outcomes.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    @cached_property
    def base_location(self):
        default = getattr(settings, "FOLLICLE_PRIVATE_MEDIA_ROOT", "") or str(
            Path(settings.MEDIA_ROOT) / "private"
        )
        return self._value_or_setting(self._location, default)

    def url(self, name):
        raise NotImplementedError("private files have no URL; serve them through a checked view")


private_storage = PrivateStorage()
