"""Facility configuration: schema, loading and validation."""

from facility.config.loader import load_config, parse_config
from facility.config.schema import FacilityConfig

__all__ = ["FacilityConfig", "load_config", "parse_config"]
