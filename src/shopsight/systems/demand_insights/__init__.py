"""Demand Insights: segments, demand forecasts, elasticity, pricing, CLV and churn."""
