"""shopsight: AI analytics for retail and e-commerce sales data."""

__version__ = "0.1.0"
