from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "follicle.demo"
    label = "demo"
