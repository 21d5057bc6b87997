import os

from follicle import envfile

envfile.load()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "follicle.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
