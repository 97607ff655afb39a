"""Supplier production-tracking portal: production plans, forecasts, promises, alerts, scorecards."""
