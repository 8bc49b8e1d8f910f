"""Personal data protection: what may be shown to whom (see also handlers/cards.py)."""
