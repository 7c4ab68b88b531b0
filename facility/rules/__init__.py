"""The network's rules (docs/domain.md), one module per rule; checkin.py and booking.py compose them."""
