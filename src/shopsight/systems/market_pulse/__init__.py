"""Global Market Pulse: regional performance and (region, category) opportunities.

``MarketPulse(lake)`` is the facade (``service``); ``models`` holds its shapes, ``cli``
the Typer commands.
"""
