"""The network's rules (DOMAIN.md), one module per rule; checkin.py and booking.py compose them."""
