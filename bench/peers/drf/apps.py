from django.apps import AppConfig


class BenchDrfConfig(AppConfig):
    name = "peers.drf"
    label = "bench_drf"
