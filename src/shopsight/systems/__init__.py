"""The AI systems: thin facades over analytics/, each handed its adapters."""
