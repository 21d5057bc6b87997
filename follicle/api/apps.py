from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "follicle.api"
    label = "api"
