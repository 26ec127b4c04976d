"""Monitoring: metric samples, collectors, alert rules, notifications, structured logs, Prometheus export."""
