"""Market Intelligence Hub: sales forecasts and market trends.

``MarketIntelligence(lake, models)`` is the facade (``service``); ``models`` holds its
shapes, ``cli`` the Typer commands; the pure computations live in
:mod:`shopsight.analytics.market_trends` and :mod:`shopsight.analytics.forecasting`.
"""
