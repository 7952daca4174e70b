"""Compliance Guardian: fraud risk scoring of payments and the PCI scan of the lake.

``ComplianceGuardian(lake)`` is the facade (``service``); ``models`` holds its request and
response shapes, ``pci_scan`` the scanner, ``cli`` the Typer commands.
"""
